using Convolve.Kernels.Cpu;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// Takes the slices of one item axis at fixed indices (ONNX's Gather with a constant index,
/// PyTorch's <c>x[:, 0]</c> or <c>x[:, :, [2, 0]]</c>). The indices have a shape of their own,
/// which replaces the axis: a scalar index drops it ([N, C, H, W] at axis 1, index 0 gives
/// [N, H, W]), indices of shape [2] give [N, 2, H, W], of shape [2, 3] give [N, 2, 3, H, W]. A
/// negative index counts from the end of the axis; an index may repeat. The axis is never the
/// batch. dInput adds dOutput's slices back at the indices they came from (0 where none did).
/// </summary>
public sealed class Gather : Layer
{
    private readonly int[] indices, indicesShape;
    private Tensor? output, dInput;
    private Shape planned;
    private int[] resolved = [];     // the indices made non-negative for the planned input
    private (int Outer, int Size, int Inner) block;

    /// <summary>
    /// Gathers along <paramref name="axis"/> (counted with the batch, so at least 1; negative counts
    /// from the end) at <paramref name="indices"/>, laid out in <paramref name="indicesShape"/>:
    /// [] for a single index, which drops the axis; null for a vector of the indices.
    /// </summary>
    public Gather(int axis, int[] indices, int[]? indicesShape = null)
    {
        indicesShape ??= [indices.Length];
        string text = Describe(axis, indices, indicesShape);
        if (axis == 0) throw new ArgumentException($"Gather({text}): axis 0 is the batch, which is never gathered from; gather along the axes after it.");
        if (indices.Length == 0) throw new ArgumentException($"Gather({text}): give at least one index.");
        if (indicesShape.Any(d => d < 1) || indicesShape.Aggregate(1L, (p, d) => p * d) != indices.Length)
            throw new ArgumentException($"Gather({text}): {indices.Length} {(indices.Length == 1 ? "index does" : "indices do")} not fill " +
                $"the shape [{string.Join(", ", indicesShape)}].");
        Axis = axis;
        this.indices = [.. indices];
        this.indicesShape = [.. indicesShape];
    }

    /// <summary>A gather with <paramref name="config"/>'s axis and indices.</summary>
    public Gather(GatherConfig config) : this(config.Axis, config.Indices ?? [], config.IndicesShape) { }

    /// <summary>The axis gathered along, counted with the batch; negative counts from the end.</summary>
    public int Axis { get; }

    /// <summary>The indices as given (negative ones count from the end of the axis), in row-major order of <see cref="IndicesShape"/>.</summary>
    public IReadOnlyList<int> Indices => indices;

    /// <summary>The shape the indices are laid out in, which replaces the axis in the output ([] for one index, dropping it).</summary>
    public IReadOnlyList<int> IndicesShape => indicesShape;

    private static string Describe(int axis, int[] indices, int[] shape)
    {
        string list = $"[{string.Join(", ", indices)}]";
        string values = shape.Length == 0 && indices.Length == 1 ? indices[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : list;
        return $"axis={axis}, indices={values}" + (shape.Length > 1 ? $" as [{string.Join(", ", shape)}]" : "");
    }

    // The axis for this input, checked, and the indices made non-negative.
    private (int Axis, int[] Indices) Resolve(Shape inputShape)
    {
        int axis = Axis < 0 ? inputShape.Rank + Axis : Axis;
        if (axis < 1 || axis >= inputShape.Rank)
            throw new ShapeException($"{this}: axis {Axis} is not an item axis of input {inputShape} " +
                $"(axes 1 to {inputShape.Rank - 1}, or -1 to {1 - inputShape.Rank}).");
        int size = inputShape[axis];
        var result = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k] < 0 ? indices[k] + size : indices[k];
            if (i < 0 || i >= size)
                throw new ShapeException($"{this}: index {indices[k]} is out of range for axis {axis} of input {inputShape} " +
                    $"(size {size}: 0 to {size - 1}, or -1 to {-size}).");
            result[k] = i;
        }
        return (axis, result);
    }

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        int axis = Resolve(inputShape).Axis;
        var dims = inputShape.Dims;
        return new Shape([.. dims[..axis], .. indicesShape, .. dims[(axis + 1)..]]);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        if (input.Shape != planned)
        {
            (int axis, resolved) = Resolve(input.Shape);
            int size = input.Shape[axis], inner = 1;
            for (int a = axis + 1; a < input.Shape.Rank; a++) inner *= input.Shape[a];
            block = (input.Length / (size * inner), size, inner);
            planned = input.Shape;
        }
        GatherCpu.Forward(block.Outer, block.Size, block.Inner, resolved, input.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, planned);
        GatherCpu.Backward(block.Outer, block.Size, block.Inner, resolved, dOutput.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new GatherConfig(Axis, [.. indices], [.. indicesShape]);

    /// <inheritdoc />
    protected override string ExtraDescription => Describe(Axis, indices, indicesShape);
}

/// <summary>Options of a <see cref="Gather"/> layer: the axis, the indices, and the shape they are laid out in ([] for one index).</summary>
public sealed record GatherConfig(int Axis, int[] Indices, int[] IndicesShape) : LayerConfig
{
    /// <summary>A <see cref="Gather"/> with these options.</summary>
    public override Layer CreateLayer() => new Gather(this);

    /// <summary>Equal when the axis, the indices and their shape are (records compare arrays by reference).</summary>
    public bool Equals(GatherConfig? other) =>
        other is not null && base.Equals(other) && Axis == other.Axis && Indices.AsSpan().SequenceEqual(other.Indices)
        && IndicesShape.AsSpan().SequenceEqual(other.IndicesShape);

    /// <summary>A hash of the axis and the number of indices.</summary>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Axis, Indices.Length);
}
