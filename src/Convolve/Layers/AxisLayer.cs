using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// A layer that maps each line of values along one axis on its own (Softmax, LogSoftmax): the
/// output has the input's shape. The axis counts from the batch; negative counts from the end.
/// </summary>
public abstract class AxisLayer(int axis) : Layer
{
    /// <summary>The axis along which the values are taken together; negative counts from the end.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc />
    public sealed override Shape GetOutputShape(Shape inputShape)
    {
        int resolved = Axis < 0 ? inputShape.Rank + Axis : Axis;
        if (resolved < 0 || resolved >= inputShape.Rank)
            throw new ShapeException($"{this}: axis {Axis} is out of range for input {inputShape}.");
        return inputShape;
    }

    /// <summary>
    /// <paramref name="shape"/> as [Outer, Length, Inner]: the line at (o, i) holds the values
    /// <c>o * Length * Inner + j * Inner + i</c> for j below Length.
    /// </summary>
    protected (int Outer, int Length, int Inner) Split(Shape shape)
    {
        GetOutputShape(shape);
        int resolved = Axis < 0 ? shape.Rank + Axis : Axis;
        int outer = 1, inner = 1;
        for (int d = 0; d < resolved; d++) outer *= shape[d];
        for (int d = resolved + 1; d < shape.Rank; d++) inner *= shape[d];
        return (outer, shape[resolved], inner);
    }

    /// <inheritdoc />
    protected override string ExtraDescription => Axis == -1 ? "" : $"axis={Axis}";
}
