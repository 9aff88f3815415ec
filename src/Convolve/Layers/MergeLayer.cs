using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// A layer with several inputs (a residual sum, a concatenation), for graph models
/// models. Its single-input members treat the layer as having one input.
/// </summary>
public abstract class MergeLayer : Layer
{
    /// <summary>The output shape for these input shapes; throws naming the layer when they do not fit together.</summary>
    public abstract Shape GetOutputShape(IReadOnlyList<Shape> inputShapes);

    /// <summary>Computes the output from all inputs (layer-owned, reused like <see cref="Layer.Forward"/>'s).</summary>
    public abstract Tensor Forward(IReadOnlyList<Tensor> inputs, bool training = false);

    /// <summary>The gradient with respect to each input, in input order (layer-owned; may share storage).</summary>
    public abstract IReadOnlyList<Tensor> BackwardAll(Tensor dOutput);

    /// <inheritdoc />
    public sealed override Shape GetOutputShape(Shape inputShape) => GetOutputShape([inputShape]);

    /// <inheritdoc />
    public sealed override Tensor Forward(Tensor input, bool training = false) => Forward([input], training);

    /// <inheritdoc />
    public sealed override Tensor Backward(Tensor dOutput) => BackwardAll(dOutput)[0];
}

/// <summary>
/// Element-wise sum of two or more inputs, as in a residual block's <c>x + f(x)</c>. Inputs of one
/// shape are summed directly and each one's gradient is dOutput itself. Inputs of different shapes
/// broadcast by numpy's rule (see <see cref="Broadcast"/>; the batch axis too, so an input may have
/// batch 1 against batch N): the output has the broadcast shape, and a repeated input's gradient is
/// dOutput summed over the axes along which it was repeated.
/// </summary>
public sealed class Add : MergeLayer
{
    private Tensor? output;
    private Tensor[] gradients = [];
    private Tensor?[] reduced = [];
    private Shape[] shapes = [];
    private Broadcast?[] plans = [];     // per input against the output, for its gradient: null where it has the output's shape
    private Broadcast? pair;             // two inputs: one pass over both
    private Shape outputShape;
    private bool broadcasting;

    /// <inheritdoc />
    public override Shape GetOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        if (inputShapes.Count < 2) throw new ShapeException($"{this}: needs at least two inputs, got {inputShapes.Count}.");
        var shape = inputShapes[0];
        for (int i = 1; i < inputShapes.Count; i++)
        {
            if (inputShapes[i] == shape) continue;
            if (!Broadcast.TryGetShape(shape, inputShapes[i], out shape, out int axis))
                throw new ShapeException($"{this}: inputs {string.Join(" and ", inputShapes)} do not broadcast: " +
                    $"input {i} differs in dimension {axis} (counted in the broadcast result) and neither size is 1.");
        }
        return shape;
    }

    /// <inheritdoc />
    public override Tensor Forward(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        if (inputs.Count < 2) throw new ShapeException($"{this}: needs at least two inputs, got {inputs.Count}.");
        if (gradients.Length != inputs.Count) gradients = new Tensor[inputs.Count];
        broadcasting = false;
        for (int i = 1; i < inputs.Count; i++) broadcasting |= inputs[i].Shape != inputs[0].Shape;
        if (!broadcasting)
        {
            var sum = Tensor.Reuse(ref output, inputs[0].Shape);
            System.Numerics.Tensors.TensorPrimitives.Add(inputs[0].Span, inputs[1].Span, sum.Span);
            for (int i = 2; i < inputs.Count; i++) System.Numerics.Tensors.TensorPrimitives.Add(sum.Span, inputs[i].Span, sum.Span);
            return sum;
        }

        PlanFor(inputs);
        var result = Tensor.Reuse(ref output, outputShape);
        if (pair is not null)
        {
            pair.Apply(BinaryOperation.Add, inputs[0].Span, inputs[1].Span, result.Span);
            return result;
        }
        result.Clear();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (plans[i] is { } plan) plan.Apply(BinaryOperation.Add, inputs[i].Span, result.Span, result.Span);
            else System.Numerics.Tensors.TensorPrimitives.Add(result.Span, inputs[i].Span, result.Span);
        }
        return result;
    }

    // The broadcast plans for these input shapes, made again only when the shapes change.
    private void PlanFor(IReadOnlyList<Tensor> inputs)
    {
        bool same = shapes.Length == inputs.Count;
        for (int i = 0; same && i < inputs.Count; i++) same = inputs[i].Shape == shapes[i];
        if (!same) Plan([.. inputs.Select(t => t.Shape)]);
    }

    // Apart from PlanFor, whose steady state then allocates no closure for the lambda below.
    private void Plan(Shape[] inputShapes)
    {
        outputShape = GetOutputShape(inputShapes);
        var shape = outputShape;
        shapes = inputShapes;
        pair = inputShapes.Length == 2 ? new Broadcast(inputShapes[0], inputShapes[1]) : null;
        plans = [.. inputShapes.Select(input => input == shape ? null : new Broadcast(input, shape))];
        reduced = new Tensor?[inputShapes.Length];
    }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> BackwardAll(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        for (int i = 0; i < gradients.Length; i++)
        {
            if (broadcasting && plans[i] is { } plan)
            {
                var gradient = Tensor.Reuse(ref reduced[i], plan.A);
                plan.SumToA(dOutput.Span, gradient.Span);
                gradients[i] = gradient;
            }
            else gradients[i] = dOutput;
        }
        return gradients;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new AddConfig();
}

/// <summary>
/// Joins inputs along one non-batch axis, by default the channels (axis 1): [N, C1, H, W] and
/// [N, C2, H, W] give [N, C1 + C2, H, W]; with axis 3 (or -1), [N, C, H, W1] and [N, C, H, W2] give
/// [N, C, H, W1 + W2]. The inputs agree in every other dimension. Each input's gradient is its
/// slice of dOutput.
/// </summary>
public sealed class Concat(int axis = 1) : MergeLayer
{
    private Tensor? output;
    private Tensor?[] gradients = [];
    private Shape[] inputShapes = [];

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Concat(ConcatConfig config) : this(config.Axis) { }

    /// <summary>The axis the inputs are joined along; negative counts from the end. Never the batch axis.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc />
    public override Shape GetOutputShape(IReadOnlyList<Shape> shapes)
    {
        if (shapes.Count < 2) throw new ShapeException($"{this}: needs at least two inputs, got {shapes.Count}.");
        int axis = ResolveAxis(shapes[0]);
        int joined = 0;
        foreach (var shape in shapes)
        {
            bool fits = shape.Rank == shapes[0].Rank;
            for (int d = 0; fits && d < shape.Rank; d++) fits = d == axis || shape[d] == shapes[0][d];
            if (!fits)
            {
                string which = axis == 1 ? "the channels (axis 1)" : $"axis {axis}";
                throw new ShapeException($"{this}: inputs must agree in every dimension but {which}, got {string.Join(" and ", shapes)}.");
            }
            joined += shape[axis];
        }
        var dims = shapes[0].Dims.ToArray();
        dims[axis] = joined;
        return new Shape(dims);
    }

    private int ResolveAxis(Shape shape)
    {
        int axis = Axis < 0 ? shape.Rank + Axis : Axis;
        if (axis < 1 || axis >= shape.Rank)
            throw new ShapeException($"{this}: axis {Axis} is not a non-batch axis of input {shape} (axes 1 to {shape.Rank - 1}, or -1 to {1 - shape.Rank}).");
        return axis;
    }

    /// <inheritdoc />
    public override Tensor Forward(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        if (!SameShapes(inputs))
        {
            inputShapes = [.. inputs.Select(t => t.Shape)];
            output = new Tensor(GetOutputShape(inputShapes));
            gradients = new Tensor?[inputs.Count];
        }
        var y = output!.Span;
        int outer = Outer(output.Shape), outBlock = output.Length / outer, offset = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            int block = input.Length / outer;
            for (int n = 0; n < outer; n++) input.Span.Slice(n * block, block).CopyTo(y.Slice(n * outBlock + offset, block));
            offset += block;
        }
        return output;
    }

    // The number of blocks that are joined: the product of the dimensions before the axis.
    private int Outer(Shape shape)
    {
        int axis = Axis < 0 ? shape.Rank + Axis : Axis, outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        return outer;
    }

    private bool SameShapes(IReadOnlyList<Tensor> inputs)
    {
        if (inputShapes.Length != inputs.Count) return false;
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i].Shape != inputShapes[i]) return false;
        return true;
    }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> BackwardAll(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        int outer = Outer(dOutput.Shape), outBlock = dOutput.Length / outer, offset = 0;
        for (int i = 0; i < inputShapes.Length; i++)
        {
            var gradient = Tensor.Reuse(ref gradients[i], inputShapes[i]);
            int block = gradient.Length / outer;
            for (int n = 0; n < outer; n++) dOutput.Span.Slice(n * outBlock + offset, block).CopyTo(gradient.Span.Slice(n * block, block));
            offset += block;
        }
        return gradients!;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new ConcatConfig(Axis);

    /// <inheritdoc />
    protected override string ExtraDescription => Axis == 1 ? "" : $"axis={Axis}";
}

/// <summary>Options of an <see cref="Add"/> layer (none).</summary>
public sealed record AddConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Add();
}

/// <summary>
/// Options of a <see cref="Concat"/> layer: the axis it joins along (1, the channels, when absent, as in files written before the option existed).
/// </summary>
public sealed record ConcatConfig(int Axis = 1) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Concat(this);
}
