using System.Runtime.Intrinsics.X86;
using CsCheck;
using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;

namespace Convolve.Tests.Kernels;

/// <summary>
/// <see cref="Conv2DChannelVector"/> against the reference kernel (same check and tolerance as
/// <see cref="Conv2DIm2ColGemmTests"/>) on the geometries it takes: 16 or 32 output channels,
/// every kernel size up to 5 x 5 (rectangular too), every padding from 0 to 2 on each side, odd
/// and even output heights (the last row pair overlapping), output rows narrower than a block
/// and wide enough for several column blocks, batches smaller and larger than the thread count.
/// </summary>
public class Conv2DChannelVectorTests
{
    // Without AVX-512 every shape goes to the fallback; the checks against the reference still hold.
    private static readonly bool Vectorised = Avx512F.IsSupported;

    private static readonly Gen<Conv2DGeometry> ChannelGeometry =
        Gen.Select(
            Gen.Select(Gen.Int[1, 4], Gen.Int[1, 8], Gen.Int[1, 2]),                          // batch, C, K / 16
            Gen.Select(Gen.Int[2, 14], Gen.Int[1, 30], Gen.Int[1, 5], Gen.Int[1, 5]),         // out H, out W, kH, kW
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2]))           // pads t, l, b, r
        .Select((s, o, p) => new Conv2DGeometry(
            s.Item1, s.Item2, o.Item1 + o.Item3 - 1 - p.Item1 - p.Item3, o.Item2 + o.Item4 - 1 - p.Item2 - p.Item4,
            16 * s.Item3, o.Item3, o.Item4, PadTop: p.Item1, PadLeft: p.Item2, PadBottom: p.Item3, PadRight: p.Item4))
        .Where(g => g.InH > 0 && g.InW > 0);

    [Fact]
    public void AllPasses_ChannelGeometries_MatchReference()
    {
        ChannelGeometry.Select(Gen.Int, Gen.Bool, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, withBias, threads) = t;
            Assert.True(Conv2DChannelVector.Supports(Conv2DPass.Forward, g, Simd.Best) == Vectorised, $"{g} should take the channel-vector path on AVX-512 machines only");
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, threads), g, seed, withBias);
        }, iter: 60);
    }

    [Fact]
    // LeNet-5's second convolution at a training batch (several items per thread) and at batch 1,
    // the same padded by 2 (the padded-plane copies), and a single larger image.
    public void ModelLayers_MatchReference()
    {
        Conv2DGeometry[] layers =
        [
            new(9, 6, 14, 14, 16, 5, 5),
            new(1, 6, 14, 14, 16, 5, 5),
            new(3, 6, 14, 14, 16, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2),
            new(1, 32, 16, 16, 32, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), // one large image: input gradient by the fallback
        ];
        int seed = 400;
        foreach (var g in layers)
        {
            Assert.Equal(Vectorised, Conv2DChannelVector.Supports(Conv2DPass.Forward, g, Simd.Best));
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector), g, ++seed, withBias: true);
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, maxThreads: 1), g, ++seed, withBias: false);
        }
    }

    [Fact]
    public void AllPasses_OtherGeometries_GoToTheFallbackAndMatchReference()
    {
        // Stride 2, dilation 2, groups, 8 and 48 output channels, a single output row, a plane
        // above MaxPlane: all handed on.
        Conv2DGeometry[] others =
        [
            new(2, 4, 15, 15, 16, 3, 3, StrideH: 2, StrideW: 2),
            new(2, 4, 15, 15, 16, 3, 3, DilationH: 2, DilationW: 2),
            new(2, 4, 12, 12, 32, 3, 3, Groups: 2),
            new(2, 6, 14, 14, 8, 5, 5),
            new(2, 6, 14, 14, 48, 5, 5),
            new(2, 3, 5, 20, 16, 5, 5),
            new(1, 2, 35, 35, 16, 3, 3),
        ];
        int seed = 0;
        foreach (var g in others)
        {
            Assert.False(Conv2DChannelVector.Supports(Conv2DPass.Forward, g, Simd.Best), $"{g} should not take the channel-vector path");
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector), g, ++seed, withBias: true);
        }
    }

    [Fact]
    // The automatic kernel now chains direct, channel vector, Winograd, im2col: still the reference's numbers.
    public void AutoKernel_ChainsTheChannelVectorPath_MatchingReference()
    {
        Conv2DGeometry[] layers =
        [
            new(2, 1, 28, 28, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), // direct (LeNet-5's first layer)
            new(2, 6, 14, 14, 16, 5, 5),                                                 // channel vector
            new(3, 16, 12, 12, 16, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), // channel vector, input gradient by Winograd
            new(2, 32, 26, 26, 64, 3, 3),                                                // Winograd
            new(2, 6, 14, 14, 48, 5, 5),                                                 // im2col
        ];
        int seed = 500;
        foreach (var g in layers)
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Auto), g, ++seed, withBias: true);
        Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector), layers[1], ++seed, withBias: true);
    }

    [Fact]
    // Each output and input-gradient value is computed by the same operations whatever the split
    // into units and threads, and a reused instance (scratch grown and shrunk) gives the same bits
    // as a fresh one. (The weight gradient is summed per thread range, so it is not compared.)
    public void ForwardPassesAndInputGradient_AnyThreadCountAndReusedInstance_GiveIdenticalBits()
    {
        var big = new Conv2DGeometry(5, 6, 15, 16, 32, 5, 5, PadTop: 1, PadLeft: 2, PadBottom: 2, PadRight: 1);
        var small = new Conv2DGeometry(1, 2, 5, 5, 16, 3, 3);
        var random = new Random(9);
        var input = GemmTests.RandomValues(random, big.InputLength);
        var weight = GemmTests.RandomValues(random, big.WeightLength);
        var bias = GemmTests.RandomValues(random, big.OutChannels);
        var dOutput = GemmTests.RandomValues(random, big.OutputLength);
        (float[] Output, float[] Pooled, float[] DInput) Run(Conv2DChannelVector kernel)
        {
            var output = new float[big.OutputLength];
            var pooled = new float[big.OutputLength / 4];
            var dInput = new float[big.InputLength];
            kernel.Forward(big, input, weight, bias, output);
            kernel.ForwardRectifiedPooled(big, input, weight, bias, pooled);
            kernel.BackwardInput(big, dOutput, weight, dInput);
            return (output, pooled, dInput);
        }
        if (!Conv2DChannelVector.Supports(Conv2DPass.ForwardPooled, big, Simd.Best)) return; // no pooled path without AVX-512
        var reused = new Conv2DChannelVector(maxThreads: 2);
        var first = Run(reused);
        reused.Forward(small, input.AsSpan(0, small.InputLength), weight.AsSpan(0, small.WeightLength), bias, new float[small.OutputLength]);
        reused.BackwardInput(small, dOutput.AsSpan(0, small.OutputLength), weight.AsSpan(0, small.WeightLength), new float[small.InputLength]);
        var again = Run(reused);
        var serial = Run(new Conv2DChannelVector(maxThreads: 1));
        var three = Run(new Conv2DChannelVector(maxThreads: 3));
        foreach (var other in new[] { again, serial, three })
        {
            Assert.Equal(first.Output, other.Output);
            Assert.Equal(first.Pooled, other.Pooled);
            Assert.Equal(first.DInput, other.DInput);
        }
    }

    [Fact]
    // Convolution, ReLU and 2x2 max pooling in one pass against the reference convolution,
    // rectified and pooled here with plain loops.
    public void ForwardRectifiedPooled_RandomEvenGeometries_MatchReferenceThenPooling()
    {
        if (!Vectorised) return; // the pooled path exists on AVX-512 machines only (Conv2D falls back to the layers)
        ChannelGeometry.Where(g => g.OutH % 2 == 0 && g.OutW % 2 == 0).Select(Gen.Int, Gen.Int[1, 3]).Sample(t =>
        {
            var (g, seed, threads) = t;
            Assert.True(Conv2DChannelVector.Supports(Conv2DPass.ForwardPooled, g, Simd.Best));
            Conv2DIm2ColGemmTests.CheckPooled(new Conv2DChannelVector(threads), g, seed);
        }, iter: 40);
    }

    [Fact]
    // The weights are packed on every call: changed in place between calls (as an optimizer
    // does), the next pass uses the new ones.
    public void Forward_WeightsChangedInPlace_UsesTheNewWeights() =>
        Conv2DIm2ColGemmTests.CheckWeightsChangedInPlace(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, maxThreads: 1), new Conv2DGeometry(2, 6, 14, 14, 16, 5, 5));

    [Fact]
    // Short buffers are refused with the pass, the buffer's name and both lengths (2 x 6 x 14 x 14
    // inputs, 16 x 6 x 5 x 5 weights, 2 x 16 x 10 x 10 outputs).
    public void BackwardInput_ShortDInput_NamesItInTheMessage()
    {
        var g = new Conv2DGeometry(2, 6, 14, 14, 16, 5, 5);
        if (!Conv2DChannelVector.Supports(Conv2DPass.Forward, g, Simd.Best)) return; // the fallback has its own messages
        var error = Assert.Throws<ArgumentException>(() => new Conv2DChannelVector(1).BackwardInput(
            g, new float[g.OutputLength], new float[g.WeightLength], new float[g.InputLength - 1]));
        Assert.Equal($"Conv2DChannelVector.BackwardInput: expected dInput of 2352, weight of 2400 and dOutput of 3200 values; got 2351, 2400 and 3200.", error.Message);
    }

    [Fact]
    // The kernel keeps its scratch buffers and packed weights: once warm, it allocates nothing.
    public void AllPasses_Warm_AllocateNothing() =>
        Conv2DIm2ColGemmTests.CheckWarmPassesAllocateNothing(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, maxThreads: 1),
            new Conv2DGeometry(3, 6, 14, 14, 16, 5, 5, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1));
}
