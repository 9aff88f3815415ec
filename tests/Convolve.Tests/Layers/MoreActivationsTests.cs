using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>
/// ELU, SELU, CELU, Softplus, Softsign, ThresholdedReLU, GELU, Mish and SiLU against their
/// formulas in double, their gradients against finite differences; PReLU's slopes and broadcasting.
/// </summary>
public class MoreActivationsTests
{
    public static TheoryData<string> Names =>
        ["ELU", "ELU(0.5)", "SELU", "CELU", "CELU(2)", "Softplus", "Softsign", "ThresholdedReLU", "ThresholdedReLU(0.3)", "GELU", "GELU(tanh)",
         "Mish", "SiLU"];

    // erf in double: its Maclaurin series for |x| < 2 (cancellation costs at most a digit there), and beyond
    // 1 - erfc(x) with erfc's continued fraction, e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))).
    internal static double Erf(double x)
    {
        if (Math.Abs(x) >= 2)
        {
            double a = Math.Abs(x), t = a;
            for (int n = 200; n >= 1; n--) t = a + n / 2.0 / t;
            return Math.Sign(x) * (1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / t);
        }
        double term = x, sum = x;
        for (int n = 1; n < 60; n++)
        {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static (Layer Layer, Func<double, double> F) Create(string name) => name switch
    {
        "ELU" => (new ELU(), x => x > 0 ? x : Math.Exp(x) - 1),
        "ELU(0.5)" => (new ELU(0.5f), x => x > 0 ? x : 0.5 * (Math.Exp(x) - 1)),
        "SELU" => (new SELU(), x => 1.0507009873554804934193349852946 * (x > 0 ? x : 1.6732632423543772848170429916717 * (Math.Exp(x) - 1))),
        "CELU" => (new CELU(), x => x > 0 ? x : Math.Exp(x) - 1),
        "CELU(2)" => (new CELU(2), x => Math.Max(0, x) + Math.Min(0, 2 * (Math.Exp(x / 2) - 1))),
        "Softplus" => (new Softplus(), x => Math.Log(1 + Math.Exp(x))),
        "Softsign" => (new Softsign(), x => x / (1 + Math.Abs(x))),
        "ThresholdedReLU" => (new ThresholdedReLU(), x => x > 1 ? x : 0),
        "ThresholdedReLU(0.3)" => (new ThresholdedReLU(0.3f), x => x > (double)0.3f ? x : 0),
        "GELU" => (new GELU(), x => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)))),
        "GELU(tanh)" => (new GELU("tanh"), x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))),
        "Mish" => (new Mish(), x => x * Math.Tanh(Softplus(x))),
        _ => (new SiLU(), x => x * Sigmoid(x)),
    };

    // -8 .. 8 in steps of 1/16, and two values far out, where naive forms overflow (softplus) or saturate.
    private static Tensor Values()
    {
        var t = new Tensor(new Shape(1, 259));
        for (int i = 0; i < 257; i++) t[i] = (i - 128) / 16f;
        t[257] = -95;
        t[258] = 95;
        return t;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_MatchesTheFormulaInDouble(string name)
    {
        var (layer, f) = Create(name);
        var x = Values();
        var y = layer.Forward(x);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = f(x[i]);
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"{name}({x[i]}) = {y[i]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_MatchesFiniteDifferences(string name) =>
        // Spread keeps inputs 0.05 from the kinks (0, and ThresholdedReLU's 1 and 0.3).
        GradientCheck.Check(Create(name).Layer, new Shape(2, 3, 4, 4), input: GradientCheck.Spread);

    public static TheoryData<string> Formulas =>
        ["ELU", "SELU", "CELU(2)", "Softplus", "Softsign", "ThresholdedReLU(0.3)", "GELU", "GELU(tanh)", "Mish", "SiLU"];

    [Theory]
    [MemberData(nameof(Formulas))]
    public void VectorForm_MatchesTheScalarReference(string name)
    {
        switch (name)
        {
            case "ELU": Compare(new ELU.Formula(1, 1)); break;
            case "SELU": Compare(new ELU.Formula(SELU.DefaultAlpha, SELU.DefaultGamma)); break;
            case "CELU(2)": Compare(new CELU.Formula(2)); break;
            case "Softplus": Compare(new Softplus.Formula()); break;
            case "Softsign": Compare(new Softsign.Formula()); break;
            case "ThresholdedReLU(0.3)": Compare(new ThresholdedReLU.Formula(0.3f)); break;
            case "GELU": Compare(new GELU.Formula(false)); break;
            case "GELU(tanh)": Compare(new GELU.Formula(true)); break;
            case "Mish": Compare(new Mish.Formula()); break;
            default: Compare(new SiLU.Formula()); break;
        }
    }

    // Random values in [-12, 12), a run from -100 to 100 and the extremes; forward and slope equal (infinities) or within
    // 2e-6 of the scalar form, relative to max(1, |value|) (the vector form uses Vector256.Exp, not MathF.Exp).
    private static void Compare<T>(T f) where T : struct, IScalarFunction
    {
        var random = new Random(11);
        var values = new List<float>();
        for (int i = 0; i < 4001; i++) values.Add((float)(24 * random.NextDouble() - 12));
        for (int i = -1000; i <= 1000; i++) values.Add(i / 10f);
        values.AddRange([1e4f, -1e4f, 0f, -0f, 88.7f, -88.7f, 1e-30f, -1e-30f]);
        float[] x = [.. values], dy = [.. values.Select(_ => (float)random.NextDouble() + 0.5f)];
        var (y, yRef, dx, dxRef) = (new float[x.Length], new float[x.Length], new float[x.Length], new float[x.Length]);
        ScalarActivation<T>.Apply(f, x, y, vector: true);
        ScalarActivation<T>.Apply(f, x, yRef, vector: false);
        ScalarActivation<T>.Derive(f, x, yRef, dy, dx, vector: true);
        ScalarActivation<T>.Derive(f, x, yRef, dy, dxRef, vector: false);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(y[i] == yRef[i] || Math.Abs(y[i] - yRef[i]) <= 2e-6 * Math.Max(1, Math.Abs(yRef[i])), $"f({x[i]}): vector {y[i]}, scalar {yRef[i]}");
            Assert.True(dx[i] == dxRef[i] || Math.Abs(dx[i] - dxRef[i]) <= 2e-6 * Math.Max(1, Math.Abs(dxRef[i])),
                $"f'({x[i]}): vector {dx[i]}, scalar {dxRef[i]}");
        }
    }

    [Fact]
    public void Erf_IsWithin5e7OfTheDoubleValue()
    {
        double worst = 0;
        for (int i = -6000; i <= 6000; i++)
        {
            float x = i / 1000f;
            worst = Math.Max(worst, Math.Abs(new Convolve.Kernels.Cpu.UnaryMathCpu.Erf().Invoke(x, 0) - Erf(x)));
        }
        Assert.True(worst < 5e-7, $"largest |erf error| = {worst:E2}");
    }

    [Fact]
    public void Options_AreValidated_AndShown()
    {
        Assert.Equal("GELU: approximate must be \"none\" or \"tanh\", got \"fast\". (Parameter 'approximate')",
            Assert.Throws<ArgumentException>(() => new GELU("fast")).Message);
        Assert.Equal("CELU: alpha must not be 0, got 0. (Parameter 'alpha')", Assert.Throws<ArgumentException>(() => new CELU(0)).Message);
        Assert.Equal("ELU(alpha=0.5)", new ELU(0.5f).ToString());
        Assert.Equal("SELU()", new SELU().ToString());
        Assert.Equal("GELU(approximate=tanh)", new GELU("tanh").ToString());
        Assert.Equal("PReLU(slope=[3, 1, 1])", new PReLU([3, 1, 1]).ToString());
    }

    public static TheoryData<int[], int[]> PReLUShapes => new()
    {
        { [1], [2, 3, 4, 5] },          // one slope (nn.PReLU())
        { [3, 1, 1], [2, 3, 4, 5] },    // per channel (nn.PReLU(3))
        { [5], [2, 3, 4, 5] },          // along the last axis
        { [4, 5], [2, 3, 4, 5] },       // per position
        { [3, 4, 5], [2, 3, 4, 5] },    // per value
        { [6], [3, 6] },                // per feature of [N, C]
    };

    [Theory]
    [MemberData(nameof(PReLUShapes))]
    public void PReLU_Backward_MatchesFiniteDifferences(int[] slopeShape, int[] inputShape) =>
        GradientCheck.Check(new PReLU(slopeShape), new Shape(inputShape), input: GradientCheck.Spread);

    [Theory]
    [MemberData(nameof(PReLUShapes))]
    public void PReLU_Forward_MatchesBroadcastingByHand(int[] slopeShape, int[] inputShape)
    {
        var layer = new PReLU(slopeShape);
        var random = new Random(5);
        foreach (ref float a in layer.Slope.Value.Span) a = (float)random.NextDouble();
        var x = GradientCheck.Spread(random, new Shape(inputShape));
        var y = layer.Forward(x);
        int rank = inputShape.Length;
        var index = new int[rank];
        for (int i = 0; i < x.Length; i++)
        {
            for (int d = rank - 1, rest = i; d >= 0; d--)
            {
                index[d] = rest % inputShape[d];
                rest /= inputShape[d];
            }
            // The slope's own index: its axes aligned with the input's last axes, size-1 axes at 0.
            int s = 0;
            for (int k = 0; k < slopeShape.Length; k++)
                s = s * slopeShape[k] + (slopeShape[k] == 1 ? 0 : index[rank - slopeShape.Length + k]);
            Assert.Equal(x[i] > 0 ? x[i] : layer.Slope.Value[s] * x[i], y[i]);
        }
    }

    [Fact]
    public void PReLU_ASlopeThatDoesNotBroadcast_IsRefusedNamingBothShapes()
    {
        var e = Assert.Throws<ShapeException>(() => new PReLU([4, 1, 1]).GetOutputShape(new Shape(2, 3, 4, 5)));
        Assert.Equal("PReLU(slope=[4, 1, 1]): the slope [4, 1, 1] does not broadcast to the items of input [2, 3, 4, 5] " +
            "(aligned at the right, each size 1 or the item's size; the batch takes no slope).", e.Message);
        Assert.Throws<ShapeException>(() => new PReLU([2, 3, 4, 5]).GetOutputShape(new Shape(2, 3, 4, 5)));
        Assert.Equal("PReLU: the slope's sizes must be positive, got [3, 0].", Assert.Throws<ArgumentException>(() => new PReLU([3, 0])).Message);
    }

    [Fact]
    public void PReLU_StartsAtItsInitialSlope_AndItsConfigComparesByValue()
    {
        var layer = new PReLU([3, 1, 1], init: 0.1f);
        layer.ResetParameters(new Random(1));
        Assert.All(layer.Slope.Value.ToArray(), a => Assert.Equal(0.1f, a));
        Assert.Equal(new PReLUConfig([3, 1, 1], 0.1f), layer.GetConfig());
        Assert.Equal(new PReLUConfig([3, 1, 1]).GetHashCode(), new PReLUConfig([3, 1, 1]).GetHashCode());
        Assert.NotEqual(new PReLUConfig([3, 1, 1]), new PReLUConfig([1, 3, 1]));
    }

    [Fact]
    public void AModelOfEveryNewActivation_SavesAndLoads_WithTheSameOutputs()
    {
        var model = new Sequential(
            new Conv2D(2, 3, kernelSize: 3, padding: 1), new PReLU([3, 1, 1]), new ELU(0.5f), new SELU(), new CELU(2), new Softplus(),
            new Softsign(), new ThresholdedReLU(0.1f), new GELU(), new GELU("tanh"), new Mish(), new SiLU(),
            new Flatten(), new Dense(4), new PReLU()).Build(new Shape(2, 5, 5), seed: 3);
        var random = new Random(2);
        foreach (var p in model.Layers.OfType<PReLU>()) foreach (ref float a in p.Slope.Value.Span) a = (float)random.NextDouble();
        string path = Path.Combine(Path.GetTempPath(), $"convolve-acts-{Environment.ProcessId}.cnv");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            var x = GradientCheck.Spread(new Random(4), new Shape(3, 2, 5, 5));
            Assert.Equal(model.ToString(), loaded.ToString());
            Assert.Equal(model.Forward(x).ToArray(), loaded.Forward(x).ToArray());
        }
        finally { File.Delete(path); }
    }
}
