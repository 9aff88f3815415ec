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
/// It runs as a straight-line <see cref="Graph"/> does, on the same executor and with the same
/// fused blocks (a convolution with its ReLU, pooling and batch normalisation; see <see cref="FusionPlanner"/>).
/// </summary>
public sealed class Sequential : Model
{
    private readonly List<Layer> layers;
    private Executor? executor;

    /// <summary>A model that runs <paramref name="layers"/> in order, each on the previous one's output.</summary>
    /// <param name="layers">The layers, first to last; each belongs to this model only.</param>
    /// <exception cref="ArgumentException">No layers.</exception>
    public Sequential(params IEnumerable<Layer> layers)
    {
        this.layers = [.. layers];
        if (this.layers.Count == 0) throw new ArgumentException("Sequential: a model needs at least one layer.");
    }

    /// <inheritdoc />
    public override IReadOnlyList<Layer> Layers => layers;

    /// <inheritdoc />
    protected override Shape BuildLayers(Shape inputShape)
    {
        var shape = inputShape;
        foreach (var layer in layers)
        {
            try { shape = layer.Build(shape); }
            catch (ShapeException e) { throw ShapeException.InLayer(e, layer.Name, layer.ToString(), [shape], standInBatch: true); }
        }
        // A straight line: layer k reads the value layer k - 1 computes.
        executor = new Executor(layers, [.. Enumerable.Range(0, layers.Count).Select(k => new[] { k })], HasTrainableParameters);
        return shape;
    }

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        foreach (var layer in layers)
        {
            try { inputShape = layer.GetOutputShape(inputShape); }
            catch (ShapeException e) { throw ShapeException.InLayer(e, layer.Name, layer.ToString(), [inputShape], standInBatch: false); }
        }
        return inputShape;
    }

    /// <inheritdoc />
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

    /// <inheritdoc />
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

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        RequireInput(input);
        return executor!.Forward(input, training, logits: false);
    }

    /// <inheritdoc />
    public override Tensor ForwardLogits(Tensor input, bool training = false)
    {
        RequireInput(input);
        return executor!.Forward(input, training, logits: true);
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireBuilt();
        return executor!.Backward(dOutput);
    }

    /// <inheritdoc />
    public override void BackwardParameters(Tensor dOutput)
    {
        RequireBuilt();
        executor!.BackwardParameters(dOutput);
    }

    /// <summary>The plan the model runs by, made by <see cref="Model.Build"/>; null before.</summary>
    internal Executor? Executor => executor;

    /// <summary>One line per layer, e.g. "Sequential(Conv2D(1->1, 3x3), ReLU(), ...)".</summary>
    public override string ToString() => $"Sequential({string.Join(", ", layers)})";
}
