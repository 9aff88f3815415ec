using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// The mean, sum, largest, smallest value or Euclidean norm of each item over some of its axes
/// (ONNX's ReduceMean, ReduceSum, ReduceMax, ReduceMin and ReduceL2; PyTorch's
/// <c>x.mean((2, 3))</c>). Axes count from the batch (1 is the first item axis; negative axes
/// count from the end); the batch is never reduced. With <c>keepDims</c> the reduced axes stay
/// with size 1: [N, C, H, W] over (2, 3) gives [N, C, 1, 1], else [N, C].
/// </summary>
public sealed class Reduce : Layer
{
    private readonly int[] axes;
    private Tensor? output, dInput, lastInput;
    private int[] argIndex = [];
    private ReduceGeometry geometry;

    /// <summary>A <paramref name="kind"/> reduction over <paramref name="axes"/> (batch axis 0 excluded).</summary>
    public Reduce(ReduceKind kind, int[] axes, bool keepDims = true)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown reduction.");
        if (axes.Length == 0) throw new ArgumentException("Reduce: name at least one axis to reduce.", nameof(axes));
        if (axes.Contains(0)) throw new ArgumentException("Reduce: axis 0 is the batch, which is never reduced.", nameof(axes));
        if (axes.Distinct().Count() != axes.Length) throw new ArgumentException($"Reduce: axes [{string.Join(", ", axes)}] repeat an axis.", nameof(axes));
        Kind = kind;
        this.axes = [.. axes];
        KeepDims = keepDims;
    }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Reduce(ReduceConfig config) : this(config.Kind, config.Axes, config.KeepDims) { }

    /// <summary>What the reduction computes.</summary>
    public ReduceKind Kind { get; }

    /// <summary>The reduced axes as given (negative ones count from the end).</summary>
    public IReadOnlyList<int> Axes => axes;

    /// <summary>Whether the reduced axes stay, with size 1.</summary>
    public bool KeepDims { get; }

    /// <inheritdoc />
    public override string TypeName => $"Reduce{Kind}";

    // Which axes of an input of shape are reduced; throws naming the layer for an axis out of range.
    private bool[] ReducedAxes(Shape shape)
    {
        var reduced = new bool[shape.Rank];
        foreach (int axis in axes)
        {
            int a = axis < 0 ? axis + shape.Rank : axis;
            if (a <= 0 || a >= shape.Rank)
                throw new ShapeException($"{this}: axis {axis} is not an item axis of input {shape} (axes 1 to {shape.Rank - 1}, or -1 to {1 - shape.Rank}).");
            if (reduced[a]) throw new ShapeException($"{this}: axes [{string.Join(", ", axes)}] name axis {a} twice for input {shape}.");
            reduced[a] = true;
        }
        return reduced;
    }

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        var reduced = ReducedAxes(inputShape);
        var dims = inputShape.Dims.ToArray();
        return new Shape([.. dims.Select((d, a) => reduced[a] ? (KeepDims ? 1 : -1) : d).Where(d => d >= 0)]);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        if (geometry.Dims is null || !input.Shape.Dims.SequenceEqual(geometry.Dims))
            geometry = new ReduceGeometry(input.Shape.Dims.ToArray(), ReducedAxes(input.Shape));
        if (argIndex.Length != result.Length) argIndex = new int[result.Length];
        ReduceCpu.Forward(Kind, geometry, input.Span, result.Span, argIndex);
        lastInput = input;
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, lastInput!.Shape);
        ReduceCpu.Backward(Kind, geometry, lastInput.Span, output!.Span, argIndex, dOutput.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new ReduceConfig(Kind, [.. axes], KeepDims);

    /// <inheritdoc />
    protected override string ExtraDescription => $"axes=[{string.Join(", ", axes)}]{(KeepDims ? ", keep_dims=true" : "")}";
}

/// <summary>Options of a <see cref="Reduce"/> layer.</summary>
public sealed record ReduceConfig(ReduceKind Kind, int[] Axes, bool KeepDims = true) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Reduce(this);

    // Records compare arrays by reference; two configs with equal values are equal.
    /// <inheritdoc />
    public bool Equals(ReduceConfig? other) =>
        other is not null && base.Equals(other) && Kind == other.Kind && KeepDims == other.KeepDims && Axes.AsSpan().SequenceEqual(other.Axes);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Kind, KeepDims, Axes.Length);
}
