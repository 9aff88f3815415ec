using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Layers;
using Convolve.Training.Diagnostics;
using Convolve.Transfer;
using static Convolve.Lessons.Tests.Transfer.TransferData;

namespace Convolve.Lessons.Tests.Transfer;

public class BodyWithHeadTests
{
    [Fact]
    public void BodyWithHead_RunsTheBodyInEvaluationMode_EvenWhenTraining()
    {
        var backbone = Backbone();
        var head = TransferLearning.CreateHead(new Shape(4), 2, hidden: 3, seed: 2);
        var images = GradientCheck.RandomTensor(new Shape(4, 1, 8, 8), new Random(5));
        var expected = head.Forward(backbone.Forward(images, training: false)).ToArray();
        var model = new BodyWithHead(backbone, head);
        model.BuildShapes(new Shape(1, 8, 8));
        Assert.Equal(expected, model.Forward(images, training: true).ToArray());
    }

    [Fact]
    public void TrainingDiagnostics_WalkIntoTheBodyAndTheHead()
    {
        var body = new Sequential(new Conv2D(1, 2, 3), new ReLU(), new GlobalAvgPool2D(keepDims: false));
        body.Build(new Shape(1, 8, 8), seed: 1);
        var head = new Sequential(new Dense(3) { Name = "hidden" }, new ReLU { Name = "head_relu" }, new Dense(2) { Name = "logits" });
        head.Build(new Shape(2), seed: 1);
        var model = new BodyWithHead(body, head);
        model.BuildShapes(new Shape(1, 8, 8));
        // The body's ReLU never fires (zero weights, bias -1), so the head sees zeros and its ReLU only its bias, -1.
        var conv = (Conv2D)body.Layers[0];
        conv.Weight.Value.Span.Clear();
        conv.Bias!.Value.Span.Fill(-1);
        ((Dense)head.Layers[0]).Bias!.Value.Span.Fill(-1);

        var monitor = new TrainingMonitor(model);
        monitor.CheckEpoch(0, accuracy: 1, Halves(4, seed: 1), validation: null, learningRate: 0.01f);

        var dead = monitor.Diagnostics.Where(d => d.Code == DiagnosticCode.DeadReLUs).ToList();
        Assert.Equal(["relu_1", "head_relu"], dead.Select(d => d.Layer));
        Assert.StartsWith("2 of 2 units of relu_1 (100%) were never active", dead[0].Message);
        Assert.StartsWith("3 of 3 units of head_relu (100%) were never active", dead[1].Message);
    }
}
