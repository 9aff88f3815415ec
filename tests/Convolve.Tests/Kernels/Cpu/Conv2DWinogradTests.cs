using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="Conv2DWinograd"/> against the reference kernel (same check and tolerance as
/// <see cref="Conv2DIm2ColGemmTests"/>) on 3x3 stride-1 geometries: every padding from 0 to 2
/// on each side, odd and even output sizes (tiles cut by the edges), rows of tiles narrower and
/// wider than a vector, images cut into several units, batches smaller and larger than the
/// thread count. Each check runs at every vector width this CPU accelerates (the kernel is one
/// generic body instantiated per width; the GEMM tile it packs for differs too).
/// </summary>
public class Conv2DWinogradTests
{
    // Without vectors every shape goes to im2col; the checks against the reference still hold.
    private static readonly bool Winograd = Simd.Best != SimdWidth.Scalar;

    // The widths the kernel runs at here; without vectors, none.
    private static readonly SimdWidth[] Widths =
        [.. new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128 }.Where(Simd.IsAccelerated)];

    // The widths to check a dispatcher at: every accelerated one, or plain loops where there is none.
    private static readonly SimdWidth[] DispatchWidths = Widths.Length > 0 ? Widths : [SimdWidth.Scalar];

    private static readonly Gen<Conv2DGeometry> WinogradGeometry =
        Gen.Select(
            Gen.Select(Gen.Int[1, 4], Gen.Int[8, 20], Gen.Int[8, 20]),                       // batch, C, K
            Gen.Select(Gen.Int[1, 30], Gen.Int[1, 45]),                                       // out H, out W
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2]))           // pads t, l, b, r
        .Select((s, o, p) => new Conv2DGeometry(
            s.Item1, s.Item2, o.Item1 + 2 - p.Item1 - p.Item3, o.Item2 + 2 - p.Item2 - p.Item4, s.Item3, 3, 3,
            PadTop: p.Item1, PadLeft: p.Item2, PadBottom: p.Item3, PadRight: p.Item4))
        .Where(g => g.InH > 0 && g.InW > 0);

    [Fact]
    public void AllPasses_WinogradGeometries_MatchReference()
    {
        WinogradGeometry.Select(Gen.Int, Gen.Bool, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, withBias, threads) = t;
            foreach (var width in DispatchWidths)
            {
                Assert.True(Conv2DWinograd.Supports(Conv2DPass.Forward, g, width) == (width != SimdWidth.Scalar),
                    $"{g} should take the Winograd path at {width} exactly where there are vectors");
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Winograd, threads, width), g, seed, withBias);
            }
        }, iter: 60);
    }

    [Fact]
    // mnist-cnn's second convolution (32 -> 64 on 26 x 26) and a padded 3x3 on a larger image,
    // whose 56 x 56 output makes a tile row wider than a vector and the image several units.
    public void ModelLayers_MatchReference()
    {
        Conv2DGeometry[] layers =
        [
            new(3, 32, 26, 26, 64, 3, 3),
            new(1, 32, 26, 26, 64, 3, 3),
            new(2, 16, 56, 56, 24, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ];
        int seed = 200;
        foreach (var width in DispatchWidths)
            foreach (var g in layers)
            {
                Assert.Equal(width != SimdWidth.Scalar, Conv2DWinograd.Supports(Conv2DPass.Forward, g, width));
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Winograd, width: width), g, ++seed, withBias: true);
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Winograd, maxThreads: 1, width), g, ++seed, withBias: false);
            }
    }

    [Fact]
    // mnist-cnn's 32 -> 64 layer on 26 x 26 at a training batch: every pass at AVX2's width
    // (and the others), whatever this CPU has; only the plain-loop width is not one.
    public void MnistLayer_EveryPass_SupportedAtEveryVectorWidth()
    {
        var g = new Conv2DGeometry(64, 32, 26, 26, 64, 3, 3);
        foreach (var pass in Enum.GetValues<Conv2DPass>())
        {
            Assert.True(Conv2DWinograd.Supports(pass, g, SimdWidth.Vector256), $"{pass} at Vector256");
            Assert.True(Conv2DWinograd.Supports(pass, g, SimdWidth.Vector512), $"{pass} at Vector512");
            Assert.True(Conv2DWinograd.Supports(pass, g, SimdWidth.Vector128), $"{pass} at Vector128");
            Assert.False(Conv2DWinograd.Supports(pass, g, SimdWidth.Scalar), $"{pass} without vectors");
        }
    }

    [Fact]
    public void AllPasses_OtherGeometries_GoToIm2ColAndMatchReference()
    {
        // Stride 2, dilation 2, groups, a 5x5 kernel, padding 3, too few channels: all handed on.
        Conv2DGeometry[] others =
        [
            new(2, 8, 15, 15, 8, 3, 3, StrideH: 2, StrideW: 2),
            new(2, 8, 15, 15, 8, 3, 3, DilationH: 2, DilationW: 2),
            new(2, 16, 12, 12, 16, 3, 3, Groups: 2),
            new(2, 8, 12, 12, 8, 5, 5),
            new(2, 8, 6, 6, 8, 3, 3, PadTop: 3, PadLeft: 3, PadBottom: 3, PadRight: 3),
            new(2, 4, 12, 12, 8, 3, 3),
        ];
        int seed = 0;
        foreach (var g in others)
        {
            foreach (var width in (SimdWidth[])[SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128])
                Assert.False(Conv2DWinograd.Supports(Conv2DPass.Forward, g, width), $"{g} should not take the Winograd path at {width}");
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Winograd), g, ++seed, withBias: true);
        }
    }

    [Fact]
    // The automatic kernel is direct, then channel vector, then Winograd, then im2col: the chain still matches the reference.
    public void AutoKernel_ChainsDirectWinogradAndIm2Col_MatchingReference()
    {
        Conv2DGeometry[] layers =
        [
            new(2, 1, 28, 28, 32, 3, 3),          // direct
            new(2, 32, 26, 26, 64, 3, 3),         // Winograd
            new(2, 6, 14, 14, 16, 5, 5),          // channel vector (im2col before it)
        ];
        int seed = 300;
        foreach (var g in layers)
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Auto), g, ++seed, withBias: true);
        // The one-pass backward reaches Winograd through the kernels before it in the chain.
        var auto = new Conv2DDispatcher(Conv2DAlgorithm.Auto, 2);
        Assert.Equal(Winograd, auto.CanBackward(layers[1]));
        Assert.False(auto.CanBackward(layers[0]));
    }

    [Fact]
    // Each output is computed by the same operations whatever the split into units and threads,
    // and a reused instance (scratch grown and shrunk) gives the same bits as a fresh one.
    public void AllPasses_AnyThreadCountAndReusedInstance_GiveIdenticalBits()
    {
        var big = new Conv2DGeometry(3, 12, 21, 19, 10, 3, 3, PadTop: 1, PadLeft: 0, PadBottom: 2, PadRight: 1);
        var small = new Conv2DGeometry(1, 8, 5, 5, 8, 3, 3);
        var random = new Random(9);
        var input = GemmTests.RandomValues(random, big.InputLength);
        var weight = GemmTests.RandomValues(random, big.WeightLength);
        var bias = GemmTests.RandomValues(random, big.OutChannels);
        var dOutput = GemmTests.RandomValues(random, big.OutputLength);
        (float[] Output, float[] DInput) Run(Conv2DWinograd kernel)
        {
            var output = new float[big.OutputLength];
            var dInput = new float[big.InputLength];
            kernel.Forward(big, input, weight, bias, output);
            kernel.BackwardInput(big, dOutput, weight, dInput);
            return (output, dInput);
        }
        foreach (var width in Widths)
        {
            var reused = new Conv2DWinograd(maxThreads: 2, width);
            var first = Run(reused);
            reused.Forward(small, input.AsSpan(0, small.InputLength), weight.AsSpan(0, small.WeightLength), bias, new float[small.OutputLength]);
            var again = Run(reused);
            var serial = Run(new Conv2DWinograd(maxThreads: 1, width));
            Assert.Equal(first.Output, again.Output);
            Assert.Equal(first.DInput, again.DInput);
            Assert.Equal(first.Output, serial.Output);
            Assert.Equal(first.DInput, serial.DInput);
        }
    }

    [Fact]
    // Convolution, ReLU and 2x2 max pooling in one pass against the reference convolution,
    // rectified and pooled here with plain loops.
    public void ForwardRectifiedPooled_RandomEvenGeometries_MatchReferenceThenPooling()
    {
        // Without vectors there is no pooled path (Conv2D falls back to the layers): Widths is empty.
        WinogradGeometry.Where(g => g.OutH % 2 == 0 && g.OutW % 2 == 0).Select(Gen.Int, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, threads) = t;
            foreach (var width in Widths)
            {
                Assert.True(Conv2DWinograd.Supports(Conv2DPass.ForwardPooled, g, width));
                Conv2DIm2ColGemmTests.CheckPooled(new Conv2DWinograd(threads, width), g, seed);
            }
        }, iter: 40);
    }

    [Fact]
    // Both gradients in one pass, behind a fused ReLU or not, against the reference kernel on
    // dOutput gated by the rectified output here.
    public void Backward_FusedWithAndWithoutGate_MatchesReference()
    {
        // Without vectors there is no fused pass (Conv2D calls the two passes): Widths is empty.
        WinogradGeometry.Select(Gen.Int, Gen.Bool, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, rectified, threads) = t;
            foreach (var width in Widths)
                CheckFusedBackward(g, seed, rectified, threads, width);
        }, iter: 40);
    }

    private static void CheckFusedBackward(Conv2DGeometry g, int seed, bool rectified, int threads, SimdWidth width)
    {
        var random = new Random(seed);
        var input = GemmTests.RandomValues(random, g.InputLength);
        var weight = GemmTests.RandomValues(random, g.WeightLength);
        var dOutput = GemmTests.RandomValues(random, g.OutputLength);
        var dWeight0 = GemmTests.RandomValues(random, g.WeightLength);
        var dBias0 = GemmTests.RandomValues(random, g.OutChannels);
        var output = GemmTests.RandomValues(random, g.OutputLength).Select(v => Math.Max(v, 0f)).ToArray(); // a rectified output
        var gated = rectified ? dOutput.Select((d, i) => output[i] > 0 ? d : 0f).ToArray() : dOutput;
        float[] Abs(float[] values) => [.. values.Select(Math.Abs)];

        var dInput = Enumerable.Repeat(float.NaN, g.InputLength).ToArray();
        var dWeight = (float[])dWeight0.Clone();
        var dBias = (float[])dBias0.Clone();
        new Conv2DWinograd(threads, width).Backward(g, input, dOutput, rectified ? output : [], weight, dInput, dWeight, dBias);

        var expectedInput = new float[g.InputLength];
        var inputMagnitude = new float[g.InputLength];
        Conv2DReference.Instance.BackwardInput(g, gated, weight, expectedInput);
        Conv2DReference.Instance.BackwardInput(g, Abs(gated), Abs(weight), inputMagnitude);
        var expectedWeight = (float[])dWeight0.Clone();
        var expectedBias = (float[])dBias0.Clone();
        var weightMagnitude = Abs(dWeight0);
        var biasMagnitude = Abs(dBias0);
        Conv2DReference.Instance.BackwardWeight(g, input, gated, expectedWeight, expectedBias);
        Conv2DReference.Instance.BackwardWeight(g, Abs(input), Abs(gated), weightMagnitude, biasMagnitude);
        AssertClose(g, "dInput", expectedInput, dInput, inputMagnitude);
        AssertClose(g, "dWeight", expectedWeight, dWeight, weightMagnitude);
        AssertClose(g, "dBias", expectedBias, dBias, biasMagnitude);
    }

    private static void AssertClose(Conv2DGeometry g, string what, float[] expected, float[] actual, float[] magnitude)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = 1e-5 * (1 + magnitude[i]);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= allowed, $"{what}[{i}] = {actual[i]}, reference {expected[i]}, allowed {allowed}, for {g}");
        }
    }

    [Fact]
    // The transformed weights are reused only while the weights are bit for bit the same: an
    // optimizer changes them in place, in the same array, between steps.
    public void Forward_WeightsChangedInPlace_UsesTheNewWeights()
    {
        foreach (var width in DispatchWidths)
            Conv2DIm2ColGemmTests.CheckWeightsChangedInPlace(new Conv2DDispatcher(Conv2DAlgorithm.Winograd, maxThreads: 1, width),
                new Conv2DGeometry(2, 8, 10, 10, 8, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1));
    }

    [Fact]
    // The kernel keeps its scratch buffers and transformed weights: once warm, it allocates nothing.
    public void AllPasses_Warm_AllocateNothing()
    {
        foreach (var width in DispatchWidths)
            Conv2DIm2ColGemmTests.CheckWarmPassesAllocateNothing(new Conv2DDispatcher(Conv2DAlgorithm.Winograd, maxThreads: 1, width),
                new Conv2DGeometry(3, 8, 14, 14, 16, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1));
    }
}
