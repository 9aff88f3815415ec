using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="Conv2DDirect"/> against the reference kernel (same check and tolerance as
/// <see cref="Conv2DIm2ColGemmTests"/>), at every vector width this CPU accelerates, on
/// geometries its direct path takes: few input channels, stride 1, any padding, widths that are
/// and are not multiples of the vector (and of two vectors), heights that are and are not
/// multiples of the four-row block, batches smaller and larger than the thread count.
/// </summary>
public class Conv2DDirectTests
{
    // The widths the kernel is written for that run on this CPU (all three on an AVX-512 machine).
    private static readonly SimdWidth[] Widths =
        [.. new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128 }.Where(Simd.IsAccelerated)];

    private static readonly Gen<Conv2DGeometry> DirectGeometry =
        Gen.Select(
            Gen.Select(Gen.Int[1, 5], Gen.Int[1, 3], Gen.Int[1, 9]),                          // batch, C, K
            Gen.Select(Gen.Int[1, 5], Gen.Int[1, 5], Gen.Int[4, 30], Gen.Int[4, 40]),         // kH, kW, out H, out W
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2]))           // pads t, l, b, r
        .Select((s, k, p) => new Conv2DGeometry(
            s.Item1, s.Item2, k.Item3 + k.Item1 - 1 - p.Item1 - p.Item3, k.Item4 + k.Item2 - 1 - p.Item2 - p.Item4,
            s.Item3, k.Item1, k.Item2, PadTop: p.Item1, PadLeft: p.Item2, PadBottom: p.Item3, PadRight: p.Item4))
        .Where(g => g.InH > 0 && g.InW > 0);

    [Fact]
    public void AllPasses_DirectGeometries_MatchReference_AtEveryWidth()
    {
        DirectGeometry.Select(Gen.Int, Gen.Bool, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, withBias, threads) = t;
            foreach (var width in Widths)
            {
                // Rows narrower than one vector go to im2col + GEMM; the check against the reference holds either way.
                Assert.True(Conv2DDirect.Supports(Conv2DPass.Forward, g, width) == g.OutW >= (int)width,
                    $"{g} at {width}: the direct path takes rows at least one vector wide");
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Direct, threads, width), g, seed, withBias);
            }
        }, iter: 80);
    }

    [Fact]
    public void AllPasses_OtherGeometries_GoToIm2ColAndMatchReference()
    {
        // Stride 2, dilation 2, groups, too many taps, a row narrower than the vector: all handed on.
        Conv2DGeometry[] others =
        [
            new(2, 1, 28, 28, 4, 3, 3, StrideH: 2, StrideW: 2),
            new(2, 1, 28, 28, 4, 3, 3, DilationH: 2, DilationW: 2),
            new(2, 2, 20, 20, 4, 3, 3, Groups: 2),
            new(2, 4, 20, 20, 4, 5, 5),
            new(2, 1, 5, 5, 4, 3, 3),
        ];
        int seed = 0;
        foreach (var width in Widths)
            foreach (var g in others)
            {
                Assert.False(Conv2DDirect.Supports(Conv2DPass.Forward, g, width), $"{g} should not take the direct path at {width}");
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Direct, width: width), g, ++seed, withBias: true);
            }
    }

    [Fact]
    // The kernel computes what it is asked at every vector width, whatever this CPU runs.
    public void Supports_SeedFirstLayer_AtEveryVectorWidth_NotInPlainLoops()
    {
        var seedLayer = new Conv2DGeometry(64, 1, 28, 28, 32, 3, 3);
        Assert.True(Conv2DDirect.Supports(Conv2DPass.Forward, seedLayer, SimdWidth.Vector256));
        foreach (var pass in new[] { Conv2DPass.Forward, Conv2DPass.ForwardPooled, Conv2DPass.BackwardWeight })
        {
            foreach (var width in new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128 })
                Assert.True(Conv2DDirect.Supports(pass, seedLayer, width), $"{pass} at {width}");
            Assert.False(Conv2DDirect.Supports(pass, seedLayer, SimdWidth.Scalar));
        }
        Assert.False(Conv2DDirect.Supports(Conv2DPass.BackwardInput, seedLayer, SimdWidth.Vector256));
    }

    [Fact]
    // The four seed/lenet5/mnist-cnn first layers at batch 64: the direct path, any thread count.
    public void ModelFirstLayers_MatchReference_AtEveryWidth()
    {
        Conv2DGeometry[] layers =
        [
            new(64, 1, 28, 28, 32, 3, 3),
            new(64, 1, 28, 28, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2),
            new(1, 1, 28, 28, 32, 3, 3),
        ];
        int seed = 100;
        foreach (var width in Widths)
            foreach (var g in layers)
            {
                Assert.True(Conv2DDirect.Supports(Conv2DPass.Forward, g, width));
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Direct, width: width), g, ++seed, withBias: true);
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Direct, maxThreads: 1, width: width), g, ++seed, withBias: false);
                if (g.OutH % 2 == 0) Conv2DIm2ColGemmTests.CheckPooled(new Conv2DDirect(width: width), g, ++seed);
            }
    }

    [Fact]
    public void WarmPasses_AllocateNothing_AtEveryWidth()
    {
        foreach (var width in Widths)
            Conv2DIm2ColGemmTests.CheckWarmPassesAllocateNothing(new Conv2DDispatcher(Conv2DAlgorithm.Direct, maxThreads: 1, width: width),
                new Conv2DGeometry(4, 1, 28, 28, 8, 3, 3));
    }

    [Fact]
    // Convolution, ReLU and 2x2 max pooling in one pass against the reference convolution,
    // rectified and pooled with plain loops.
    public void ForwardRectifiedPooled_RandomEvenGeometries_MatchReferenceThenPooling_AtEveryWidth()
    {
        DirectGeometry.Where(g => g.OutH % 2 == 0 && g.OutW % 2 == 0).Select(Gen.Int, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, threads) = t;
            foreach (var width in Widths)
            {
                Assert.True(Conv2DDirect.Supports(Conv2DPass.ForwardPooled, g, width) == g.OutW >= (int)width);
                if (g.OutW >= (int)width) Conv2DIm2ColGemmTests.CheckPooled(new Conv2DDirect(threads, width), g, seed);
            }
        }, iter: 60);
    }
}
