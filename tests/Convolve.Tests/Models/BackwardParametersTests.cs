using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Layers;

namespace Convolve.Tests.Models;

/// <summary>
/// <see cref="Model.BackwardParameters"/> must give exactly the parameter gradients of
/// <see cref="Model.Backward"/> (it only leaves out input gradients nobody reads), and must not
/// run the backward pass of layers below the first trainable ones.
/// </summary>
public class BackwardParametersTests
{
    // An identity layer without parameters whose Backward fails while armed (during
    // BackwardParameters): there it must never be asked for a gradient.
    private sealed class NoBackward : Layer
    {
        public static bool Armed; // only this class uses it, and xunit runs one class's tests one at a time
        public override Shape GetOutputShape(Shape inputShape) => inputShape;
        public override Tensor Forward(Tensor input, bool training = false) => input;
        public override Tensor Backward(Tensor dOutput) =>
            Armed ? throw new InvalidOperationException("Backward of a layer below every trainable layer was called.") : dOutput;
        public override LayerConfig GetConfig() => throw new NotSupportedException();
    }

    private static void AssertSameGradients(Model model, Shape inputShape, Shape outputShape)
    {
        var random = new Random(11);
        var input = GradientCheck.RandomTensor(inputShape, random);
        var upstream = GradientCheck.RandomTensor(outputShape, random);
        model.Forward(input, training: true);
        model.ZeroGradients();
        model.Backward(upstream);
        // Trainable parameters: Backward's gradients; frozen ones are not computed (left at zero).
        float[] expected = [.. model.Parameters.SelectMany(p => p.Trainable ? p.Gradient.ToArray() : new float[p.Gradient.Length])];
        model.ZeroGradients();
        NoBackward.Armed = true;
        try { model.BackwardParameters(upstream); }
        finally { NoBackward.Armed = false; }
        Assert.Equal(expected, model.ParameterGradients.ToArray());
    }

    [Fact]
    public void Sequential_SameParameterGradientsAsBackward_AndNothingBelowTheFirstTrainableLayer()
    {
        var model = new Sequential(new NoBackward(), new Conv2D(1, 4, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(3));
        model.Build(new Shape(1, 8, 8), seed: 1);
        AssertSameGradients(model, new Shape(2, 1, 8, 8), new Shape(2, 3));
    }

    [Fact]
    public void Sequential_FrozenFirstLayers_AreSkipped()
    {
        var model = new Sequential(new Conv2D(1, 4, 3), new NoBackward(), new ReLU(), new Flatten(), new Dense(3));
        model.Build(new Shape(1, 6, 6), seed: 2);
        foreach (var p in model.Layers[0].Parameters) p.Trainable = false;
        AssertSameGradients(model, new Shape(2, 1, 6, 6), new Shape(2, 3));
    }

    [Fact]
    public void Graph_SameParameterGradientsAsBackward_WithBranchesFromTheInput()
    {
        var graph = new Graph();
        var skip = graph.Apply(new NoBackward(), graph.Input);                       // no parameters, reads the input
        var a = graph.Apply(new Conv2D(2, 3, 3, padding: 1), skip);
        var b = graph.Apply(new Conv2D(2, 3, 1), graph.Input);
        var sum = graph.Apply(new ReLU(), graph.Apply(new Add(), a, b));
        var frozen = graph.Apply(new Conv2D(2, 3, 1), graph.Input);                   // frozen: its branch needs nothing
        var joined = graph.Apply(new Concat(), sum, frozen);
        graph.Apply(new Dense(4), graph.Apply(new Flatten(), joined));
        graph.Build(new Shape(2, 5, 5), seed: 3);
        foreach (var p in frozen.Layer!.Parameters) p.Trainable = false;
        AssertSameGradients(graph, new Shape(3, 2, 5, 5), new Shape(3, 4));
    }
}
