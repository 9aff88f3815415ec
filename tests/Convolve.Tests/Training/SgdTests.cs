using Convolve.Layers;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Training;

/// <summary>
/// The vectorised, threaded SGD update against the rule written out as a plain loop here
/// (the class summary's formulas), on a tensor long enough to be split over threads and with
/// a tail past the last 16 values: the same bits, whatever the thread cap.
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
            var sgd = new Sgd([p], lr, momentum, nesterov, decay) { MaxThreads = threads };
            for (int step = 1; step <= 3; step++)
            {
                for (int i = 0; i < length; i++) p.Gradient[i] = 0.3f * p.Value[i] + step * (i % 7 - 3);
                sgd.Step();
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
}
