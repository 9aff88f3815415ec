using Convolve.Kernels.Cpu;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// Repeats the input along its item axes (ONNX's Tile, numpy's tile, PyTorch's <c>x.repeat</c>):
/// with repeats [1, 1, 2, 3], [N, C, H, W] gives [N, C, 2H, 3W], the input laid side by side twice
/// down and three times across. The repeats count every axis, the batch first, whose repeat is 1:
/// the batch is free, so it is never tiled. dInput is the sum of dOutput over the tiles.
/// </summary>
public sealed class Tile : Layer
{
    private readonly int[] repeats;
    private Tensor? output, dInput;
    private Shape planned;
    private int[] dims = [], merged = [];     // the planned input's axes after TileCpu.Merge, and their repeats

    /// <summary>A tiling by <paramref name="repeats"/>, one per axis of the input, batch first (so it starts with 1).</summary>
    public Tile(params int[] repeats)
    {
        string text = "[" + string.Join(", ", repeats) + "]";
        if (repeats.Length < 2) throw new ArgumentException($"Tile({text}): give one repeat per axis, the batch's first, for at least one item axis.");
        if (repeats[0] != 1)
            throw new ArgumentException($"Tile({text}): the batch axis 0 is repeated {repeats[0]} times; the batch is free, so its repeat must be 1.");
        if (repeats.Any(r => r < 1)) throw new ArgumentException($"Tile({text}): every repeat must be at least 1.");
        this.repeats = [.. repeats];
    }

    /// <summary>A tiling with <paramref name="config"/>'s repeats.</summary>
    public Tile(TileConfig config) : this(config.Repeats ?? []) { }

    /// <summary>How many times each axis is repeated, batch first (always 1).</summary>
    public IReadOnlyList<int> Repeats => repeats;

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != repeats.Length)
            throw new ShapeException($"{this}: expected input with {repeats.Length} dimensions (one per repeat), got {inputShape}.");
        var result = new int[repeats.Length];
        for (int a = 0; a < result.Length; a++)
        {
            long size = (long)inputShape[a] * repeats[a];
            if (size > int.MaxValue) throw new ShapeException($"{this}: axis {a} of input {inputShape} would have {size} values, more than a tensor holds.");
            result[a] = (int)size;
        }
        return new Shape(result);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        if (input.Shape != planned)
        {
            (dims, merged) = TileCpu.Merge(input.Shape.Dims, repeats);
            planned = input.Shape;
        }
        TileCpu.Forward(dims, merged, input.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, planned);
        TileCpu.Backward(dims, merged, dOutput.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new TileConfig([.. repeats]);

    /// <inheritdoc />
    protected override string ExtraDescription => "[" + string.Join(", ", repeats) + "]";
}

/// <summary>Options of a <see cref="Tile"/> layer: the repeat of each axis, batch first.</summary>
public sealed record TileConfig(int[] Repeats) : LayerConfig
{
    /// <summary>A <see cref="Tile"/> with these repeats.</summary>
    public override Layer CreateLayer() => new Tile(this);

    /// <summary>Equal when the repeats are (records compare arrays by reference).</summary>
    public bool Equals(TileConfig? other) => other is not null && base.Equals(other) && Repeats.AsSpan().SequenceEqual(other.Repeats);

    /// <summary>A hash of the number of axes.</summary>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Repeats.Length);
}
