using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>The <see cref="InstanceNorm2D"/> layer: gradients against finite differences, batch norm of one sample, messages, the model file.</summary>
public sealed class InstanceNorm2DTests
{
    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, 1e-5f)]
    [InlineData(new[] { 3, 2, 3, 3 }, 0.5f)]
    [InlineData(new[] { 2, 3, 7 }, 1e-5f)]     // [N, C, L]
    [InlineData(new[] { 2, 2, 1, 2 }, 1e-3f)]  // planes of two values
    public void Backward_MatchesFiniteDifferences_ForInputScaleAndBias(int[] shape, float epsilon)
    {
        // GradientCheck draws the scale and bias at random and checks both gradients with the input's.
        GradientCheck.Check(new InstanceNorm2D(shape[1], epsilon), new Shape(shape), seed: 4);
    }

    [Fact]
    public void OneSample_IsBatchNormInTraining()
    {
        // With N = 1, batch statistics are the sample's: forward and backward must agree with BatchNorm2D's training pass.
        var random = new Random(7);
        var shape = new Shape(1, 4, 5, 6);
        var instance = new InstanceNorm2D(4, 1e-3f);
        var batch = new BatchNorm2D(4, 1e-3f);
        for (int c = 0; c < 4; c++)
        {
            instance.Weight.Value[c] = batch.Weight.Value[c] = (float)random.NextDouble() + 0.5f;
            instance.Bias.Value[c] = batch.Bias.Value[c] = (float)random.NextDouble() - 0.5f;
        }
        var x = GradientCheck.RandomTensor(shape, random);
        var dy = GradientCheck.RandomTensor(shape, random);
        AssertClose(batch.Forward(x, training: true).ToArray(), instance.Forward(x).ToArray(), 1e-5f);
        AssertClose(batch.Backward(dy).ToArray(), instance.Backward(dy).ToArray(), 1e-4f);
        AssertClose(batch.Weight.Gradient.ToArray(), instance.Weight.Gradient.ToArray(), 1e-4f);
        AssertClose(batch.Bias.Gradient.ToArray(), instance.Bias.Gradient.ToArray(), 1e-4f);
    }

    [Fact]
    public void EachPlane_IsNormalisedOnItsOwn()
    {
        // Two samples of one channel, the second a shifted and scaled copy of the first: the same output.
        var x = Tensor.FromArray([1, 2, 4, 7, 10, 20, 40, 70], 2, 1, 4);
        for (int i = 4; i < 8; i++) x[i] = 3 * x[i - 4] - 5;
        var y = new InstanceNorm2D(1, epsilon: 0).Forward(x).ToArray();
        AssertClose(y[..4], y[4..], 1e-5f);
        Assert.True(Math.Abs(y[..4].Sum()) < 1e-5f && Math.Abs(y[..4].Sum(v => v * v) / 4 - 1) < 1e-5f, $"[{string.Join(", ", y)}]");
    }

    [Fact]
    public void BadShapesAndOptions_AreRefused_SayingWhy()
    {
        var layer = new InstanceNorm2D(3);
        Assert.Equal("InstanceNorm2D(3): expected input [N, C, H, W] or [N, C, L], got [2, 3].",
            Assert.Throws<ShapeException>(() => layer.GetOutputShape(new Shape(2, 3))).Message);
        Assert.Equal("InstanceNorm2D(3): expected input with 3 channels, got [2, 4, 5, 5].",
            Assert.Throws<ShapeException>(() => layer.GetOutputShape(new Shape(2, 4, 5, 5))).Message);
        Assert.Equal("InstanceNorm2D: channels must be positive, got 0.", Assert.Throws<ArgumentException>(() => new InstanceNorm2D(0)).Message);
        Assert.Equal("InstanceNorm2D: epsilon must be zero or positive and finite, got -1.",
            Assert.Throws<ArgumentException>(() => new InstanceNorm2D(2, -1)).Message);
        Assert.Equal("InstanceNorm2D(2, eps=0.001)", new InstanceNorm2D(2, 1e-3f).ToString());
    }

    [Fact]
    public void Config_AndParameters_RoundTripThroughTheModelFile()
    {
        var model = new Sequential(new Conv2D(1, 4, 3), new InstanceNorm2D(4, 1e-3f), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 6, 6), seed: 1);
        var norm = (InstanceNorm2D)model.Layers[1];
        for (int c = 0; c < 4; c++) (norm.Weight.Value[c], norm.Bias.Value[c]) = (0.5f + c, 0.25f * c);
        var input = GradientCheck.RandomTensor(new Shape(3, 1, 6, 6), new Random(3));
        var expected = model.Forward(input).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"instancenorm-{Guid.NewGuid():N}.cvm");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(model.ToString(), loaded.ToString());
            Assert.Equal(expected, loaded.Forward(input).ToArray());
            Assert.Equal(new InstanceNorm2DConfig(4, 1e-3f), loaded.Layers[1].GetConfig());
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void ASecondBatch_AllocatesNothing(int maxThreads)
    {
        var shape = new Shape(8, 16, 16, 16);  // large enough to split between threads with maxThreads 0
        var layer = new InstanceNorm2D(16) { MaxThreads = maxThreads };
        var input = GradientCheck.RandomTensor(shape, new Random(1));
        var dOutput = GradientCheck.RandomTensor(shape, new Random(2));
        layer.Forward(input);
        layer.Backward(dOutput);
        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(input);
        layer.Backward(dOutput);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: {actual[i]}, expected {expected[i]}");
    }
}
