using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// Views [N, C, H, W] as [N, C*H*W] in C, H, W order (no copy). With <c>axis</c> k, the
/// dimensions before k become the rows and the rest the columns (ONNX's Flatten).
/// </summary>
public sealed class Flatten(int axis = 1) : ViewLayer
{

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Flatten(FlattenConfig config) : this(config.Axis) { }

    /// <summary>The first dimension that is folded into the columns.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        int axis = Axis < 0 ? inputShape.Rank + Axis : Axis;
        if (axis < 0 || axis > inputShape.Rank)
            throw new ShapeException($"{this}: axis {Axis} is out of range for input {inputShape}.");
        int rows = 1, columns = 1;
        for (int d = 0; d < axis; d++) rows *= inputShape[d];
        for (int d = axis; d < inputShape.Rank; d++) columns *= inputShape[d];
        return new Shape(rows, columns);
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new FlattenConfig(Axis);

    /// <inheritdoc />
    protected override string ExtraDescription => Axis == 1 ? "" : $"axis={Axis}";
}

/// <summary>Options of a <see cref="Flatten"/> layer.</summary>
public sealed record FlattenConfig(int Axis = 1) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Flatten(this);
}
