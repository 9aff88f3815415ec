using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// The range [start, end) of one non-batch axis: with axis 1, start 2 and end 5, [N, 8, H, W]
/// gives [N, 3, H, W]. Start and end follow ONNX's Slice (step 1): a negative value counts from the
/// end of the axis, and both are then clamped to [0, size], so end = int.MaxValue means "to the
/// end". ONNX's Split becomes one Slice per part. dInput is dOutput in the selected range and 0
/// elsewhere.
/// </summary>
public sealed class Slice(int axis, int start, int end = int.MaxValue) : Layer
{
    private Tensor? output, dInput;
    private Shape inputShape;     // the last input's: the output alone does not say how long the axis was

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Slice(SliceConfig config) : this(config.Axis, config.Start, config.End) { }

    /// <summary>The axis, counted with the batch (1 is the first item axis); negative counts from the end.</summary>
    public int Axis { get; } = axis;

    /// <summary>The first index taken (negative counts from the end).</summary>
    public int Start { get; } = start;

    /// <summary>The index after the last one taken (negative counts from the end; clamped to the size).</summary>
    public int End { get; } = end;

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        var (axis, from, to) = Resolve(inputShape);
        var dims = inputShape.Dims.ToArray();
        dims[axis] = to - from;
        return new Shape(dims);
    }

    // The axis and the clamped range for this input.
    private (int Axis, int From, int To) Resolve(Shape inputShape)
    {
        int axis = Axis < 0 ? inputShape.Rank + Axis : Axis;
        if (axis < 1 || axis >= inputShape.Rank)
            throw new ShapeException($"{this}: axis {Axis} is not a non-batch axis of input {inputShape} " +
                $"(axes 1 to {inputShape.Rank - 1}, or -1 to {1 - inputShape.Rank}).");
        int size = inputShape[axis];
        int from = Math.Clamp(Start < 0 ? Start + size : Start, 0, size);
        int to = Math.Clamp(End < 0 ? (int)Math.Max((long)End + size, int.MinValue) : End, 0, size);
        if (to <= from)
            throw new ShapeException($"{this}: selects nothing from axis {axis} (size {size}) of input {inputShape}.");
        return (axis, from, to);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        inputShape = input.Shape;
        var (axis, from, to) = Resolve(input.Shape);
        int inner = Inner(input.Shape, axis), outer = input.Length / (input.Shape[axis] * inner);
        int inBlock = input.Shape[axis] * inner, outBlock = (to - from) * inner;
        var x = input.Span;
        var y = result.Span;
        for (int o = 0; o < outer; o++) x.Slice(o * inBlock + from * inner, outBlock).CopyTo(y.Slice(o * outBlock, outBlock));
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, inputShape);
        var (axis, from, to) = Resolve(inputShape);
        int inner = Inner(inputShape, axis), outer = result.Length / (inputShape[axis] * inner);
        int inBlock = inputShape[axis] * inner, outBlock = (to - from) * inner;
        var dx = result.Span;
        var dy = dOutput.Span;
        dx.Clear();
        for (int o = 0; o < outer; o++) dy.Slice(o * outBlock, outBlock).CopyTo(dx.Slice(o * inBlock + from * inner, outBlock));
        return result;
    }

    private static int Inner(Shape shape, int axis)
    {
        int inner = 1;
        for (int d = axis + 1; d < shape.Rank; d++) inner *= shape[d];
        return inner;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new SliceConfig(Axis, Start, End);

    /// <inheritdoc />
    protected override string ExtraDescription => $"axis={Axis}, {Start}:" + (End == int.MaxValue ? "" : $"{End}");
}

/// <summary>Options of a <see cref="Slice"/> layer.</summary>
public sealed record SliceConfig(int Axis, int Start, int End = int.MaxValue) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Slice(this);
}
