using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Layers;

/// <summary>The <see cref="LogSoftmax"/> layer: values, stability, gradients, training with it as the head, the model file.</summary>
public sealed class LogSoftmaxTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(2)]
    public void Backward_MatchesFiniteDifferences(int axis) => GradientCheck.Check(new LogSoftmax(axis), new Shape(2, 4, 3));

    [Fact]
    public void Forward_IsTheLogOfSoftmax_AlongEitherAxis()
    {
        var x = GradientCheck.RandomTensor(new Shape(2, 3, 4), new Random(5));
        foreach (int axis in new[] { -1, 1 })
        {
            var expected = new Softmax(axis).Forward(x).ToArray().Select(v => MathF.Log(v)).ToArray();
            var actual = new LogSoftmax(axis).Forward(x).ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    [Fact]
    public void Forward_StaysFinite_ForLargeScores()
    {
        // e^1000 overflows float; x - max - log(sum e^(x - max)) does not, and keeps the gaps.
        var y = new LogSoftmax().Forward(Tensor.FromArray([1000f, 990, -1000], 1, 3)).ToArray();
        Assert.Equal(-MathF.Log(1 + MathF.Exp(-10)), y[0], 1e-6f);
        Assert.Equal(-10 - MathF.Log(1 + MathF.Exp(-10)), y[1], 1e-5f);
        Assert.Equal(-2000, y[2], 1e-3f);
        var strided = new LogSoftmax(1).Forward(Tensor.FromArray([1000f, -1000, 990, 0], 1, 2, 2)).ToArray();
        Assert.All(strided, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Training_WithALogSoftmaxHead_IsNllLoss_AndTakesTheSameSteps_AsLogits()
    {
        // Cross-entropy of log-probabilities is their negative log-likelihood at the label (PyTorch's
        // NLLLoss after log_softmax): the log-sum-exp of log-probabilities is 0. Its gradient,
        // softmax(z) - onehot, sums to 0 per row, so LogSoftmax's backward passes it through: the
        // same steps as the model without the head.
        var images = GradientCheck.RandomTensor(new Shape(6, 5), new Random(1));
        int[] labels = [0, 2, 1, 1, 0, 2];
        Sequential Make(bool head)
        {
            var model = head
                ? new Sequential(new Dense(8), new ReLU(), new Dense(3), new LogSoftmax())
                : new Sequential(new Dense(8), new ReLU(), new Dense(3));
            model.Build(new Shape(5), seed: 4);
            return model;
        }
        var withHead = Make(true);
        var logits = Make(false);
        var logProbabilities = withHead.Forward(images);
        float nll = (float)-labels.Select((label, n) => (double)logProbabilities[n * 3 + label]).Average();

        var trainerHead = new Trainer(withHead, new Sgd(withHead.Parameters, momentum: 0), learningRate: 0.1f);
        var trainerLogits = new Trainer(logits, new Sgd(logits.Parameters, momentum: 0), learningRate: 0.1f);
        var first = trainerHead.TrainStep(images, labels);
        Assert.Equal(nll, first.Loss, 1e-5f);
        Assert.Equal(trainerLogits.TrainStep(images, labels).Loss, first.Loss, 1e-5f);
        float last = first.Loss;
        for (int step = 0; step < 5; step++)
        {
            var a = trainerHead.TrainStep(images, labels);
            var b = trainerLogits.TrainStep(images, labels);
            Assert.Equal(b.Loss, a.Loss, 1e-5f);
            last = a.Loss;
        }
        Assert.True(last < first.Loss, $"loss {first.Loss} -> {last} did not fall");
        foreach (var (expectedParameter, actualParameter) in logits.Parameters.Zip(withHead.Parameters))
        {
            var expected = expectedParameter.Value.ToArray();
            var actual = actualParameter.Value.ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    [Fact]
    public void OutOfRangeAxis_IsRefused_NamingTheLayer()
    {
        var e = Assert.Throws<ShapeException>(() => new LogSoftmax(3).GetOutputShape(new Shape(2, 5)));
        Assert.Equal("LogSoftmax(axis=3): axis 3 is out of range for input [2, 5].", e.Message);
    }

    [Fact]
    public void ModelFile_RoundTripsTheAxis()
    {
        var model = new Sequential(new Dense(4), new LogSoftmax(1));
        model.Build(new Shape(3), seed: 2);
        string path = Path.Combine(Path.GetTempPath(), $"logsoftmax-{Guid.NewGuid():N}.cvm");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(new LogSoftmaxConfig(1), loaded.Layers[1].GetConfig());
            var x = Tensor.FromArray([0.3f, -0.2f, 0.9f], 1, 3);
            Assert.Equal(model.Forward(x).ToArray(), loaded.Forward(x).ToArray());
        }
        finally { File.Delete(path); }
    }
}
