using Convolve.Kernels.Cpu;
using Convolve.Layers;
using Convolve.Tensors;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

public class ElementwiseTests
{
    /// <summary>
    /// The vector bodies (16 and 8 lanes) and the scalar tail must agree with the plain
    /// definition, for every length (so that every split between them is hit).
    /// </summary>
    [Fact]
    public void ActivationGradients_MatchTheirScalarDefinitions_AtEveryLength()
    {
        Gen.Int[0, 70].Select(Gen.Int[0, 1000]).Sample((length, seed) =>
        {
            var random = new Random(seed);
            var x = new Tensor(new Shape(1, Math.Max(length, 1)));
            var dy = new Tensor(x.Shape);
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = random.Next(3) == 0 ? 0 : (float)(random.NextDouble() * 4 - 2);
                dy[i] = (float)(random.NextDouble() * 2 - 1);
            }
            foreach (var (layer, derivative) in new (Layer, Func<float, float, float>)[]
            {
                (new ReLU(), (xi, yi) => xi > 0 ? 1 : 0),
                (new LeakyReLU(0.2f), (xi, yi) => xi > 0 ? 1 : 0.2f),
                (new Sigmoid(), (xi, yi) => yi * (1 - yi)),
                (new Tanh(), (xi, yi) => 1 - yi * yi),
            })
            {
                var y = layer.Forward(x).Clone();
                var dx = layer.Backward(dy);
                // Products may round differently by association: within 2 float32 ulps of 1.
                for (int i = 0; i < x.Length; i++)
                    Assert.True(Math.Abs(dy[i] * derivative(x[i], y[i]) - dx[i]) <= 2.5e-7f, $"{layer}: element {i} of {x.Length}");
            }
        }, iter: 200);
    }

    /// <summary>
    /// The loop driver at every vector width this CPU accelerates (and in plain loops): each
    /// element the operator's scalar form gives, bit for bit, at every length up to 70 (so every
    /// split between the vector bodies and the scalar tail is hit), NaN included.
    /// </summary>
    [Fact]
    public void Apply_AtEveryWidth_GivesTheScalarFormBitForBit()
    {
        SimdWidth[] widths = [.. new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128, SimdWidth.Scalar }.Where(Simd.IsAccelerated)];
        for (int length = 0; length <= 70; length++)
        {
            var random = new Random(length);
            var x = new float[length];
            var y = new float[length];
            for (int i = 0; i < length; i++)
            {
                x[i] = random.Next(20) == 0 ? float.NaN : random.Next(4) == 0 ? 0 : (float)(random.NextDouble() * 8 - 4);
                y[i] = (float)(random.NextDouble() * 2 - 1);
            }
            foreach (var width in widths)
            {
                Check(new ReLU.Gate(0.2f), x, y, width);
                Check(new ReLU.Gate(0), x, y, width);
                Check(new Clip.Line(0.5f, 1, -1, 2), x, y, width);
                Check(new Clip.Line(1f / 6, 0.5f, 0, 1).Times, x, y, width);
                Check(new Clip.Inside(-1, 1), x, y, width);
            }
        }
    }

    private static void Check<TOperator>(TOperator op, float[] x, float[] y, SimdWidth width) where TOperator : struct, IBinaryOperator
    {
        var actual = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        Elementwise.Apply(op, x, y, actual, width);
        for (int i = 0; i < x.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(op.Invoke(x[i], y[i])) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{op} at {width}: element {i} of {x.Length}: {actual[i]:R}, scalar form {op.Invoke(x[i], y[i]):R}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(0)]
    // Large spans split over threads: the same values as the one-thread loop, at lengths around
    // the threshold and with a tail that is not a whole vector.
    public void ApplyParallel_GivesTheValuesOfApply(int maxThreads)
    {
        foreach (int length in new[] { 1000, (1 << 18) - 1, (1 << 18) + 17, 1_000_003 })
        {
            var random = new Random(length);
            var x = GemmTests.RandomValues(random, length);
            var dy = GemmTests.RandomValues(random, length);
            var expected = new float[length];
            var actual = Enumerable.Repeat(float.NaN, length).ToArray();
            Elementwise.Apply(new ReLU.Gate(0), x, dy, expected);
            Elementwise.ApplyParallel(new ReLU.Gate(0), x, dy, actual, maxThreads);
            Assert.Equal(expected, actual);
        }
    }
}
