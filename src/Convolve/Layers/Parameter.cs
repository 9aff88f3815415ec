using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// A named tensor a layer owns, with its gradient. <see cref="Name"/> ("weight", "bias",
/// "running_mean") is the key in model files, prefixed by the layer's name.
/// Trainable parameters are updated by optimizers; the others (running statistics of batch
/// normalisation, frozen weights) are saved with the model but left alone by optimizers.
/// </summary>
public sealed class Parameter
{
    /// <summary>Creates a zero-filled parameter and its zero gradient.</summary>
    public Parameter(string name, Shape shape, bool trainable = true)
    {
        Name = name;
        Value = new Tensor(shape);
        Gradient = new Tensor(shape);
        Trainable = trainable;
    }

    /// <summary>The key of this parameter within its layer.</summary>
    public string Name { get; }

    /// <summary>The values.</summary>
    public Tensor Value { get; private set; }

    /// <summary>The gradient of the loss with respect to <see cref="Value"/>; backward passes add to it.</summary>
    public Tensor Gradient { get; private set; }

    /// <summary>Whether optimizers update this parameter. Set to false to freeze it.</summary>
    public bool Trainable { get; set; }

    /// <summary>The shape of the value and of the gradient.</summary>
    public Shape Shape => Value.Shape;

    /// <summary>
    /// Moves the value and gradient into views of larger buffers (keeping the values), so that a
    /// model can hold all its parameters in one array and all its gradients in another.
    /// </summary>
    internal void MoveTo(float[] values, float[] gradients, int offset)
    {
        var value = new Tensor(Shape, values, offset);
        var gradient = new Tensor(Shape, gradients, offset);
        Value.Span.CopyTo(value.Span);
        Gradient.Span.CopyTo(gradient.Span);
        Value = value;
        Gradient = gradient;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}{Shape}";
}
