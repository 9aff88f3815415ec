using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using Convolve.Layers;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Training;

/// <summary>
/// The vectorised, threaded Adam update, <see cref="AdamUpdate"/>, against <see cref="AdamReference"/>
/// at every vector width: the same bits in the values and both moments, on lengths with tails
/// of every size and long enough to be split over threads; and <see cref="Adam"/> over several
/// steps against the reference applied step by step.
/// </summary>
public class AdamTests
{
    public static TheoryData<float, float, float, bool> Settings => new()
    {
        { 0.9f, 0.999f, 0f, false },      // PyTorch's defaults
        { 0.8f, 0.99f, 0.1f, false },     // L2 weight decay
        { 0.9f, 0.999f, 0.01f, true },    // AdamW
        { 0f, 0.5f, 0.3f, true },         // no running mean, a short memory for the square
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void AdamUpdate_AtEveryWidth_MatchesReferenceBitForBit(float beta1, float beta2, float decay, bool decoupled)
    {
        SimdWidth[] widths = [.. new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128, SimdWidth.Scalar }.Where(Simd.IsAccelerated)];
        var sizes = new Random(11);
        int[] lengths = [.. Enumerable.Range(0, 40), .. Enumerable.Range(0, 6).Select(_ => sizes.Next(41, 5000)), (1 << 17) + 13, 300_007];
        foreach (int length in lengths)
            foreach (long step in new long[] { 1, 2, 50 })
            {
                var random = new Random(length * 7 + (int)step);
                var start = Values(random, length);
                var gradient = Values(random, length);
                // Moments as a run leaves them: any mean, a square of 0 or more (0 at the first step).
                var startMean = step == 1 ? new float[length] : Values(random, length);
                var startSquare = step == 1 ? new float[length] : [.. Values(random, length).Select(x => x * x)];
                var (expected, expectedMean, expectedSquare) = ((float[])start.Clone(), (float[])startMean.Clone(), (float[])startSquare.Clone());
                AdamReference.Update(expected, gradient, expectedMean, expectedSquare, 0.01f, beta1, beta2, 1e-8f, decay, decoupled, step);
                foreach (var width in widths)
                    foreach (int threads in new[] { 1, 2 })
                    {
                        var (actual, actualMean, actualSquare) = ((float[])start.Clone(), (float[])startMean.Clone(), (float[])startSquare.Clone());
                        AdamUpdate.Update(actual, gradient, actualMean, actualSquare, 0.01f, beta1, beta2, 1e-8f, decay, decoupled, step, threads, width);
                        string where = $"{width}, threads {threads}, length {length}, step {step}";
                        AssertSameBits(expected, actual, $"{where}, value");
                        AssertSameBits(expectedMean, actualMean, $"{where}, mean");
                        AssertSameBits(expectedSquare, actualSquare, $"{where}, square");
                    }
            }
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Step_LongTensor_OverSeveralSteps_MatchesTheReferenceBitForBit(float beta1, float beta2, float decay, bool decoupled)
    {
        const int length = 200_003;
        var random = new Random(5);
        var start = Values(random, length);
        var expected = (float[])start.Clone();
        float[] mean = new float[length], square = new float[length];
        float[] rates = [0.01f, 0.004f, 0f]; // as a schedule gives them, down to 0
        for (int step = 1; step <= rates.Length; step++)
        {
            var gradient = Gradient(expected, step);
            AdamReference.Update(expected, gradient, mean, square, rates[step - 1], beta1, beta2, 1e-8f, decay, decoupled, step);
        }
        foreach (int threads in new[] { 1, 2, 0 })
        {
            var p = new Parameter("weight", new Shape(length));
            start.CopyTo(p.Value.Span);
            Adam adam = decoupled ? new AdamW([p], beta1, beta2, weightDecay: decay) : new Adam([p], beta1, beta2, weightDecay: decay);
            for (int step = 1; step <= rates.Length; step++)
            {
                Gradient(p.Value.Span.ToArray(), step).CopyTo(p.Gradient.Span);
                adam.Step(rates[step - 1], threads);
            }
            Assert.Equal(rates.Length, adam.Steps);
            AssertSameBits(expected, p.Value.Span.ToArray(), $"threads {threads}");
        }
    }

    [Fact]
    public void AdamUpdate_WithFewerGradientsOrMomentsThanValues_SaysWhichAreShort()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            AdamUpdate.Update(new float[4], new float[4], new float[3], new float[4], 0.01f, 0.9f, 0.999f, 1e-8f, 0, false, 1));
        Assert.Equal("AdamUpdate: 4 values need as many gradients (got 4) and moments (got 3 and 4).", e.Message);
    }

    private static float[] Gradient(float[] value, int step) => [.. value.Select((p, i) => 0.3f * p + step * (i % 7 - 3) * 0.1f)];

    private static float[] Values(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = random.NextSingle() * 2 - 1;
        return values;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{where} {i}: {actual[i]:R}, reference {expected[i]:R}");
    }
}
