using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// Views [N, C, H, W] as [N, C*H*W] in C, H, W order (no copy). With <c>axis</c> k, the
/// dimensions before k become the rows and the rest the columns (ONNX's Flatten).
/// </summary>
public sealed class Flatten(int axis = 1) : ViewLayer
{

    public Flatten(FlattenConfig config) : this(config.Axis) { }

    /// <summary>The first dimension that is folded into the columns.</summary>
    public int Axis { get; } = axis;

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

    public override LayerConfig GetConfig() => new FlattenConfig(Axis);

    protected override string ExtraDescription => Axis == 1 ? "" : $"axis={Axis}";
}

/// <summary>Options of a <see cref="Flatten"/> layer.</summary>
public sealed record FlattenConfig(int Axis = 1) : LayerConfig
{
    public override Layer CreateLayer() => new Flatten(this);
}
