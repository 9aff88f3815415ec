using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="LocalResponseNormCpu"/> (running window sums) against <see cref="LocalResponseNormReference"/>
/// (every window summed afresh, in double) on random shapes, window sizes (odd, even, one, wider than the
/// channels), exponents (0.75's square-root path and the general power) and thread counts.
/// </summary>
public sealed class LocalResponseNormCpuTests
{
    private static readonly Gen<(int N, int C, int P, int Size, float Alpha, float Beta, float Bias, int Threads, int Seed)> Cases =
        from n in Gen.Int[1, 3]
        from c in Gen.Int[1, 9]
        from p in Gen.OneOf(Gen.Int[1, 20], Gen.Int[20, 200])
        from size in Gen.Int[1, 11]
        from alpha in Gen.OneOfConst(1e-4f, 0.5f, 2f)
        from beta in Gen.OneOfConst(0.75f, 0.5f, 1.3f)
        from bias in Gen.OneOfConst(1f, 2f, 0.5f)
        from threads in Gen.Int[0, 3]
        from seed in Gen.Int
        select (n, c, p, size, alpha, beta, bias, threads, seed);

    [Fact]
    public void ForwardAndBackward_MatchTheReference_OnRandomShapes()
    {
        Cases.Sample(t => Check(t.N, t.C, t.P, t.Size, t.Alpha, t.Beta, t.Bias, t.Threads, t.Seed), iter: 200);
    }

    [Theory]
    [InlineData(4, 16, 28 * 28, 5, 0)]    // samples split between threads
    [InlineData(1, 40, 1024, 5, 2)]       // one sample: its channels split into runs between threads
    [InlineData(2, 7, 300, 4, 0)]         // an even window
    public void ForwardAndBackward_MatchTheReference_OnNamedShapes(int n, int c, int p, int size, int threads) =>
        Check(n, c, p, size, 1e-2f, 0.75f, 1, threads, seed: 9);

    private static void Check(int n, int c, int p, int size, float alpha, float beta, float bias, int threads, int seed)
    {
        var random = new Random(seed);
        float[] Random(int length) => [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2))];
        var x = Random(n * c * p);
        var dy = Random(n * c * p);
        string shape = $"[{n}, {c}, {p}] size {size} alpha {alpha} beta {beta} bias {bias} threads {threads}";

        float[] yRef = new float[x.Length], yFast = new float[x.Length], r = new float[x.Length], q = new float[x.Length];
        LocalResponseNormReference.Forward(n, c, p, size, alpha, beta, bias, x, yRef);
        var window = new float[Math.Max(LocalResponseNormCpu.WindowLength(n, c, p, threads), n * p)];
        LocalResponseNormCpu.Forward(n, c, p, size, alpha, beta, bias, x, yFast, r, q, window, threads);
        InstanceNormCpuTests.AssertClose(yRef, yFast, 2e-5f, $"{shape}: output");

        float[] dxRef = new float[x.Length], dxFast = new float[x.Length];
        LocalResponseNormReference.Backward(n, c, p, size, alpha, beta, bias, x, dy, dxRef);
        LocalResponseNormCpu.Backward(n, c, p, size, x, yFast, r, q, dy, dxFast, new float[x.Length], window, threads);
        InstanceNormCpuTests.AssertClose(dxRef, dxFast, 1e-4f, $"{shape}: dInput");
    }

    [Fact]
    public void Reference_ComputesTheDefinition_OnAWorkedExample()
    {
        // Three channels of one value each, size 2: windows {0, 1}, {1, 2}, {2} (ONNX reaches up for even sizes).
        float[] x = [1, 2, 3], y = new float[3];
        LocalResponseNormReference.Forward(1, 3, 1, 2, alpha: 2, beta: 1, bias: 1, x, y);
        Assert.Equal([1f / (1 + 1 * (1 + 4)), 2f / (1 + 1 * (4 + 9)), 3f / (1 + 1 * 9)], y);
        Assert.Equal((0, 1), LocalResponseNormReference.Window(0, 3, 2));
        Assert.Equal((0, 2), LocalResponseNormReference.Window(1, 3, 3));
    }
}
