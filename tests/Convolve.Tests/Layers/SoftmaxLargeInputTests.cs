using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>
/// Softmax of large scores (found by ONNX's test_softmax_large_number, which gave NaN on the
/// last axis): e^10000 overflows, so the max must be subtracted first. Softmax is unchanged by
/// adding a constant to every score, so the expected values are those of 0, 1, 2, 3, computed
/// here in double.
/// </summary>
public class SoftmaxLargeInputTests
{
    private static double[] SoftmaxOf0123()
    {
        double sum = Enumerable.Range(0, 4).Sum(i => Math.Exp(i));
        return Enumerable.Range(0, 4).Select(i => Math.Exp(i) / sum).ToArray();
    }

    [Fact]
    public void LastAxis_ScoresNear10000_GiveFiniteProbabilities()
    {
        var x = Tensor.FromArray([10000f, 10001f, 10002f, 10003f, -3f, -2f, -1f, 0f], 2, 4);
        var y = new Softmax().Forward(x);
        var expected = SoftmaxOf0123();
        for (int row = 0; row < 2; row++)
            for (int i = 0; i < 4; i++)
                Assert.Equal(expected[i], y[row, i], 1e-6);
    }

    [Fact]
    public void FirstAxis_ScoresNear10000_GiveFiniteProbabilities()
    {
        // Two columns (the strided path): 10000..10003 and 0..3.
        var x = Tensor.FromArray([10000f, 0f, 10001f, 1f, 10002f, 2f, 10003f, 3f], 4, 2);
        var y = new Softmax(axis: 0).Forward(x);
        var expected = SoftmaxOf0123();
        for (int i = 0; i < 4; i++)
            for (int column = 0; column < 2; column++)
                Assert.Equal(expected[i], y[i, column], 1e-6);
    }
}
