using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="Conv2DIm2ColGemm"/> against <see cref="Conv2DReference"/> on random geometries, on
/// every multiply path this machine runs. Tolerance: |fast - reference| &lt;= 1e-5 * (1 + M), where
/// M, the sum of the magnitudes of the terms of that value (plus |bias| or the |dWeight| accumulated
/// into), is computed by the reference kernel itself on the absolute values of the operands:
/// all its terms are then non-negative, so its sum is exactly the sum of magnitudes.
/// </summary>
public class Conv2DIm2ColGemmTests
{
    private static readonly Gen<Conv2DGeometry> Geometry =
        Gen.Select(
            Gen.Select(Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[1, 4], Gen.Int[1, 4]),          // batch, groups, C/g, K/g
            Gen.Select(Gen.Int[1, 9], Gen.Int[1, 9], Gen.Int[1, 5], Gen.Int[1, 5]),          // H, W, kH, kW
            Gen.Select(Gen.Int[1, 4], Gen.Int[1, 4], Gen.Int[1, 3], Gen.Int[1, 3]),          // strides, dilations
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2]))          // pads t, l, b, r
        .Select((s, i, sd, p) => new Conv2DGeometry(
            s.Item1, s.Item2 * s.Item3, i.Item1, i.Item2, s.Item2 * s.Item4, i.Item3, i.Item4,
            sd.Item1, sd.Item2, p.Item1, p.Item2, p.Item3, p.Item4, sd.Item3, sd.Item4, s.Item2))
        .Where(g => g.OutH > 0 && g.OutW > 0);

    // 1x1 stride-1 unpadded: the path without im2col.
    private static readonly Gen<Conv2DGeometry> Pointwise =
        Gen.Select(Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[1, 5], Gen.Int[1, 5], Gen.Int[1, 7], Gen.Int[1, 7])
        .Select((n, groups, c, k, h, w) => new Conv2DGeometry(n, groups * c, h, w, groups * k, 1, 1, Groups: groups));

    // Awkward shapes named in the brief, checked every run.
    private static readonly Conv2DGeometry[] Awkward =
    [
        new(1, 1, 1, 1, 1, 1, 1),                                                      // 1x1 image, 1x1 kernel
        new(2, 3, 1, 1, 4, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),    // 1x1 image, 3x3 kernel in padding
        new(2, 2, 5, 7, 3, 5, 7),                                                      // kernel as large as the input
        new(1, 2, 4, 3, 2, 6, 4, PadTop: 2, PadBottom: 0, PadLeft: 0, PadRight: 1),    // kernel as large as the padded input
        new(3, 4, 9, 8, 6, 2, 2, StrideH: 3, StrideW: 4),                              // stride > kernel
        new(2, 6, 7, 7, 4, 3, 3, 2, 1, 0, 2, 1, 0, 2, 3, Groups: 2),                   // everything at once
        new(2, 3, 7, 6, 13, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),   // more than one 12 x 32 tile of the multiply
        new(1, 16, 24, 24, 8, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), // one image, big enough to pack on several threads
    ];

    [Theory]
    [MemberData(nameof(GemmTests.Paths), MemberType = typeof(GemmTests))]
    public void AllPasses_RandomGeometries_MatchReference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        Gen.Frequency((4, Geometry), (1, Pointwise)).Select(Gen.Int, Gen.Bool).Sample(t =>
        {
            var (g, seed, withBias) = t;
            CheckAllPasses(new Conv2DIm2ColGemm(path), g, seed, withBias);
        }, iter: 60);
    }

    [Fact]
    public void AllPasses_AwkwardShapes_MatchReference()
    {
        int seed = 0;
        foreach (var g in Awkward)
        {
            CheckAllPasses(new Conv2DIm2ColGemm(), g, ++seed, withBias: true);
            CheckAllPasses(new Conv2DIm2ColGemm(), g, ++seed, withBias: false);
        }
    }

    [Fact]
    // One kernel instance reused across geometries (scratch buffers shrink and grow), and a
    // single-threaded instance, must give the same bits as a fresh multi-threaded instance:
    // per item, each pass is the same sequence of operations whatever the split.
    public void Forward_ReusedInstanceAndOneThread_GiveIdenticalBits()
    {
        var big = new Conv2DGeometry(4, 6, 12, 10, 8, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        var small = new Conv2DGeometry(1, 2, 3, 3, 2, 2, 2);
        var random = new Random(7);
        var input = GemmTests.RandomValues(random, big.InputLength);
        var weight = GemmTests.RandomValues(random, big.WeightLength);
        var bias = GemmTests.RandomValues(random, big.OutChannels);
        var reused = new Conv2DIm2ColGemm();
        var first = new float[big.OutputLength];
        reused.Forward(big, input, weight, bias, first);
        reused.Forward(small, input.AsSpan(0, small.InputLength), weight.AsSpan(0, small.WeightLength), bias.AsSpan(0, 2), new float[small.OutputLength]);
        var again = new float[big.OutputLength];
        reused.Forward(big, input, weight, bias, again);
        var serial = new float[big.OutputLength];
        new Conv2DIm2ColGemm(maxThreads: 1).Forward(big, input, weight, bias, serial);
        Assert.Equal(first, again);
        Assert.Equal(first, serial);
    }

    [Fact]
    // The kernel keeps its scratch buffers: once warm, the three passes allocate nothing.
    public void AllPasses_Warm_AllocateNothing() =>
        CheckWarmPassesAllocateNothing(new Conv2DIm2ColGemm(maxThreads: 1),
            new Conv2DGeometry(3, 4, 9, 9, 6, 3, 3, StrideH: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1));

    [Fact]
    // The weight gradient after ForwardTraining reuses the kept im2col matrices: the same
    // bits as packing them again; a plain forward pass in between (or another input) drops them.
    public void BackwardWeight_AfterForwardTraining_GivesTheSameBits_AndAPlainForwardDropsThem()
    {
        var g = new Conv2DGeometry(5, 6, 14, 14, 16, 5, 5);
        var random = new Random(9);
        var input = GemmTests.RandomValues(random, g.InputLength);
        var weight = GemmTests.RandomValues(random, g.WeightLength);
        var dOutput = GemmTests.RandomValues(random, g.OutputLength);
        var output = new float[g.OutputLength];
        float[] Gradient(Conv2DIm2ColGemm kernel, float[] x)
        {
            var dWeight = new float[g.WeightLength];
            kernel.BackwardWeight(g, x, dOutput, dWeight, new float[g.OutChannels]);
            return dWeight;
        }
        var expected = Gradient(new Conv2DIm2ColGemm(), input);

        var keeping = new Conv2DIm2ColGemm();
        keeping.ForwardTraining(g, input, weight, default, output, rectify: false);
        Assert.Equal(expected, Gradient(keeping, input));

        // The input changes in place, then a plain forward pass: the kept matrices are stale.
        var changed = GemmTests.RandomValues(new Random(10), g.InputLength);
        keeping.ForwardTraining(g, input, weight, default, output, rectify: true);
        changed.CopyTo(input, 0);
        keeping.Forward(g, input, weight, default, output);
        Assert.Equal(Gradient(new Conv2DIm2ColGemm(), input), Gradient(keeping, input));
    }

    [Fact]
    public void Forward_OutputTooShort_SaysWhichBuffer()
    {
        var g = new Conv2DGeometry(2, 3, 5, 5, 4, 3, 3);
        var e = Assert.Throws<ArgumentException>(() =>
            new Conv2DIm2ColGemm().Forward(g, new float[g.InputLength], new float[g.WeightLength], default, new float[10]));
        Assert.Equal("Conv2DIm2ColGemm.Forward: expected input of 150, weight of 108 and output of 72 values; got 150, 108 and 10.", e.Message);
    }

    /// <summary>
    /// Every pass <paramref name="kernel"/> has for <paramref name="g"/> (the pooled forward and
    /// the one-pass backward too, where it takes them), run once to warm up, then twice more:
    /// those two allocate nothing.
    /// </summary>
    internal static void CheckWarmPassesAllocateNothing(IConv2DKernel kernel, Conv2DGeometry g)
    {
        var random = new Random(8);
        var input = GemmTests.RandomValues(random, g.InputLength);
        var weight = GemmTests.RandomValues(random, g.WeightLength);
        var bias = GemmTests.RandomValues(random, g.OutChannels);
        var output = new float[g.OutputLength];
        var pooled = new float[g.OutputLength / 4];
        var dInput = new float[g.InputLength];
        var dWeight = new float[g.WeightLength];
        var dBias = new float[g.OutChannels];
        void AllPasses()
        {
            kernel.Forward(g, input, weight, bias, output);
            kernel.ForwardRectified(g, input, weight, bias, output);
            if (kernel is Conv2DDispatcher fused && fused.CanForwardRectifiedPooled(g))
                fused.ForwardRectifiedPooled(g, input, weight, bias, pooled);
            kernel.BackwardInput(g, output, weight, dInput);
            kernel.BackwardWeight(g, input, output, dWeight, dBias);
            if (kernel is Conv2DDispatcher both && both.CanBackward(g))
                both.Backward(g, input, output, output, weight, dInput, dWeight, dBias);
        }
        // This thread's GEMM buffer, which a threaded warm-up may by chance not make (the workers can take every part).
        Gemm.ReserveThreadBuffer();
        AllPasses();
        long before = GC.GetAllocatedBytesForCurrentThread();
        AllPasses();
        AllPasses();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// Weights changed in place between calls, in the same array, as an optimizer changes them:
    /// the next forward pass and input gradient use the new weights (a kernel that keeps what it
    /// derived from the weights must notice).
    /// </summary>
    internal static void CheckWeightsChangedInPlace(IConv2DKernel kernel, Conv2DGeometry g)
    {
        var random = new Random(11);
        var input = GemmTests.RandomValues(random, g.InputLength);
        var weight = GemmTests.RandomValues(random, g.WeightLength);
        var dOutput = GemmTests.RandomValues(random, g.OutputLength);
        var output = new float[g.OutputLength];
        var dInput = new float[g.InputLength];
        kernel.Forward(g, input, weight, [], output);
        kernel.BackwardInput(g, dOutput, weight, dInput);
        weight[5] += 1f;
        weight[g.WeightLength - 1] = -weight[g.WeightLength - 1];
        kernel.Forward(g, input, weight, [], output);
        kernel.BackwardInput(g, dOutput, weight, dInput);
        var expected = new float[g.OutputLength];
        var expectedInput = new float[g.InputLength];
        Conv2DReference.Instance.Forward(g, input, weight, [], expected);
        Conv2DReference.Instance.BackwardInput(g, dOutput, weight, expectedInput);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - output[i]) <= 1e-4f, $"output[{i}] = {output[i]}, reference {expected[i]}");
        for (int i = 0; i < expectedInput.Length; i++)
            Assert.True(Math.Abs(expectedInput[i] - dInput[i]) <= 1e-4f, $"dInput[{i}] = {dInput[i]}, reference {expectedInput[i]}");
    }

    /// <summary>
    /// The fused convolution, ReLU and 2x2 max pooling of <paramref name="kernel"/> against the
    /// reference convolution, rectified and pooled here with plain loops; each pooled value
    /// within 1e-5 of (1 + the largest |value| of its window computed on absolute inputs).
    /// </summary>
    internal static void CheckPooled(IConv2DPooledForward kernel, Conv2DGeometry g, int seed)
    {
        var random = new Random(seed);
        var input = GemmTests.RandomValues(random, g.InputLength);
        var weight = GemmTests.RandomValues(random, g.WeightLength);
        var bias = GemmTests.RandomValues(random, g.OutChannels);
        var full = new float[g.OutputLength];
        var magnitude = new float[g.OutputLength];
        Conv2DReference.Instance.Forward(g, input, weight, bias, full);
        Conv2DReference.Instance.Forward(g, [.. input.Select(Math.Abs)], [.. weight.Select(Math.Abs)], [.. bias.Select(Math.Abs)], magnitude);
        int ph = g.OutH / 2, pw = g.OutW / 2;
        var pooled = Enumerable.Repeat(float.NaN, g.Batch * g.OutChannels * ph * pw).ToArray(); // must be overwritten
        kernel.ForwardRectifiedPooled(g, input, weight, bias, pooled);
        for (int plane = 0; plane < g.Batch * g.OutChannels; plane++)
            for (int y = 0; y < ph; y++)
                for (int x = 0; x < pw; x++)
                {
                    int at = plane * g.OutH * g.OutW + 2 * y * g.OutW + 2 * x;
                    int[] window = [at, at + 1, at + g.OutW, at + g.OutW + 1];
                    float expected = Math.Max(0, window.Max(i => full[i]));
                    double allowed = 1e-5 * (1 + window.Max(i => magnitude[i]));
                    float actual = pooled[(plane * ph + y) * pw + x];
                    Assert.True(Math.Abs(actual - expected) <= allowed, $"pooled[{plane}, {y}, {x}] = {actual}, reference {expected}, for {g}");
                }
    }

    internal static void CheckAllPasses(IConv2DKernel fast, Conv2DGeometry g, int seed, bool withBias)
    {
        var reference = Conv2DReference.Instance;
        var random = new Random(seed);
        var input = GemmTests.RandomValues(random, g.InputLength);
        var weight = GemmTests.RandomValues(random, g.WeightLength);
        var bias = withBias ? GemmTests.RandomValues(random, g.OutChannels) : [];
        var dOutput = GemmTests.RandomValues(random, g.OutputLength);
        var dWeight0 = GemmTests.RandomValues(random, g.WeightLength);
        var dBias0 = withBias ? GemmTests.RandomValues(random, g.OutChannels) : [];
        float[] Abs(float[] values) => [.. values.Select(Math.Abs)];

        // Forward.
        var expected = new float[g.OutputLength];
        var actual = new float[g.OutputLength];
        var magnitude = new float[g.OutputLength];
        reference.Forward(g, input, weight, bias, expected);
        fast.Forward(g, input, weight, bias, actual);
        reference.Forward(g, Abs(input), Abs(weight), Abs(bias), magnitude);
        AssertClose(g, "Forward output", expected, actual, magnitude);

        // Forward with the ReLU fused: max(0, the reference's output).
        var rectified = Enumerable.Repeat(float.NaN, g.OutputLength).ToArray();
        fast.ForwardRectified(g, input, weight, bias, rectified);
        AssertClose(g, "ForwardRectified output", [.. expected.Select(v => Math.Max(v, 0f))], rectified, magnitude);
        var forwardOutput = actual;

        // BackwardInput.
        expected = new float[g.InputLength];
        actual = Enumerable.Repeat(float.NaN, g.InputLength).ToArray(); // must be overwritten
        magnitude = new float[g.InputLength];
        reference.BackwardInput(g, dOutput, weight, expected);
        fast.BackwardInput(g, dOutput, weight, actual);
        reference.BackwardInput(g, Abs(dOutput), Abs(weight), magnitude);
        AssertClose(g, "BackwardInput dInput", expected, actual, magnitude);

        // BackwardWeight, accumulating into non-zero gradients.
        var expectedWeight = (float[])dWeight0.Clone();
        var actualWeight = (float[])dWeight0.Clone();
        var weightMagnitude = Abs(dWeight0);
        var expectedBias = (float[])dBias0.Clone();
        var actualBias = (float[])dBias0.Clone();
        var biasMagnitude = Abs(dBias0);
        reference.BackwardWeight(g, input, dOutput, expectedWeight, expectedBias);
        fast.BackwardWeight(g, input, dOutput, actualWeight, actualBias);
        reference.BackwardWeight(g, Abs(input), Abs(dOutput), weightMagnitude, biasMagnitude);
        AssertClose(g, "BackwardWeight dWeight", expectedWeight, actualWeight, weightMagnitude);
        AssertClose(g, "BackwardWeight dBias", expectedBias, actualBias, biasMagnitude);

        // The direct kernel's weight gradient behind a fused ReLU: the reference on dOutput gated by output > 0.
        if (fast is Conv2DDispatcher dispatcher && dispatcher.Choose(Conv2DPass.BackwardWeight, g).Kernel == Conv2DAlgorithm.Direct)
        {
            var relu = forwardOutput.Select(v => Math.Max(v, 0f)).ToArray();
            var gated = dOutput.Select((d, i) => relu[i] > 0 ? d : 0f).ToArray();
            expectedWeight = (float[])dWeight0.Clone();
            actualWeight = (float[])dWeight0.Clone();
            weightMagnitude = Abs(dWeight0);
            expectedBias = (float[])dBias0.Clone();
            actualBias = (float[])dBias0.Clone();
            biasMagnitude = Abs(dBias0);
            reference.BackwardWeight(g, input, gated, expectedWeight, expectedBias);
            Assert.True(dispatcher.TryBackwardWeightRectified(g, input, dOutput, relu, actualWeight, actualBias));
            reference.BackwardWeight(g, Abs(input), Abs(gated), weightMagnitude, biasMagnitude);
            AssertClose(g, "BackwardWeightRectified dWeight", expectedWeight, actualWeight, weightMagnitude);
            AssertClose(g, "BackwardWeightRectified dBias", expectedBias, actualBias, biasMagnitude);
        }
    }

    private static void AssertClose(Conv2DGeometry g, string what, float[] expected, float[] actual, float[] magnitude)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = 1e-5 * (1 + magnitude[i]);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= allowed,
                $"{what}[{i}] = {actual[i]}, reference {expected[i]}, allowed error {allowed}, for {g}");
        }
    }
}
