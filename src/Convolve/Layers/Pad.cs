using System.Text.Json.Serialization;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>What a <see cref="Pad"/> layer puts in the new border (ONNX's Pad modes).</summary>
public enum PadMode
{
    /// <summary>A constant value (0 unless given).</summary>
    Constant,

    /// <summary>The values mirrored at the edge, without repeating the edge: [1, 2, 3] padded by 2 is [3, 2, 1, 2, 3, 2, 1].</summary>
    Reflect,

    /// <summary>The edge value repeated: [1, 2, 3] padded by 2 is [1, 1, 1, 2, 3, 3, 3].</summary>
    Edge,
}

/// <summary>
/// Widens the non-batch axes: item axis k gets <c>pads[k]</c> new entries before and
/// <c>pads[k + r]</c> after (r item axes; ONNX's order, without the batch axis): [N, C, H, W] with
/// pads [0, 1, 2, 0, 1, 2] becomes [N, C, H + 2, W + 4]. The new entries are filled by
/// <see cref="PadMode"/>. Reflect needs each padded axis longer than its pads. dInput is dOutput at
/// each input element's own place, plus, for reflect and edge, the gradients of its copies.
/// </summary>
public sealed class Pad : Layer
{
    private readonly int[] pads;
    private Shape planned;
    private int[][] sources = [];      // per axis (batch included): the input index for each output index, or -1 for the constant
    private Tensor? output, dInput;

    /// <summary>Padding of each item axis: <paramref name="pads"/> = [begin_1, ..., begin_r, end_1, ..., end_r], all &gt;= 0.</summary>
    public Pad(int[] pads, PadMode mode = PadMode.Constant, float value = 0)
    {
        string text = "[" + string.Join(", ", pads) + "]";
        if (pads.Length == 0 || pads.Length % 2 != 0)
            throw new ArgumentException($"Pad({text}): expected a begin and an end for each item axis (an even, non-zero count).");
        if (pads.Any(p => p < 0))
            throw new ArgumentException($"Pad({text}): pads must not be negative (cropping is a Slice).");
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"Pad({text}): mode {mode} is not one of {string.Join(", ", Enum.GetNames<PadMode>())}.");
        this.pads = [.. pads];
        Mode = mode;
        Value = value;
    }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Pad(PadConfig config) : this(config.Pads ?? [], config.Mode, config.Value) { }

    /// <summary>[begin_1, ..., begin_r, end_1, ..., end_r] for the r item axes.</summary>
    public IReadOnlyList<int> Pads => pads;

    /// <summary>How the border is filled.</summary>
    public PadMode Mode { get; }

    /// <summary>The border value of <see cref="PadMode.Constant"/>.</summary>
    public float Value { get; }

    private int ItemRank => pads.Length / 2;

    /// <summary>[N, d_1 + begin_1 + end_1, ..., d_r + begin_r + end_r].</summary>
    public override Shape GetOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != ItemRank + 1)
            throw new ShapeException($"{this}: expected input with {ItemRank} dimensions after the batch " +
                $"(the pads give {ItemRank} begin/end pairs), got {inputShape}.");
        var dims = inputShape.Dims.ToArray();
        for (int k = 0; k < ItemRank; k++)
        {
            int size = inputShape[k + 1], before = pads[k], after = pads[k + ItemRank];
            if (Mode == PadMode.Reflect && (before >= size || after >= size))
                throw new ShapeException($"{this}: reflect padding of {Math.Max(before, after)} on axis {k + 1} " +
                    $"needs more than {Math.Max(before, after)} values there, got input {inputShape}.");
            dims[k + 1] = size + before + after;
        }
        return new Shape(dims);
    }

    // The input index of each output index along every axis, for this input shape.
    private void PlanFor(Shape input, Shape result)
    {
        if (sources.Length > 0 && planned == input) return;
        planned = input;
        sources = new int[input.Rank][];
        sources[0] = [.. Enumerable.Range(0, input[0])];
        for (int d = 1; d < input.Rank; d++)
        {
            int size = input[d], before = pads[d - 1];
            sources[d] = new int[result[d]];
            for (int o = 0; o < result[d]; o++)
            {
                int i = o - before;
                sources[d][o] = i >= 0 && i < size ? i : Mode switch
                {
                    PadMode.Constant => -1,
                    PadMode.Edge => Math.Clamp(i, 0, size - 1),
                    _ => i < 0 ? -i : 2 * (size - 1) - i,
                };
            }
        }
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        PlanFor(input.Shape, result.Shape);
        var x = input.Span;
        var y = result.Span;
        int rank = input.Shape.Rank, last = rank - 1, columns = result.Shape[last], inColumns = input.Shape[last];
        int before = pads[last - 1];
        var map = sources[last];
        Span<int> index = stackalloc int[rank];
        for (int row = 0; row < y.Length / columns; row++)
        {
            var into = y.Slice(row * columns, columns);
            int source = SourceRow(input.Shape, index);
            if (source < 0) into.Fill(Value);
            else
            {
                x.Slice(source, inColumns).CopyTo(into.Slice(before, inColumns));
                for (int c = 0; c < before; c++) into[c] = map[c] < 0 ? Value : x[source + map[c]];
                for (int c = before + inColumns; c < columns; c++) into[c] = map[c] < 0 ? Value : x[source + map[c]];
            }
            Next(index, result.Shape);
        }
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, planned);
        var dx = result.Span;
        var dy = dOutput.Span;
        dx.Clear();
        int rank = planned.Rank, last = rank - 1, columns = dOutput.Shape[last], inColumns = planned[last];
        int before = pads[last - 1];
        var map = sources[last];
        Span<int> index = stackalloc int[rank];
        for (int row = 0; row < dy.Length / columns; row++)
        {
            var from = dy.Slice(row * columns, columns);
            int source = SourceRow(planned, index);
            if (source >= 0)
            {
                var into = dx.Slice(source, inColumns);
                TensorPrimitives.Add(into, from.Slice(before, inColumns), into);
                for (int c = 0; c < before; c++) if (map[c] >= 0) dx[source + map[c]] += from[c];
                for (int c = before + inColumns; c < columns; c++) if (map[c] >= 0) dx[source + map[c]] += from[c];
            }
            Next(index, dOutput.Shape);
        }
        return result;
    }

    // Where the input row for output row index (all axes but the last) starts, or -1 if it is border.
    private int SourceRow(Shape input, ReadOnlySpan<int> index)
    {
        int offset = 0;
        for (int d = 0; d < input.Rank - 1; d++)
        {
            int i = sources[d][index[d]];
            if (i < 0) return -1;
            offset = offset * input[d] + i;
        }
        return offset * input[^1];
    }

    // Steps the output row counter over all axes but the last.
    private static void Next(Span<int> index, Shape shape)
    {
        for (int d = shape.Rank - 2; d >= 0; d--)
        {
            if (++index[d] < shape[d]) return;
            index[d] = 0;
        }
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new PadConfig([.. pads], Mode, Value);

    /// <inheritdoc />
    protected override string ExtraDescription =>
        "[" + string.Join(", ", pads) + "]" + (Mode == PadMode.Constant ? "" : $", {Mode.ToString().ToLowerInvariant()}")
        + (Value == 0 ? "" : $", value={Value}");
}

/// <summary>Options of a <see cref="Pad"/> layer; an infinite value is written as "Infinity" / "-Infinity".</summary>
public sealed record PadConfig(
    int[] Pads,
    PadMode Mode = PadMode.Constant,
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] float Value = 0) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Pad(this);

    // Records compare arrays by reference; two configs with equal values are equal.
    /// <inheritdoc />
    public bool Equals(PadConfig? other) => other is not null && base.Equals(other) && Pads.AsSpan().SequenceEqual(other.Pads)
        && Mode == other.Mode && Value.Equals(other.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Pads.Length, Mode, Value);
}
