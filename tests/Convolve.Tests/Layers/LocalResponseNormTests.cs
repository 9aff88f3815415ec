using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>The <see cref="LocalResponseNorm"/> layer: gradients against finite differences, messages, the model file.</summary>
public sealed class LocalResponseNormTests
{
    // A large alpha, so that the cross-channel term of the gradient is as large as the direct one.
    [Theory]
    [InlineData(1, 0.75f)]
    [InlineData(2, 0.75f)]
    [InlineData(3, 0.75f)]
    [InlineData(5, 0.75f)]
    [InlineData(4, 1.3f)]
    [InlineData(9, 0.5f)]   // wider than the channels
    public void Backward_MatchesFiniteDifferences(int size, float beta)
    {
        GradientCheck.Check(new LocalResponseNorm(size, alpha: 2f, beta: beta, bias: 1.5f), new Shape(2, 5, 3, 2), seed: size);
    }

    [Fact]
    public void Backward_MatchesFiniteDifferences_OnAThreeDimensionalInput()
    {
        GradientCheck.Check(new LocalResponseNorm(3, alpha: 1f), new Shape(2, 4, 5), seed: 2);
    }

    [Fact]
    public void EachValue_IsDividedByItsChannelWindow()
    {
        // One position, channels [1, 2, 3, 4], size 3, alpha 3 (alpha / size = 1), beta 1, bias 1.
        var y = new LocalResponseNorm(3, alpha: 3, beta: 1, bias: 1).Forward(Tensor.FromArray([1, 2, 3, 4], 1, 4, 1, 1)).ToArray();
        InstanceNorm2DTests.AssertClose([1f / (1 + 1 + 4), 2f / (1 + 1 + 4 + 9), 3f / (1 + 4 + 9 + 16), 4f / (1 + 9 + 16)], y, 1e-6f);
    }

    [Fact]
    public void BadShapesAndOptions_AreRefused_SayingWhy()
    {
        Assert.Equal("LocalResponseNorm(size=5): expected input [N, C, H, W] or [N, C, L], got [2, 3].",
            Assert.Throws<ShapeException>(() => new LocalResponseNorm(5).GetOutputShape(new Shape(2, 3))).Message);
        Assert.Equal("LocalResponseNorm: size must be positive, got 0.", Assert.Throws<ArgumentException>(() => new LocalResponseNorm(0)).Message);
        Assert.Equal("LocalResponseNorm: alpha, beta and bias must be finite, got NaN, 0.75 and 1.",
            Assert.Throws<ArgumentException>(() => new LocalResponseNorm(3, float.NaN)).Message);
        Assert.Equal("LocalResponseNorm(size=3, alpha=0.001, bias=2)", new LocalResponseNorm(3, 1e-3f, bias: 2).ToString());
    }

    [Fact]
    public void Config_RoundTripsThroughTheModelFile()
    {
        var model = new Sequential(new Conv2D(1, 6, 3), new LocalResponseNorm(3, 0.1f, 0.6f, 2), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 6, 6), seed: 1);
        var input = GradientCheck.RandomTensor(new Shape(3, 1, 6, 6), new Random(3));
        var expected = model.Forward(input).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"lrn-{Guid.NewGuid():N}.cvm");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(model.ToString(), loaded.ToString());
            Assert.Equal(expected, loaded.Forward(input).ToArray());
            Assert.Equal(new LocalResponseNormConfig(3, 0.1f, 0.6f, 2), loaded.Layers[1].GetConfig());
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void ASecondBatch_AllocatesNothing(int maxThreads)
    {
        var shape = new Shape(8, 16, 16, 16);
        var layer = new LocalResponseNorm(5) { MaxThreads = maxThreads };
        var input = GradientCheck.RandomTensor(shape, new Random(1));
        var dOutput = GradientCheck.RandomTensor(shape, new Random(2));
        layer.Forward(input);
        layer.Backward(dOutput);
        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(input);
        layer.Backward(dOutput);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
