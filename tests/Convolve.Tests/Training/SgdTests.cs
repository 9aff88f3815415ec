using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using Convolve.Layers;
using Convolve.Tensors;
using Convolve.Tests.Kernels;
using Convolve.Tests.Kernels.Cpu;
using Convolve.Training;

namespace Convolve.Tests.Training;

/// <summary>
/// The vectorised, threaded SGD update against the rule written out as a plain loop here
/// (the class summary's formulas), on a tensor long enough to be split over threads and with
/// a tail past the last 16 values: the same bits, whatever the thread cap; and its kernel,
/// <see cref="SgdUpdate"/>, against <see cref="SgdReference"/> at every vector width.
/// </summary>
public class SgdTests
{
    [Theory]
    [InlineData(0f, false, 0f)]
    [InlineData(0.9f, false, 0.01f)]
    [InlineData(0.8f, true, 0f)]
    public void Step_LongTensor_MatchesPlainLoopBitForBit(float momentum, bool nesterov, float decay)
    {
        const int length = 200_003;
        const float lr = 0.05f;
        var random = new Random(3);
        var start = new float[length];
        for (int i = 0; i < length; i++) start[i] = (float)(random.NextDouble() * 2 - 1);
        var expected = (float[])start.Clone();
        var velocity = new float[length];
        foreach (int threads in new[] { 1, 2, 0 })
        {
            var p = new Parameter("weight", new Shape(length));
            start.CopyTo(p.Value.Span);
            var sgd = new Sgd([p], momentum, nesterov, decay);
            for (int step = 1; step <= 3; step++)
            {
                for (int i = 0; i < length; i++) p.Gradient[i] = 0.3f * p.Value[i] + step * (i % 7 - 3);
                sgd.Step(lr, threads);
            }
            if (threads == 1)
            {
                // The rule, one value at a time: g = grad + decay * p; v = momentum * v + g;
                // p -= lr * v (Nesterov: p -= lr * (g + momentum * v)); without momentum p -= lr * g.
                for (int step = 1; step <= 3; step++)
                    for (int i = 0; i < length; i++)
                    {
                        float g = 0.3f * expected[i] + step * (i % 7 - 3) + decay * expected[i];
                        if (momentum == 0)
                        {
                            expected[i] -= lr * g;
                            continue;
                        }
                        velocity[i] = momentum * velocity[i] + g;
                        expected[i] -= lr * (nesterov ? g + momentum * velocity[i] : velocity[i]);
                    }
            }
            for (int i = 0; i < length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(p.Value[i]),
                    $"threads {threads}, value {i}: {p.Value[i]:R}, plain loop {expected[i]:R}");
        }
    }

    [Theory]
    [InlineData(0f, false, 0f)]
    [InlineData(0.9f, false, 0.01f)]
    [InlineData(0.8f, true, 0.001f)]
    // Every accelerated width and the plain loop, lengths from 0 to past the thread split, with
    // tails of every size: the reference's bits, value and velocity.
    public void SgdUpdate_AtEveryWidth_MatchesReferenceBitForBit(float momentum, bool nesterov, float decay)
    {
        SimdWidth[] widths = [.. new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128, SimdWidth.Scalar }.Where(Simd.IsAccelerated)];
        int[] lengths = [.. Enumerable.Range(0, 40), 1000, (1 << 17) + 13, 300_007];
        foreach (int length in lengths)
        {
            var random = new Random(length);
            var start = GemmTests.RandomValues(random, length);
            var gradient = GemmTests.RandomValues(random, length);
            var startVelocity = momentum > 0 ? GemmTests.RandomValues(random, length) : [];
            var expected = (float[])start.Clone();
            var expectedVelocity = (float[])startVelocity.Clone();
            SgdReference.Update(expected, gradient, expectedVelocity, 0.05f, momentum, nesterov, decay);
            foreach (var width in widths)
                foreach (int threads in new[] { 1, 2 })
                {
                    var actual = (float[])start.Clone();
                    var actualVelocity = (float[])startVelocity.Clone();
                    SgdUpdate.Update(actual, gradient, actualVelocity, 0.05f, momentum, nesterov, decay, threads, width);
                    for (int i = 0; i < length; i++)
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                            $"{width}, threads {threads}, length {length}, value {i}: {actual[i]:R}, reference {expected[i]:R}");
                        if (momentum > 0)
                            Assert.True(BitConverter.SingleToInt32Bits(expectedVelocity[i]) == BitConverter.SingleToInt32Bits(actualVelocity[i]),
                                $"{width}, threads {threads}, length {length}, velocity {i}");
                    }
                }
        }
    }
}
