using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Tensors;

/// <summary>An element-wise operation of two values: <c>a + b</c>, <c>a - b</c>, <c>a * b</c>, <c>a / b</c>, <c>min(a, b)</c>, <c>max(a, b)</c>.</summary>
public enum BinaryOperation
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a - b.</summary>
    Subtract,
    /// <summary>a * b.</summary>
    Multiply,
    /// <summary>a / b (IEEE: x / 0 is infinite or NaN).</summary>
    Divide,
    /// <summary>The smaller of a and b (NaN if either is NaN).</summary>
    Min,
    /// <summary>The larger of a and b (NaN if either is NaN).</summary>
    Max,
}

/// <summary>
/// Element-wise work on two tensors whose shapes broadcast by numpy's (and ONNX's
/// multidirectional) rule: the shapes are aligned at their last dimensions, a missing leading
/// dimension counts as 1, and in each dimension the sizes are equal or one of them is 1, which is
/// repeated. [N, C, H, W] and [C, 1, 1] give [N, C, H, W]; [4, 1] and [3] give [4, 3].
/// <para>
/// A plan is made once for two shapes (layers keep it while the shapes stay the same) and runs
/// without allocating. It drops size-1 output dimensions and merges neighbouring dimensions in
/// which each operand is either present in both or repeated in both, so equal shapes become a
/// single row, a per-channel [C, 1, 1] operand becomes N*C rows of H*W against one scalar each,
/// and a scalar becomes one row against one scalar. Each row is one <see cref="TensorPrimitives"/>
/// call (span with span, span with scalar, or scalar with span).
/// </para>
/// </summary>
public sealed class Broadcast
{
    private readonly int[] dims, strideA, strideB;

    /// <summary>
    /// Plans the element-wise work for operands of shapes <paramref name="a"/> and <paramref name="b"/>;
    /// throws a <see cref="ShapeException"/> if they do not broadcast.
    /// </summary>
    public Broadcast(Shape a, Shape b)
    {
        A = a;
        B = b;
        if (!TryGetShape(a, b, out var output, out int axis))
            throw new ShapeException($"Broadcast: shapes {a} and {b} do not broadcast: they differ in dimension {axis} of the result and neither is 1.");
        Output = output;

        int rank = output.Rank;
        var d = new List<int>();
        var sa = new List<int>();
        var sb = new List<int>();
        for (int i = 0; i < rank; i++)
        {
            if (output[i] == 1) continue;
            int stepA = Stride(a, i, rank), stepB = Stride(b, i, rank);
            // Merge with the previous dimension when each operand is present in both or repeated in both.
            if (d.Count > 0 && (sa[^1] == 0) == (stepA == 0) && (sb[^1] == 0) == (stepB == 0))
            {
                d[^1] *= output[i];
                sa[^1] = stepA;
                sb[^1] = stepB;
            }
            else
            {
                d.Add(output[i]);
                sa.Add(stepA);
                sb.Add(stepB);
            }
        }
        if (d.Count == 0) { d.Add(1); sa.Add(0); sb.Add(0); }
        dims = [.. d];
        strideA = [.. sa];
        strideB = [.. sb];
    }

    /// <summary>The first operand's shape.</summary>
    public Shape A { get; }

    /// <summary>The second operand's shape.</summary>
    public Shape B { get; }

    /// <summary>The result's shape: in each dimension (aligned at the end) the larger of A's and B's.</summary>
    public Shape Output { get; }

    /// <summary>Whether A has the result's shape (it is not repeated).</summary>
    public bool AIsFull => A == Output;

    /// <summary>Whether B has the result's shape (it is not repeated).</summary>
    public bool BIsFull => B == Output;

    /// <summary>
    /// The broadcast shape of <paramref name="a"/> and <paramref name="b"/>, or false with
    /// <paramref name="axis"/> the first dimension of the result (counted from its start) where
    /// they clash.
    /// </summary>
    public static bool TryGetShape(Shape a, Shape b, out Shape output, out int axis)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var d = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                output = default;
                axis = i;
                return false;
            }
            d[i] = Math.Max(da, db);
        }
        output = new Shape(d);
        axis = -1;
        return true;
    }

    // The step in x's values for one step along dimension i of a result of the given rank; 0 where x is repeated.
    private static int Stride(Shape x, int i, int rank)
    {
        int j = i - (rank - x.Rank);
        if (j < 0 || x[j] == 1) return 0;
        int stride = 1;
        for (int k = j + 1; k < x.Rank; k++) stride *= x[k];
        return stride;
    }

    /// <summary>
    /// output = a op b, with a of shape <see cref="A"/>, b of <see cref="B"/> and output of <see cref="Output"/>.
    /// output may be a or b itself when that one is full.
    /// </summary>
    public void Apply(BinaryOperation operation, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output)
    {
        Check(a.Length, A, "a");
        Check(b.Length, B, "b");
        Check(output.Length, Output, "output");
        int rank = dims.Length, inner = dims[rank - 1], rows = output.Length / inner;
        int innerA = strideA[rank - 1], innerB = strideB[rank - 1];
        Span<int> index = stackalloc int[rank];
        int offsetA = 0, offsetB = 0;
        for (int row = 0; row < rows; row++)
        {
            var result = output.Slice(row * inner, inner);
            if (innerA != 0 && innerB != 0) Rows(operation, a.Slice(offsetA, inner), b.Slice(offsetB, inner), result);
            else if (innerA != 0) WithScalar(operation, a.Slice(offsetA, inner), b[offsetB], result);
            else if (innerB != 0) ScalarWith(operation, a[offsetA], b.Slice(offsetB, inner), result);
            else result.Fill(Scalar(operation, a[offsetA], b[offsetB]));
            Advance(index, ref offsetA, ref offsetB);
        }
    }

    /// <summary>
    /// a = the sum of <paramref name="full"/> (shaped like <see cref="Output"/>) over the
    /// dimensions in which A is repeated: the gradient of an operand that was broadcast.
    /// </summary>
    public void SumToA(ReadOnlySpan<float> full, Span<float> a) => SumTo(full, a, A, strideA, "a");

    /// <summary>b = the sum of <paramref name="full"/> over the dimensions in which B is repeated (see <see cref="SumToA"/>).</summary>
    public void SumToB(ReadOnlySpan<float> full, Span<float> b) => SumTo(full, b, B, strideB, "b");

    private void SumTo(ReadOnlySpan<float> full, Span<float> target, Shape shape, int[] strides, string name)
    {
        Check(full.Length, Output, "full");
        Check(target.Length, shape, name);
        target.Clear();
        int rank = dims.Length, inner = dims[rank - 1], rows = full.Length / inner, innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[rank];
        int offset = 0, unused = 0;
        for (int row = 0; row < rows; row++)
        {
            var values = full.Slice(row * inner, inner);
            if (innerStride != 0)
            {
                var into = target.Slice(offset, inner);
                TensorPrimitives.Add(into, values, into);
            }
            else target[offset] += TensorPrimitives.Sum(values);
            if (strides == strideA) Advance(index, ref offset, ref unused);
            else Advance(index, ref unused, ref offset);
        }
    }

    // Steps the row counter over all dimensions but the last, moving both operands' offsets.
    private void Advance(Span<int> index, ref int offsetA, ref int offsetB)
    {
        for (int d = dims.Length - 2; d >= 0; d--)
        {
            offsetA += strideA[d];
            offsetB += strideB[d];
            if (++index[d] < dims[d]) return;
            offsetA -= strideA[d] * dims[d];
            offsetB -= strideB[d] * dims[d];
            index[d] = 0;
        }
    }

    private void Check(int length, Shape shape, string name)
    {
        if (length != shape.Size)
            throw new ShapeException($"Broadcast({A}, {B}): {name} has {length} values, but {shape} needs {shape.Size}.");
    }

    private static void Rows(BinaryOperation operation, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result)
    {
        switch (operation)
        {
            case BinaryOperation.Add: TensorPrimitives.Add(a, b, result); break;
            case BinaryOperation.Subtract: TensorPrimitives.Subtract(a, b, result); break;
            case BinaryOperation.Multiply: TensorPrimitives.Multiply(a, b, result); break;
            case BinaryOperation.Min: TensorPrimitives.Min(a, b, result); break;
            case BinaryOperation.Max: TensorPrimitives.Max(a, b, result); break;
            default: TensorPrimitives.Divide(a, b, result); break;
        }
    }

    private static void WithScalar(BinaryOperation operation, ReadOnlySpan<float> a, float b, Span<float> result)
    {
        switch (operation)
        {
            case BinaryOperation.Add: TensorPrimitives.Add(a, b, result); break;
            case BinaryOperation.Subtract: TensorPrimitives.Subtract(a, b, result); break;
            case BinaryOperation.Multiply: TensorPrimitives.Multiply(a, b, result); break;
            case BinaryOperation.Min: TensorPrimitives.Min(a, b, result); break;
            case BinaryOperation.Max: TensorPrimitives.Max(a, b, result); break;
            default: TensorPrimitives.Divide(a, b, result); break;
        }
    }

    private static void ScalarWith(BinaryOperation operation, float a, ReadOnlySpan<float> b, Span<float> result)
    {
        switch (operation)
        {
            case BinaryOperation.Add: TensorPrimitives.Add(b, a, result); break;
            case BinaryOperation.Subtract: TensorPrimitives.Subtract(a, b, result); break;
            case BinaryOperation.Multiply: TensorPrimitives.Multiply(b, a, result); break;
            case BinaryOperation.Min: TensorPrimitives.Min(b, a, result); break;
            case BinaryOperation.Max: TensorPrimitives.Max(b, a, result); break;
            default: TensorPrimitives.Divide(a, b, result); break;
        }
    }

    /// <summary>a op b for two numbers.</summary>
    public static float Scalar(BinaryOperation operation, float a, float b) => operation switch
    {
        BinaryOperation.Add => a + b,
        BinaryOperation.Subtract => a - b,
        BinaryOperation.Multiply => a * b,
        BinaryOperation.Min => MathF.Min(a, b),
        BinaryOperation.Max => MathF.Max(a, b),
        _ => a / b,
    };

    /// <summary>The operator's symbol: "+", "-", "*", "/", or the function's name "min", "max".</summary>
    public static string Symbol(BinaryOperation operation) => operation switch
    {
        BinaryOperation.Add => "+",
        BinaryOperation.Subtract => "-",
        BinaryOperation.Multiply => "*",
        BinaryOperation.Min => "min",
        BinaryOperation.Max => "max",
        _ => "/",
    };
}
