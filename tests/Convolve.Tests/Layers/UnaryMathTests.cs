using Convolve.Kernels;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>The <see cref="UnaryMath"/> layer: values, gradients against finite differences, options, the model file.</summary>
public sealed class UnaryMathTests
{
    public static TheoryData<UnaryMathKind, float> Cases() => new()
    {
        { UnaryMathKind.Exp, 1 }, { UnaryMathKind.Log, 1 }, { UnaryMathKind.Sqrt, 1 }, { UnaryMathKind.Neg, 1 }, { UnaryMathKind.Abs, 1 },
        { UnaryMathKind.Reciprocal, 1 }, { UnaryMathKind.Pow, 2 }, { UnaryMathKind.Pow, 3 }, { UnaryMathKind.Pow, 0.5f },
        { UnaryMathKind.Pow, -1.5f }, { UnaryMathKind.Erf, 1 },
    };

    // Inputs in [0.5, 2] where the function needs positive ones (Log, Sqrt, Reciprocal, fractional
    // or negative powers), else values at least 0.1 from 0 (the kink of Abs).
    private static Tensor Input(UnaryMathKind kind, float exponent, Random random, Shape shape)
    {
        if (kind is UnaryMathKind.Log or UnaryMathKind.Sqrt or UnaryMathKind.Reciprocal || (kind == UnaryMathKind.Pow && exponent is not (2 or 3)))
        {
            var t = new Tensor(shape);
            for (int i = 0; i < t.Length; i++) t[i] = 0.5f + 1.5f * random.NextSingle();
            return t;
        }
        return GradientCheck.Spread(random, shape);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifferences(UnaryMathKind kind, float exponent) =>
        GradientCheck.Check(new UnaryMath(kind, exponent), new Shape(2, 3, 5), input: (random, shape) => Input(kind, exponent, random, shape));

    [Fact]
    public void Forward_ComputesEachFunction()
    {
        var x = Tensor.FromArray([0.25f, 1, 4], 1, 3);
        float[] Run(UnaryMathKind kind, float exponent = 1) => new UnaryMath(kind, exponent).Forward(x).ToArray();
        Assert.Equal([MathF.Exp(0.25f), MathF.E, MathF.Exp(4)], Run(UnaryMathKind.Exp));
        Assert.Equal([MathF.Log(0.25f), 0, MathF.Log(4)], Run(UnaryMathKind.Log));
        Assert.Equal([0.5f, 1, 2], Run(UnaryMathKind.Sqrt));
        Assert.Equal([-0.25f, -1, -4], Run(UnaryMathKind.Neg));
        Assert.Equal([4f, 1, 0.25f], Run(UnaryMathKind.Reciprocal));
        Assert.Equal([0.125f, 1, 8], Run(UnaryMathKind.Pow, 1.5f));
        Assert.Equal([0.25f, 1, 4], new UnaryMath(UnaryMathKind.Abs).Forward(Tensor.FromArray([-0.25f, 1, -4], 1, 3)).ToArray());
    }

    [Fact]
    public void Options_AreChecked_WithClearMessages()
    {
        Assert.Equal("UnaryMath: only Pow takes an exponent, got 2 for Exp. (Parameter 'exponent')",
            Assert.Throws<ArgumentException>(() => new UnaryMath(UnaryMathKind.Exp, 2)).Message);
        Assert.Equal("UnaryMath: the exponent must be finite, got NaN. (Parameter 'exponent')",
            Assert.Throws<ArgumentException>(() => new UnaryMath(UnaryMathKind.Pow, float.NaN)).Message);
        Assert.Equal("Pow(exponent=0.5)", new UnaryMath(UnaryMathKind.Pow, 0.5f).ToString());
        Assert.Equal("Erf()", new UnaryMath(UnaryMathKind.Erf).ToString());
    }

    [Fact]
    public void ModelFile_RoundTripsKindAndExponent()
    {
        var model = new Sequential(new Dense(4), new UnaryMath(UnaryMathKind.Pow, 3), new UnaryMath(UnaryMathKind.Erf), new Dense(2));
        model.Build(new Shape(3), seed: 2);
        string path = Path.Combine(Path.GetTempPath(), $"unarymath-{Guid.NewGuid():N}.cvm");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(new UnaryMathConfig(UnaryMathKind.Pow, 3), loaded.Layers[1].GetConfig());
            Assert.Equal(new UnaryMathConfig(UnaryMathKind.Erf), loaded.Layers[2].GetConfig());
            var x = Tensor.FromArray([0.3f, -0.2f, 0.9f], 1, 3);
            Assert.Equal(model.Forward(x).ToArray(), loaded.Forward(x).ToArray());
        }
        finally { File.Delete(path); }
    }
}
