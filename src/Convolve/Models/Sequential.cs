using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Models;

/// <summary>
/// Layers applied one after another, as the article's pipeline reads:
/// <code>
/// var model = new Sequential(
///     new Conv2D(1, 1, kernelSize: 3), new ReLU(), new MaxPool2D(2),
///     new Flatten(), new Dense(2), new Softmax());
/// model.Build(new Shape(1, 6, 6), seed: 42);
/// </code>
/// </summary>
public sealed class Sequential : Model
{
    private readonly List<Layer> layers;
    private bool skippedSoftmax;

    // The convolution + ReLU + max pooling blocks the last inference pass computed in one pass
    // (the convolution's index and input): such a pass keeps nothing for a backward pass.
    private readonly List<(int Index, Tensor Input)> fusedBlocks = [];

    public Sequential(params IEnumerable<Layer> layers)
    {
        this.layers = [.. layers];
        if (this.layers.Count == 0) throw new ArgumentException("Sequential: a model needs at least one layer.");
    }

    public override IReadOnlyList<Layer> Layers => layers;

    protected override Shape BuildLayers(Shape inputShape)
    {
        var shape = inputShape;
        foreach (var layer in layers)
        {
            try { shape = layer.Build(shape); }
            catch (ShapeException e) { throw ShapeException.InLayer(e, layer.Name, layer.ToString(), [shape], standInBatch: true); }
        }
        return shape;
    }

    public override Shape GetOutputShape(Shape inputShape)
    {
        foreach (var layer in layers)
        {
            try { inputShape = layer.GetOutputShape(inputShape); }
            catch (ShapeException e) { throw ShapeException.InLayer(e, layer.Name, layer.ToString(), [inputShape], standInBatch: false); }
        }
        return inputShape;
    }

    public override IReadOnlyList<Shape> LayerOutputShapes()
    {
        RequireBuilt();
        var shapes = new List<Shape>();
        var shape = InputShape.Prepend(1);
        foreach (var layer in layers)
        {
            shape = layer.GetOutputShape(shape);
            shapes.Add(shape.ItemShape);
        }
        return shapes;
    }

    public override IReadOnlyList<Shape> LayerInputShapes(int batch)
    {
        RequireBuilt();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        var shapes = new List<Shape>();
        var shape = InputShape.Prepend(batch);
        foreach (var layer in layers)
        {
            shapes.Add(shape);
            shape = layer.GetOutputShape(shape);
        }
        return shapes;
    }

    public override Tensor Forward(Tensor input, bool training = false) => Run(input, training, layers.Count);

    public override Tensor ForwardLogits(Tensor input, bool training = false) =>
        Run(input, training, layers[^1] is Softmax ? layers.Count - 1 : layers.Count);

    public override Tensor Backward(Tensor dOutput)
    {
        RequireBuilt();
        RecomputeFusedBlocks();
        for (int i = (skippedSoftmax ? layers.Count - 1 : layers.Count) - 1; i >= 0; i--)
            dOutput = layers[i].Backward(dOutput);
        return dOutput;
    }

    public override void BackwardParameters(Tensor dOutput)
    {
        RequireBuilt();
        RecomputeFusedBlocks();
        int first = 0;
        while (first < layers.Count && !HasTrainableParameters(first)) first++;
        int i = (skippedSoftmax ? layers.Count - 1 : layers.Count) - 1;
        for (; i > first; i--) dOutput = layers[i].Backward(dOutput);
        if (i == first) layers[first].BackwardParameters(dOutput);
    }

    // A backward pass after an inference pass works whichever kernels that pass ran: blocks the
    // inference pass fused (where this CPU has a kernel for it) run again layer by layer, as
    // they would have without the fused kernel, before going back through them. The values are
    // the same; only a backward pass after inference pays for it.
    private void RecomputeFusedBlocks()
    {
        foreach (var (i, input) in fusedBlocks)
        {
            var rectified = ((ReLU)layers[i + 1]).ForwardFused(((Conv2D)layers[i]).ForwardRectified(input));
            layers[i + 2].Forward(rectified);
        }
        fusedBlocks.Clear();
    }

    private Tensor Run(Tensor input, bool training, int count)
    {
        RequireInput(input);
        skippedSoftmax = count < layers.Count;
        fusedBlocks.Clear();
        for (int i = 0; i < count; i++)
        {
            if (!training && i + 2 < count && layers[i] is Conv2D c && layers[i + 1] is ReLU && layers[i + 2] is MaxPool2D pool
                && c.TryForwardRectifiedPooled(input, pool) is { } pooled)
            {
                // Inference: convolution, ReLU and 2x2 max pooling in one pass, the convolution's
                // output never written.
                fusedBlocks.Add((i, input));
                input = pooled;
                i += 2;
            }
            else if (i + 1 < count && layers[i] is Conv2D conv && layers[i + 1] is ReLU relu)
            {
                // Convolution and ReLU in one pass; the convolution also does the ReLU's backward.
                input = relu.ForwardFused(conv.ForwardRectified(input, training));
                i++;
            }
            else input = layers[i].Forward(input, training);
        }
        return input;
    }

    /// <summary>One line per layer, e.g. "Sequential(Conv2D(1->1, 3x3), ReLU(), ...)".</summary>
    public override string ToString() => $"Sequential({string.Join(", ", layers)})";
}
