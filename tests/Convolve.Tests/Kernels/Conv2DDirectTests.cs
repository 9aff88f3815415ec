using System.Runtime.Intrinsics;
using CsCheck;
using Convolve.Kernels;
using Convolve.Kernels.Cpu;

namespace Convolve.Tests.Kernels;

/// <summary>
/// <see cref="Conv2DDirect"/> against the reference kernel (same check and tolerance as
/// <see cref="Conv2DIm2ColGemmTests"/>), on geometries its direct path takes: few input channels,
/// stride 1, any padding, widths that are and are not multiples of the vector, heights that are
/// and are not multiples of the four-row block, batches smaller and larger than the thread count.
/// </summary>
public class Conv2DDirectTests
{
    // Without AVX-512 every shape goes to im2col; the checks against the reference still hold.
    private static readonly bool Direct = Vector512.IsHardwareAccelerated;

    private static readonly Gen<Conv2DGeometry> DirectGeometry =
        Gen.Select(
            Gen.Select(Gen.Int[1, 5], Gen.Int[1, 3], Gen.Int[1, 9]),                          // batch, C, K
            Gen.Select(Gen.Int[1, 5], Gen.Int[1, 5], Gen.Int[4, 30], Gen.Int[16, 40]),        // kH, kW, out H, out W
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2]))           // pads t, l, b, r
        .Select((s, k, p) => new Conv2DGeometry(
            s.Item1, s.Item2, k.Item3 + k.Item1 - 1 - p.Item1 - p.Item3, k.Item4 + k.Item2 - 1 - p.Item2 - p.Item4,
            s.Item3, k.Item1, k.Item2, PadTop: p.Item1, PadLeft: p.Item2, PadBottom: p.Item3, PadRight: p.Item4))
        .Where(g => g.InH > 0 && g.InW > 0);

    [Fact]
    public void AllPasses_DirectGeometries_MatchReference()
    {
        DirectGeometry.Select(Gen.Int, Gen.Bool, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, withBias, threads) = t;
            Assert.True(Conv2DDirect.Supports(Conv2DPass.Forward, g, Simd.Best) == Direct, $"{g} should take the direct path on AVX-512 machines only");
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Direct, threads), g, seed, withBias);
        }, iter: 80);
    }

    [Fact]
    public void AllPasses_OtherGeometries_GoToIm2ColAndMatchReference()
    {
        // Stride 2, dilation 2, groups, too many taps, a narrow output: all handed on.
        Conv2DGeometry[] others =
        [
            new(2, 1, 28, 28, 4, 3, 3, StrideH: 2, StrideW: 2),
            new(2, 1, 28, 28, 4, 3, 3, DilationH: 2, DilationW: 2),
            new(2, 2, 20, 20, 4, 3, 3, Groups: 2),
            new(2, 4, 20, 20, 4, 5, 5),
            new(2, 1, 10, 10, 4, 3, 3),
        ];
        int seed = 0;
        foreach (var g in others)
        {
            Assert.False(Conv2DDirect.Supports(Conv2DPass.Forward, g, Simd.Best), $"{g} should not take the direct path");
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Direct), g, ++seed, withBias: true);
        }
    }

    [Fact]
    // The four seed/lenet5/mnist-cnn first layers at batch 64: the direct path, any thread count.
    public void ModelFirstLayers_MatchReference()
    {
        Conv2DGeometry[] layers =
        [
            new(64, 1, 28, 28, 32, 3, 3),
            new(64, 1, 28, 28, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2),
            new(1, 1, 28, 28, 32, 3, 3),
        ];
        int seed = 100;
        foreach (var g in layers)
        {
            Assert.Equal(Direct, Conv2DDirect.Supports(Conv2DPass.Forward, g, Simd.Best));
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Direct), g, ++seed, withBias: true);
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Direct, maxThreads: 1), g, ++seed, withBias: false);
        }
    }

    [Fact]
    // Convolution, ReLU and 2x2 max pooling in one pass against the reference convolution,
    // rectified and pooled here with plain loops.
    public void ForwardRectifiedPooled_RandomEvenGeometries_MatchReferenceThenPooling()
    {
        if (!Direct) return; // the pooled path exists on AVX-512 machines only (Conv2D falls back to the layers)
        DirectGeometry.Where(g => g.OutH % 2 == 0 && g.OutW % 2 == 0).Select(Gen.Int, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, threads) = t;
            Assert.True(Conv2DDirect.Supports(Conv2DPass.ForwardPooled, g, Simd.Best));
            var random = new Random(seed);
            var input = GemmTests.RandomValues(random, g.InputLength);
            var weight = GemmTests.RandomValues(random, g.WeightLength);
            var bias = GemmTests.RandomValues(random, g.OutChannels);
            var full = new float[g.OutputLength];
            Convolve.Kernels.Reference.Conv2DReference.Instance.Forward(g, input, weight, bias, full);
            int ph = g.OutH / 2, pw = g.OutW / 2;
            var pooled = new float[g.Batch * g.OutChannels * ph * pw];
            new Conv2DDirect(threads).ForwardRectifiedPooled(g, input, weight, bias, pooled);
            for (int plane = 0; plane < g.Batch * g.OutChannels; plane++)
            for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++)
            {
                int at = plane * g.OutH * g.OutW + 2 * y * g.OutW + 2 * x;
                float expected = Math.Max(0, Math.Max(Math.Max(full[at], full[at + 1]), Math.Max(full[at + g.OutW], full[at + g.OutW + 1])));
                float actual = pooled[(plane * ph + y) * pw + x];
                Assert.True(Math.Abs(actual - expected) <= 1e-5f * (1 + Math.Abs(expected)) * g.InChannels * g.KernelH * g.KernelW,
                    $"pooled[{plane}, {y}, {x}] = {actual}, reference {expected}, for {g}");
            }
        }, iter: 40);
    }
}
