using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// Views each batch item with another shape (no copy): [N, ...item] becomes [N, ...target]. The
/// target is an item shape with ONNX's two special entries: 0 copies the input item's dimension at
/// the same position, and one -1 takes whatever size makes the element counts agree. Both are
/// resolved against the input's item shape when the layer is built; the batch is kept. Squeeze,
/// Unsqueeze and Flatten are reshapes too.
/// </summary>
public sealed class Reshape : ViewLayer
{
    private readonly int[] target;

    /// <summary>A reshape of each item to <paramref name="shape"/> (without the batch; 0 and -1 as described above).</summary>
    public Reshape(params int[] shape)
    {
        string text = "[" + string.Join(", ", shape) + "]";
        if (shape.Any(d => d < -1)) throw new ArgumentException($"Reshape({text}): dimensions must be positive, 0 (copy) or -1 (infer).");
        if (shape.Count(d => d == -1) > 1) throw new ArgumentException($"Reshape({text}): at most one dimension may be -1.");
        target = [.. shape];
    }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Reshape(ReshapeConfig config) : this(config.Shape ?? []) { }

    /// <summary>The target item shape as given (with any 0 and -1).</summary>
    public IReadOnlyList<int> TargetShape => target;

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 1) throw new ShapeException($"{this}: expected an input with a batch dimension, got {inputShape}.");
        var item = inputShape.ItemShape;
        var dims = new int[target.Length + 1];
        dims[0] = inputShape[0];
        long known = 1;
        int inferred = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                inferred = i + 1;
                continue;
            }
            if (target[i] == 0 && i >= item.Rank)
                throw new ShapeException($"{this}: entry {i} is 0 (copy the input's), but input items {item} have only {item.Rank} dimensions.");
            dims[i + 1] = target[i] == 0 ? item[i] : target[i];
            known *= dims[i + 1];
        }
        if (inferred >= 0)
        {
            if (item.Size % known != 0)
                throw new ShapeException($"{this}: input items {item} have {item.Size} values, " +
                    $"which is not a multiple of {known}, the product of the other target dimensions.");
            dims[inferred] = (int)(item.Size / known);
        }
        else if (known != item.Size)
            throw new ShapeException($"{this}: input items {item} have {item.Size} values, but the target shape holds {known}.");
        return new Shape(dims);
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new ReshapeConfig([.. target]);

    /// <inheritdoc />
    protected override string ExtraDescription => "[" + string.Join(", ", target) + "]";
}

/// <summary>Options of a <see cref="Reshape"/> layer: the target item shape (0 copies, -1 infers).</summary>
public sealed record ReshapeConfig(int[] Shape) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Reshape(this);

    // Records compare arrays by reference; two configs with equal values are equal.
    /// <inheritdoc />
    public bool Equals(ReshapeConfig? other) => other is not null && base.Equals(other) && Shape.AsSpan().SequenceEqual(other.Shape);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Shape.Length);
}
