using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Layers;

namespace Convolve.Tests.Models;

public class ThreadsTests
{
    /// <summary>
    /// One thread and one per core compute the same model: equal outputs and input gradients
    /// (split by batch item), weight gradients equal up to the rounding of per-thread partial sums.
    /// </summary>
    [Fact]
    public void OneThread_AndAllCores_ComputeTheSameModel()
    {
        Model Build(int threads)
        {
            var model = Architectures.Get("lenet5").Build(seed: 2);
            model.SetMaxThreads(threads);
            return model;
        }
        var single = Build(1);
        var all = Build(0);
        Assert.All(single.Layers.OfType<IThreadedLayer>(), layer => Assert.Equal(1, layer.MaxThreads));
        var input = GradientCheck.RandomTensor(new Shape(16, 1, 28, 28), new Random(5));
        var upstream = GradientCheck.RandomTensor(new Shape(16, 10), new Random(6));

        Assert.Equal(all.Forward(input, training: true).ToArray(), single.Forward(input, training: true).ToArray());
        Assert.Equal(all.Backward(upstream).ToArray(), single.Backward(upstream).ToArray());
        float[] expected = all.ParameterGradients.ToArray(), actual = single.ParameterGradients.ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"gradient {i}: {expected[i]} vs {actual[i]}");
        Assert.Throws<ArgumentOutOfRangeException>(() => all.SetMaxThreads(-1));
    }
}
