using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="ConvTranspose2DCpu"/> against <see cref="ConvTranspose2DReference"/> on random
/// geometries (strides, asymmetric pads, output padding, dilations, groups), on every multiply
/// path this machine runs and on one to three threads. Tolerance: |fast - reference| &lt;= 1e-5 * (1 + M),
/// M the sum of the magnitudes of that value's terms, computed by the reference on the absolute
/// values of the operands (all terms then add up without cancelling).
/// </summary>
public sealed class ConvTranspose2DCpuTests
{
    private static readonly Gen<ConvTranspose2DGeometry> Geometry =
        Gen.Select(
            Gen.Select(Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[1, 4], Gen.Int[1, 4]),          // batch, groups, C/g, K/g
            Gen.Select(Gen.Int[1, 7], Gen.Int[1, 7], Gen.Int[1, 5], Gen.Int[1, 5]),          // H, W, kH, kW
            Gen.Select(Gen.Int[1, 4], Gen.Int[1, 4], Gen.Int[1, 3], Gen.Int[1, 3]),          // strides, dilations
            Gen.Select(Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[0, 3]),          // pads t, l, b, r
            Gen.Select(Gen.Int[0, 3], Gen.Int[0, 3]))                                          // output padding
        .Select((s, i, sd, p, o) => new ConvTranspose2DGeometry(
            s.Item1, s.Item2 * s.Item3, i.Item1, i.Item2, s.Item2 * s.Item4, i.Item3, i.Item4,
            sd.Item1, sd.Item2, p.Item1, p.Item2, p.Item3, p.Item4, o.Item1, o.Item2, sd.Item3, sd.Item4, s.Item2))
        .Where(g => g.OutH > 0 && g.OutW > 0);

    [Theory]
    [MemberData(nameof(GemmTests.Paths), MemberType = typeof(GemmTests))]
    public void AllPasses_RandomGeometries_MatchReference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        Geometry.Select(Gen.Int, Gen.Bool, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, withBias, threads) = t;
            CheckAllPasses(new ConvTranspose2DCpu(path, threads), g, seed, withBias);
        }, iter: 80);
    }

    [Fact]
    public void AllPasses_DcganLayer_MatchReference() =>
        // 64 -> 32 channels, 4x4 kernel, stride 2, pad 1: 8x8 to 16x16, on every core.
        CheckAllPasses(new ConvTranspose2DCpu(), new ConvTranspose2DGeometry(3, 64, 8, 8, 32, 4, 4, 2, 2, 1, 1, 1, 1), seed: 7, withBias: true);

    [Fact]
    public void Kernel_KeepsNoScratchPerCall_InSteadyState()
    {
        var g = new ConvTranspose2DGeometry(4, 8, 6, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, Groups: 2);
        var kernel = new ConvTranspose2DCpu(maxThreads: 1);
        var (x, w, b, y) = (new float[g.InputLength], new float[g.WeightLength], new float[g.OutChannels], new float[g.OutputLength]);
        float[] dx = new float[g.InputLength], dw = new float[g.WeightLength], db = new float[g.OutChannels];
        void Step()
        {
            kernel.Forward(g, x, w, b, y);
            kernel.BackwardWeight(g, x, y, dw, db);
            kernel.BackwardInput(g, y, w, dx);
        }
        Step();
        Gemm.ReserveThreadBuffer(); // as a thread\'s first GEMM would, whichever parts the warm-up gave it
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Reference_ScattersEachPixelTimesTheKernel_OnAWorkedExample()
    {
        // One channel, input [[1, 2], [3, 4]], kernel [[1, 10], [100, 1000]], stride 2: each pixel
        // becomes a 2x2 block of itself times the kernel; pads (1, 0, 0, 1) crop the first row and
        // the last column; output padding 1 adds a row of bias at the bottom.
        var g = new ConvTranspose2DGeometry(1, 1, 2, 2, 1, 2, 2, 2, 2, PadTop: 1, PadRight: 1, OutputPadH: 1);
        Assert.Equal((4, 3), (g.OutH, g.OutW));
        var y = new float[g.OutputLength];
        ConvTranspose2DReference.Forward(g, [1, 2, 3, 4], [1, 10, 100, 1000], [0.5f], y);
        float[] expected =
        [
            100.5f, 1000.5f, 200.5f,
            3.5f, 30.5f, 4.5f,
            300.5f, 3000.5f, 400.5f,
            0.5f, 0.5f, 0.5f,
        ];
        Assert.Equal(expected, y);
    }

    private static void CheckAllPasses(ConvTranspose2DCpu kernel, ConvTranspose2DGeometry g, int seed, bool withBias)
    {
        var random = new Random(seed);
        float[] Random(int length) => [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] Abs(float[] values) => [.. values.Select(MathF.Abs)];
        var x = Random(g.InputLength);
        var w = Random(g.WeightLength);
        var b = withBias ? Random(g.OutChannels) : [];
        var dy = Random(g.OutputLength);
        string where = $"{g}, bias {withBias}";

        float[] yFast = new float[g.OutputLength], yRef = new float[g.OutputLength], yMag = new float[g.OutputLength];
        kernel.Forward(g, x, w, b, yFast);
        ConvTranspose2DReference.Forward(g, x, w, b, yRef);
        ConvTranspose2DReference.Forward(g, Abs(x), Abs(w), Abs(b), yMag);
        Compare("output", yFast, yRef, yMag, where);

        float[] dxFast = new float[g.InputLength], dxRef = new float[g.InputLength], dxMag = new float[g.InputLength];
        kernel.BackwardInput(g, dy, w, dxFast);
        ConvTranspose2DReference.BackwardInput(g, dy, w, dxRef);
        ConvTranspose2DReference.BackwardInput(g, Abs(dy), Abs(w), dxMag);
        Compare("dInput", dxFast, dxRef, dxMag, where);

        // Gradients accumulate into what is there.
        var start = Random(g.WeightLength);
        var biasStart = withBias ? Random(g.OutChannels) : [];
        float[] dwFast = [.. start], dwRef = [.. start], dwMag = Abs(start);
        float[] dbFast = [.. biasStart], dbRef = [.. biasStart], dbMag = Abs(biasStart);
        kernel.BackwardWeight(g, x, dy, dwFast, dbFast);
        ConvTranspose2DReference.BackwardWeight(g, x, dy, dwRef, dbRef);
        ConvTranspose2DReference.BackwardWeight(g, Abs(x), Abs(dy), dwMag, dbMag);
        Compare("dWeight", dwFast, dwRef, dwMag, where);
        Compare("dBias", dbFast, dbRef, dbMag, where);
    }

    private static void Compare(string what, float[] fast, float[] reference, float[] magnitude, string where)
    {
        for (int i = 0; i < fast.Length; i++)
            Assert.True(Math.Abs(fast[i] - reference[i]) <= 1e-5 * (1 + magnitude[i]),
                $"{what}[{i}] for {where}: fast {fast[i]}, reference {reference[i]}");
    }
}
