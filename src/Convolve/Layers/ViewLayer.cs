using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// A layer whose output is its input seen with another shape (<see cref="Flatten"/>,
/// <see cref="Reshape"/>): no values move, forward or backward; subclasses only say the shape.
/// </summary>
public abstract class ViewLayer : Layer
{
    private Tensor? output, dInput, lastInput;

    /// <inheritdoc />
    public sealed override Tensor Forward(Tensor input, bool training = false)
    {
        lastInput = input;
        output = View(output, input, OutputShapeFor(input.Shape));
        return output;
    }

    /// <inheritdoc />
    public sealed override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        dInput = View(dInput, dOutput, lastInput!.Shape);
        return dInput;
    }

    // The view made last time when it still fits (same values, same shape), else a new one:
    // a steady stream of batches from reused buffers then makes no new tensors.
    private static Tensor View(Tensor? previous, Tensor source, Shape shape) =>
        previous is not null && previous.Buffer == source.Buffer && previous.Offset == source.Offset && previous.Shape == shape
            ? previous
            : source.Reshape(shape);
}
