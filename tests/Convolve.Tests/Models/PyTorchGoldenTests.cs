using System.Text.Json;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Models;

/// <summary>
/// One training step of a network with every layer kind against PyTorch (float64).
/// Golden/network.json was written by Golden/network.py; that script documents the network.
/// </summary>
public class PyTorchGoldenTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Models", "Golden", "network.json"))).RootElement;

    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(v => (float)v.GetDouble())];

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4f * Math.Max(1, Math.Abs(expected[i])),
                $"{what}[{i}]: Convolve {actual[i]:R}, PyTorch {expected[i]:R}");
    }

    [Fact]
    public void TrainingStep_MatchesPyTorch_ForwardLossRunningStatsAndEveryGradient()
    {
        var model = new Sequential(
            new Conv2D(2, 4, 3, padding: 1), new BatchNorm2D(4), new LeakyReLU(0.1f),
            new MaxPool2D(2, ceilMode: true), new Conv2D(4, 4, 3, padding: 2, dilation: 2, groups: 2, bias: false),
            new Tanh(), new AvgPool2D(2, padding: 1, countIncludePad: false), new Flatten(),
            new Dense(5), new Sigmoid(), new Dense(3));
        var inputShape = new Shape([.. Golden.GetProperty("input_shape").EnumerateArray().Select(v => v.GetInt32())]);
        model.Build(inputShape.ItemShape);
        var trainable = model.Parameters.Where(p => p.Trainable).ToList();
        var start = Golden.GetProperty("parameters").EnumerateArray().Select(Floats).ToList();
        Assert.Equal(start.Count, trainable.Count);
        for (int i = 0; i < start.Count; i++) start[i].CopyTo(trainable[i].Value.Span);
        var input = new Tensor(inputShape, Floats(Golden.GetProperty("input")));
        int[] labels = [.. Golden.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32())];

        var loss = new CrossEntropyLoss();
        model.ZeroGradients();
        var logits = model.ForwardLogits(input, training: true);
        float value = loss.Forward(logits, labels);
        var dInput = model.Backward(loss.Backward());

        AssertClose(Floats(Golden.GetProperty("logits")), logits.Span, "logits");
        AssertClose([(float)Golden.GetProperty("loss").GetDouble()], [value], "loss");
        var batchNorm = (BatchNorm2D)model.Layers[1];
        AssertClose(Floats(Golden.GetProperty("running_mean")), batchNorm.RunningMean.Value.Span, "running_mean");
        AssertClose(Floats(Golden.GetProperty("running_var")), batchNorm.RunningVar.Value.Span, "running_var");
        var gradients = Golden.GetProperty("gradients").EnumerateArray().Select(Floats).ToList();
        for (int i = 0; i < gradients.Count; i++)
            AssertClose(gradients[i], trainable[i].Gradient.Span, $"gradient of parameter {i}");
        AssertClose(Floats(Golden.GetProperty("input_gradient")), dInput.Span, "dInput");
    }
}
