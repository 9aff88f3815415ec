using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="InstanceNormCpu"/> against <see cref="InstanceNormReference"/> on random shapes (1x1
/// planes, odd sizes, planes shorter and longer than a vector) and thread counts; the reference sums
/// in double, the fast kernel in float, so values agree to float rounding.
/// </summary>
public sealed class InstanceNormCpuTests
{
    private static readonly Gen<(int N, int C, int P, float Epsilon, float Offset, int Threads, int Seed)> Cases =
        from n in Gen.Int[1, 4]
        from c in Gen.Int[1, 6]
        from p in Gen.OneOf(Gen.Int[1, 40], Gen.Int[40, 400])
        from eps in Gen.OneOfConst(1e-5f, 1e-2f, 0.5f)
        from offset in Gen.OneOfConst(0f, 3f, -20f)
        from threads in Gen.Int[0, 3]
        from seed in Gen.Int
        select (n, c, p, eps, offset, threads, seed);

    [Fact]
    public void ForwardAndBackward_MatchTheReference_OnRandomShapes()
    {
        Cases.Sample(t => Check(t.N, t.C, t.P, t.Epsilon, t.Offset, t.Threads, t.Seed), iter: 200);
    }

    [Theory]
    [InlineData(8, 16, 28 * 28, 0)]   // split between threads
    [InlineData(1, 64, 1024, 2)]      // one sample, many planes
    [InlineData(3, 2, 1, 0)]          // 1x1 planes: every output is the bias
    public void ForwardAndBackward_MatchTheReference_OnNamedShapes(int n, int c, int p, int threads) => Check(n, c, p, 1e-5f, 1, threads, seed: 5);

    private static void Check(int n, int c, int p, float epsilon, float offset, int threads, int seed)
    {
        var random = new Random(seed);
        float[] Random(int length, float shift = 0) => [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) + shift)];
        var x = Random(n * c * p, offset);
        var scale = Random(c);
        var bias = Random(c);
        var dy = Random(n * c * p);
        string shape = $"[{n}, {c}, {p}] eps {epsilon} offset {offset} threads {threads}";

        float[] yRef = new float[x.Length], yFast = new float[x.Length];
        InstanceNormReference.Forward(n, c, p, epsilon, x, scale, bias, yRef);
        float[] mean = new float[n * c], inv = new float[n * c];
        InstanceNormCpu.Forward(n, c, p, epsilon, x, scale, bias, yFast, mean, inv, threads);
        AssertClose(yRef, yFast, 2e-5f, $"{shape}: output");

        float[] dxRef = new float[x.Length], dxFast = new float[x.Length];
        float[] dScaleRef = Random(c), dBiasRef = Random(c);
        float[] dScaleFast = [.. dScaleRef], dBiasFast = [.. dBiasRef];  // gradients accumulate onto what is there
        InstanceNormReference.Backward(n, c, p, epsilon, x, scale, dy, dxRef, dScaleRef, dBiasRef);
        InstanceNormCpu.Backward(n, c, p, x, scale, mean, inv, dy, dxFast, dScaleFast, dBiasFast, new float[2 * n * c], threads);
        AssertClose(dxRef, dxFast, 1e-4f, $"{shape}: dInput");
        AssertClose(dScaleRef, dScaleFast, 1e-4f, $"{shape}: dScale");
        AssertClose(dBiasRef, dBiasFast, 1e-4f, $"{shape}: dBias");
    }

    [Fact]
    public void Reference_ComputesTheDefinition_OnAWorkedExample()
    {
        // One plane [1, 2, 3, 6]: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5; scale 2, bias 1, eps 0.5.
        float[] y = new float[4];
        InstanceNormReference.Forward(1, 1, 4, 0.5f, [1, 2, 3, 6], [2], [1], y);
        float inv = 1 / MathF.Sqrt(4);
        Assert.Equal([1 - 4 * inv, 1 - 2 * inv, 1, 1 + 6 * inv], y);
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{what} [{i}] is {actual[i]}, reference {expected[i]}");
    }
}
