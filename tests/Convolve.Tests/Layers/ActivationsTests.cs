using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>Clip, HardSigmoid and HardSwish against their formulas written as plain loops.</summary>
public class ActivationsTests
{
    // 37 values: two 16-lane vectors and a scalar tail, so every code path sees the kinks.
    private static Tensor Values()
    {
        var t = new Tensor(new Shape(1, 37));
        for (int i = 0; i < t.Length; i++) t[i] = (i - 18) * 0.25f;   // -4.5 .. 4.5, hitting -3, -0.5, 0, 0.5, 3 exactly
        return t;
    }

    public static TheoryData<string> Names => ["Clip", "ReLU6", "HardSigmoid", "HardSigmoid(0.3, 0.4)", "HardSwish"];

    private static (Layer Layer, Func<double, double> F) Create(string name) => name switch
    {
        "Clip" => (new Clip(-0.5f, 0.5f), x => Math.Min(Math.Max(x, -0.5), 0.5)),
        "ReLU6" => (new Clip(0, 6), x => Math.Min(Math.Max(x, 0), 6)),
        "HardSigmoid" => (new HardSigmoid(), x => Math.Max(0, Math.Min(1, (double)0.2f * x + 0.5))),
        "HardSigmoid(0.3, 0.4)" => (new HardSigmoid(0.3f, 0.4f), x => Math.Max(0, Math.Min(1, (double)0.3f * x + (double)0.4f))),
        _ => (new HardSwish(), x => x * Math.Max(0, Math.Min(1, x / 6 + 0.5))),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_MatchesTheFormula(string name)
    {
        var (layer, f) = Create(name);
        var x = Values();
        var y = layer.Forward(x);
        for (int i = 0; i < x.Length; i++) Assert.Equal(f(x[i]), y[i], 1e-6);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_MatchesFiniteDifferences(string name) =>
        // Spread keeps inputs 0.05 from every kink (at multiples of 0.1 plus 0.05; kinks at -3, -2.5, -0.5, 0, 0.5, 2, 2.5, 3, 6, -4/3).
        GradientCheck.Check(Create(name).Layer, new Shape(2, 3, 4, 4), input: GradientCheck.Spread);

    [Fact]
    public void Gradients_AtTheKinks_AreTheDocumentedOnes()
    {
        var x = Values();
        var dOutput = new Tensor(x.Shape);
        dOutput.Fill(1);
        float Slope(Layer layer, float at)
        {
            layer.Forward(x);
            return layer.Backward(dOutput)[(int)(at / 0.25f) + 18];
        }

        var clip = new Clip(-0.5f, 0.5f);
        Assert.Equal(0, Slope(clip, -0.5f));      // the boundaries count as outside
        Assert.Equal(0, Slope(clip, 0.5f));
        Assert.Equal(1, Slope(clip, 0.25f));
        var hardSigmoid = new HardSigmoid();
        Assert.Equal(0, Slope(hardSigmoid, -2.5f));
        Assert.Equal(0, Slope(hardSigmoid, 2.5f));
        Assert.Equal(0.2f, Slope(hardSigmoid, 1f));
        var hardSwish = new HardSwish();
        Assert.Equal(0, Slope(hardSwish, -3f));
        Assert.Equal(1, Slope(hardSwish, 3f));
        Assert.Equal(0.75f / 3 + 0.5f, Slope(hardSwish, 0.75f));   // x / 3 + 1/2
        Assert.Equal(-2.5f / 3 + 0.5f, Slope(hardSwish, -2.5f), 1e-6f);
        Assert.Equal(1, Slope(hardSwish, 4.5f));
        Assert.Equal(0, Slope(hardSwish, -4.5f));
    }

    [Fact]
    public void Descriptions_ShowNonDefaultOptions_AndBadBoundsAreRefused()
    {
        Assert.Equal("Clip(min=0, max=6)", new Clip(0, 6).ToString());
        Assert.Equal("Clip(min=0)", new Clip(0).ToString());
        Assert.Equal("HardSigmoid()", new HardSigmoid().ToString());
        Assert.Equal("HardSigmoid(alpha=0.3, beta=0.4)", new HardSigmoid(0.3f, 0.4f).ToString());
        Assert.Equal("HardSwish()", new HardSwish().ToString());
        Assert.Equal("Clip: expected min <= max, got min=2, max=1.", Assert.Throws<ArgumentException>(() => new Clip(2, 1)).Message);
    }
}
