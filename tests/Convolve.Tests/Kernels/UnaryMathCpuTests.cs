using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels;

/// <summary>The fast element-wise functions (<see cref="UnaryMathCpu"/>) against the reference on random lengths and values.</summary>
public sealed class UnaryMathCpuTests
{
    private static readonly float[] Exponents = [0, 1, 2, 3, 8, 11, -2, -5, 0.5f, -1, 1.5f, -0.75f];

    private static readonly Gen<(UnaryMathKind Kind, float Exponent, int Length, int Seed)> Cases =
        from kind in Gen.Enum<UnaryMathKind>()
        from exponent in Gen.OneOfConst(Exponents)
        from length in Gen.Int[1, 80]
        from seed in Gen.Int
        select (kind, kind == UnaryMathKind.Pow ? exponent : 1f, length, seed);

    // Inputs inside each function's domain and away from its poles: Log, Sqrt, Reciprocal and a
    // fractional power on [0.2, 3]; the others on [-5, 5], negative bases for whole exponents too.
    private static float[] Inputs(UnaryMathKind kind, float exponent, int length, Random random)
    {
        bool positive = kind is UnaryMathKind.Log or UnaryMathKind.Sqrt or UnaryMathKind.Reciprocal
            || (kind == UnaryMathKind.Pow && (exponent != MathF.Round(exponent) || exponent < 0));
        return [.. Enumerable.Range(0, length).Select(_ => positive ? 0.2f + 2.8f * random.NextSingle() : 10 * random.NextSingle() - 5)];
    }

    [Fact]
    public void ForwardAndBackward_MatchTheReference_OnRandomLengthsAndValues()
    {
        Cases.Sample(c =>
        {
            var random = new Random(c.Seed);
            var x = Inputs(c.Kind, c.Exponent, c.Length, random);
            var dy = Enumerable.Range(0, c.Length).Select(_ => random.NextSingle() * 2 - 1).ToArray();
            float[] yRef = new float[c.Length], yFast = new float[c.Length], dRef = new float[c.Length], dFast = new float[c.Length];
            UnaryMathReference.Forward(c.Kind, c.Exponent, x, yRef);
            UnaryMathCpu.Forward(c.Kind, c.Exponent, x, yFast);
            UnaryMathReference.Backward(c.Kind, c.Exponent, x, dy, dRef);
            UnaryMathCpu.Backward(c.Kind, c.Exponent, x, yFast, dy, dFast);
            for (int i = 0; i < c.Length; i++)
            {
                Assert.True(Math.Abs(yRef[i] - yFast[i]) <= 2e-6f * Math.Max(1, Math.Abs(yRef[i])),
                    $"{c.Kind} (exponent {c.Exponent}) of {x[i]}: {yFast[i]}, reference {yRef[i]}");
                Assert.True(Math.Abs(dRef[i] - dFast[i]) <= 1e-5f * Math.Max(1, Math.Abs(dRef[i])),
                    $"{c.Kind} (exponent {c.Exponent}) slope at {x[i]}: dInput {dFast[i]}, reference {dRef[i]}");
            }
        }, iter: 400);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(-3.0, -0.9999779095030014)]
    [InlineData(4.5, 0.9999999998033839)]
    public void Erf_MatchesPublishedValues_InBothVersions(double x, double expected)
    {
        Assert.Equal(expected, UnaryMathReference.Erf(x), 1e-9); // +-1 from 4 on, within float's reach
        var fast = new float[9];
        UnaryMathCpu.Forward(UnaryMathKind.Erf, 1, Enumerable.Repeat((float)x, 9).ToArray(), fast); // 9: a vector and a tail
        Assert.All(fast, v => Assert.Equal(expected, v, 3e-7));
    }

    [Fact]
    public void Erf_KeepsNaN_AndSaturatesAtInfinity()
    {
        var y = new float[3];
        UnaryMathCpu.Forward(UnaryMathKind.Erf, 1, [float.NaN, float.PositiveInfinity, float.NegativeInfinity], y);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal([1f, -1f], y[1..]);
    }

    [Fact]
    public void Pow_OfNegativeBases_WithWholeExponents_KeepsTheSign()
    {
        var y = new float[3];
        UnaryMathCpu.Forward(UnaryMathKind.Pow, 3, [-2, -0.5f, 2], y);
        Assert.Equal([-8f, -0.125f, 8f], y);
    }
}
