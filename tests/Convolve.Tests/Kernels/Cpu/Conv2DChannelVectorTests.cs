using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="Conv2DChannelVector"/> against the reference kernel (same check and tolerance as
/// <see cref="Conv2DIm2ColGemmTests"/>) on the geometries it takes: 16 or 32 output channels,
/// every kernel size up to 5 x 5 (rectangular too), every padding from 0 to 2 on each side, odd
/// and even output heights (the last row pair overlapping), output rows narrower than a block
/// and wide enough for several column blocks, batches smaller and larger than the thread count.
/// Each check runs at every vector width this CPU accelerates (Vector512, Vector256, Vector128):
/// the kernel has a channel group of one vector and a register block per width.
/// </summary>
public class Conv2DChannelVectorTests
{
    private static readonly SimdWidth[] Widths =
        [.. new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128 }.Where(Simd.IsAccelerated)];

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
        foreach (var width in Widths)
            ChannelGeometry.Select(Gen.Int, Gen.Bool, Gen.Int[1, 3]).Sample(t =>
            {
                var (g, seed, withBias, threads) = t;
                Assert.True(Conv2DChannelVector.Supports(Conv2DPass.Forward, g, width), $"{g} should take the channel-vector path at {width}");
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, threads, width), g, seed, withBias);
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
            new(1, 32, 16, 16, 32, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), // one large image: input gradient by im2col + GEMM
        ];
        int seed = 400;
        foreach (var width in Widths)
            foreach (var g in layers)
            {
                Assert.True(Conv2DChannelVector.Supports(Conv2DPass.Forward, g, width), $"{g} at {width}");
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, width: width), g, ++seed, withBias: true);
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, maxThreads: 1, width), g, ++seed, withBias: false);
            }
    }

    [Fact]
    // LeNet-5's second layer at a training batch is this kernel's at the AVX2 width too, every pass.
    public void LeNet5SecondLayer_Vector256_IsSupportedForEveryPass()
    {
        var g = new Conv2DGeometry(64, 6, 14, 14, 16, 5, 5);
        foreach (var pass in new[] { Conv2DPass.Forward, Conv2DPass.ForwardPooled, Conv2DPass.BackwardInput, Conv2DPass.BackwardWeight })
            Assert.True(Conv2DChannelVector.Supports(pass, g, SimdWidth.Vector256), $"{pass} of {g} at Vector256");
        Assert.False(Conv2DChannelVector.Supports(Conv2DPass.Forward, g, SimdWidth.Scalar));
    }

    [Fact]
    // The kernel computes every width on any CPU (a width the CPU lacks runs its plain fallbacks),
    // which is how a run with DOTNET_EnableHWIntrinsic=0 checks those fallbacks too.
    public void AllPasses_EveryWidthEvenWithoutHardware_MatchReference()
    {
        var g = new Conv2DGeometry(2, 3, 9, 11, 16, 3, 3, PadTop: 1, PadLeft: 0, PadBottom: 0, PadRight: 1);
        var odd = new Conv2DGeometry(1, 2, 7, 9, 32, 3, 3); // 5 x 7 outputs: a partial vector at every width
        int seed = 600;
        foreach (var width in new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128 })
        {
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DChannelVector(maxThreads: 1, width), g, ++seed, withBias: true);
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DChannelVector(maxThreads: 1, width), odd, ++seed, withBias: false);
            Conv2DIm2ColGemmTests.CheckPooled(new Conv2DChannelVector(maxThreads: 1, width), g, ++seed); // 8 x 10 outputs
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
        foreach (var width in Widths)
            foreach (var g in others)
            {
                Assert.False(Conv2DChannelVector.Supports(Conv2DPass.Forward, g, width), $"{g} should not take the channel-vector path at {width}");
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, width: width), g, ++seed, withBias: true);
            }
    }

    [Fact]
    // The automatic kernel chains direct, channel vector, Winograd, im2col: still the reference's numbers.
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
        foreach (var width in Widths)
        {
            foreach (var g in layers)
                Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.Auto, width: width), g, ++seed, withBias: true);
            Conv2DIm2ColGemmTests.CheckAllPasses(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, width: width), layers[1], ++seed, withBias: true);
        }
    }

    [Fact]
    // Each output and input-gradient value is computed by the same operations whatever the split
    // into units and threads, and a reused instance (scratch grown and shrunk) gives the same bits
    // as a fresh one. (The weight gradient is summed per thread range, so it is not compared.)
    public void ForwardPassesAndInputGradient_AnyThreadCountAndReusedInstance_GiveIdenticalBits()
    {
        var big = new Conv2DGeometry(5, 6, 15, 17, 32, 5, 5, PadTop: 1, PadLeft: 2, PadBottom: 2, PadRight: 1); // 14 x 16 outputs
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
        foreach (var width in Widths)
        {
            Assert.True(Conv2DChannelVector.Supports(Conv2DPass.ForwardPooled, big, width));
            var reused = new Conv2DChannelVector(maxThreads: 2, width);
            var first = Run(reused);
            reused.Forward(small, input.AsSpan(0, small.InputLength), weight.AsSpan(0, small.WeightLength), bias, new float[small.OutputLength]);
            reused.BackwardInput(small, dOutput.AsSpan(0, small.OutputLength), weight.AsSpan(0, small.WeightLength), new float[small.InputLength]);
            var again = Run(reused);
            var serial = Run(new Conv2DChannelVector(maxThreads: 1, width));
            var three = Run(new Conv2DChannelVector(maxThreads: 3, width));
            foreach (var other in new[] { again, serial, three })
            {
                Assert.Equal(first.Output, other.Output);
                Assert.Equal(first.Pooled, other.Pooled);
                Assert.Equal(first.DInput, other.DInput);
            }
        }
    }

    [Fact]
    // Convolution, ReLU and 2x2 max pooling in one pass against the reference convolution,
    // rectified and pooled here with plain loops.
    public void ForwardRectifiedPooled_RandomEvenGeometries_MatchReferenceThenPooling()
    {
        foreach (var width in Widths)
            ChannelGeometry.Where(g => g.OutH % 2 == 0 && g.OutW % 2 == 0).Select(Gen.Int, Gen.Int[1, 3]).Sample(t =>
            {
                var (g, seed, threads) = t;
                Assert.True(Conv2DChannelVector.Supports(Conv2DPass.ForwardPooled, g, width));
                Conv2DIm2ColGemmTests.CheckPooled(new Conv2DChannelVector(threads, width), g, seed);
            }, iter: 40);
    }

    [Fact]
    // The weights are packed on every call: changed in place between calls (as an optimizer
    // does), the next pass uses the new ones.
    public void Forward_WeightsChangedInPlace_UsesTheNewWeights()
    {
        foreach (var width in Widths)
            Conv2DIm2ColGemmTests.CheckWeightsChangedInPlace(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, maxThreads: 1, width),
                new Conv2DGeometry(2, 6, 14, 14, 16, 5, 5));
    }

    [Fact]
    // Short buffers are refused with the pass, the buffer's name and both lengths (2 x 6 x 14 x 14
    // inputs, 16 x 6 x 5 x 5 weights, 2 x 16 x 10 x 10 outputs), before any vector code runs.
    public void BackwardInput_ShortDInput_NamesItInTheMessage()
    {
        var g = new Conv2DGeometry(2, 6, 14, 14, 16, 5, 5);
        var error = Assert.Throws<ArgumentException>(() => new Conv2DChannelVector(1, SimdWidth.Vector128).BackwardInput(
            g, new float[g.OutputLength], new float[g.WeightLength], new float[g.InputLength - 1]));
        Assert.Equal($"Conv2DChannelVector.BackwardInput: expected dInput of 2352, weight of 2400 and dOutput of 3200 values; " +
            $"got 2351, 2400 and 3200.", error.Message);
    }

    [Fact]
    // The kernel keeps its scratch buffers and packed weights: once warm, it allocates nothing.
    public void AllPasses_Warm_AllocateNothing()
    {
        foreach (var width in Widths)
            Conv2DIm2ColGemmTests.CheckWarmPassesAllocateNothing(new Conv2DDispatcher(Conv2DAlgorithm.ChannelVector, maxThreads: 1, width),
                new Conv2DGeometry(3, 6, 14, 14, 16, 5, 5, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1));
    }
}
