using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// Permutes the axes: output dimension i is input dimension <c>permutation[i]</c> (ONNX's Transpose,
/// numpy's transpose). The permutation covers every axis, the batch included, and must keep the
/// batch first (permutation[0] = 0): [0, 2, 3, 1] turns NCHW into NHWC. dInput is dOutput permuted
/// back.
/// <para>
/// The copy is planned once per input shape: size-1 axes are dropped and axes that stay neighbours
/// in the same order are merged, so NCHW to NHWC becomes a batch of [C, H*W] to [H*W, C] matrix
/// transposes. The last two planned axes are then copied row by row when the last one is
/// contiguous in the input, in tiles of 32 output rows (each reading a contiguous run of the input)
/// when the one before is, and element by element otherwise.
/// </para>
/// </summary>
public sealed class Transpose : Layer
{
    private readonly int[] permutation, inverse;
    private Plan? forward, backward;
    private Tensor? output, dInput;

    /// <summary>A transpose by <paramref name="permutation"/> of all axes (batch first, so it starts with 0).</summary>
    public Transpose(params int[] permutation)
    {
        string text = "[" + string.Join(", ", permutation) + "]";
        if (permutation.Length == 0 || !permutation.Order().SequenceEqual(Enumerable.Range(0, permutation.Length)))
            throw new ArgumentException($"Transpose({text}): expected a permutation of 0 to {permutation.Length - 1}.");
        if (permutation[0] != 0)
            throw new ArgumentException($"Transpose({text}): the batch axis must stay first (permutation[0] must be 0), " +
                $"got {permutation[0]}; a model's layers keep the batch as axis 0.");
        this.permutation = [.. permutation];
        inverse = new int[permutation.Length];
        for (int i = 0; i < permutation.Length; i++) inverse[permutation[i]] = i;
    }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Transpose(TransposeConfig config) : this(config.Permutation ?? []) { }

    /// <summary>Output axis i is input axis Permutation[i].</summary>
    public IReadOnlyList<int> Permutation => permutation;

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != permutation.Length)
            throw new ShapeException($"{this}: expected input with {permutation.Length} dimensions (the permutation's length), got {inputShape}.");
        var dims = new int[permutation.Length];
        for (int i = 0; i < dims.Length; i++) dims[i] = inputShape[permutation[i]];
        return new Shape(dims);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        if (forward is null || forward.Input != input.Shape)
        {
            forward = new Plan(input.Shape, permutation);
            backward = new Plan(result.Shape, inverse);
        }
        forward.Copy(input.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, forward!.Input);
        backward!.Copy(dOutput.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new TransposeConfig([.. permutation]);

    /// <inheritdoc />
    protected override string ExtraDescription => "[" + string.Join(", ", permutation) + "]";

    /// <summary>A permuted copy for one input shape, with size-1 axes dropped and neighbour axes merged.</summary>
    private sealed class Plan
    {
        private const int Tile = 32;
        private readonly int[] dims, strides;     // per output axis: its size, and its step in the input

        public Plan(Shape input, int[] permutation)
        {
            Input = input;
            // Input strides, then the output axes in order, without size-1 axes, merging an axis into
            // the previous one when it follows it directly in the input as well.
            var inputStrides = new int[input.Rank];
            for (int d = input.Rank - 1, s = 1; d >= 0; s *= input[d], d--) inputStrides[d] = s;
            var d2 = new List<int>();
            var s2 = new List<int>();
            int previous = -2;
            foreach (int axis in permutation)
            {
                if (input[axis] == 1) continue;
                if (axis == previous + 1 && s2.Count > 0)
                {
                    d2[^1] *= input[axis];
                    s2[^1] = inputStrides[axis];
                }
                else
                {
                    d2.Add(input[axis]);
                    s2.Add(inputStrides[axis]);
                }
                previous = axis;
            }
            if (d2.Count == 0) { d2.Add(1); s2.Add(1); }
            if (d2.Count == 1) { d2.Insert(0, 1); s2.Insert(0, 0); }
            dims = [.. d2];
            strides = [.. s2];
        }

        public Shape Input { get; }

        public void Copy(ReadOnlySpan<float> x, Span<float> y)
        {
            int rank = dims.Length, rows = dims[rank - 2], columns = dims[rank - 1];
            int rowStride = strides[rank - 2], columnStride = strides[rank - 1], block = rows * columns;
            int blocks = y.Length / block;
            Span<int> index = stackalloc int[rank];
            int source = 0;
            for (int b = 0; b < blocks; b++)
            {
                var into = y.Slice(b * block, block);
                if (columnStride == 1)
                {
                    for (int r = 0; r < rows; r++) x.Slice(source + r * rowStride, columns).CopyTo(into.Slice(r * columns, columns));
                }
                else if (rowStride == 1)
                {
                    // y[r, c] = x[c * columnStride + r]: for a tile of rows, each column reads a contiguous run.
                    for (int r0 = 0; r0 < rows; r0 += Tile)
                    {
                        int r1 = Math.Min(r0 + Tile, rows);
                        for (int c = 0; c < columns; c++)
                        {
                            var run = x.Slice(source + c * columnStride + r0, r1 - r0);
                            for (int r = r0; r < r1; r++) into[r * columns + c] = run[r - r0];
                        }
                    }
                }
                else
                {
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < columns; c++) into[r * columns + c] = x[source + r * rowStride + c * columnStride];
                }
                // Next block: step the counter over the axes before the last two.
                for (int d = rank - 3; d >= 0; d--)
                {
                    source += strides[d];
                    if (++index[d] < dims[d]) break;
                    source -= strides[d] * dims[d];
                    index[d] = 0;
                }
            }
        }
    }
}

/// <summary>Options of a <see cref="Transpose"/> layer: the permutation of all axes (batch first).</summary>
public sealed record TransposeConfig(int[] Permutation) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Transpose(this);

    // Records compare arrays by reference; two configs with equal values are equal.
    /// <inheritdoc />
    public bool Equals(TransposeConfig? other) => other is not null && base.Equals(other) && Permutation.AsSpan().SequenceEqual(other.Permutation);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Permutation.Length);
}
