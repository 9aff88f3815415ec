using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>
/// Broadcasting written out plainly for the tests, independent of <see cref="Broadcast"/>: every
/// output element is visited by its multi-index, and each operand's element is found by aligning
/// its dimensions with the output's last ones and using index 0 where the operand's size is 1.
/// </summary>
internal static class BroadcastReference
{
    public static Shape Shape(Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b[i - (rank - b.Rank)] : 1;
            dims[i] = Math.Max(da, db);
        }
        return new Shape(dims);
    }

    /// <summary>The flat index into an operand of <paramref name="shape"/> for output multi-index <paramref name="index"/>.</summary>
    public static int Source(int[] index, Shape shape)
    {
        int flat = 0, shift = index.Length - shape.Rank;
        for (int j = 0; j < shape.Rank; j++) flat = flat * shape[j] + (shape[j] == 1 ? 0 : index[j + shift]);
        return flat;
    }

    /// <summary>The multi-index of flat position <paramref name="flat"/> in <paramref name="shape"/>.</summary>
    public static int[] Index(int flat, Shape shape)
    {
        var index = new int[shape.Rank];
        for (int d = shape.Rank - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }

    public static float[] Apply(Func<double, double, double> op, Tensor a, Tensor b)
    {
        var shape = Shape(a.Shape, b.Shape);
        var result = new float[shape.Size];
        for (int i = 0; i < result.Length; i++)
        {
            var index = Index(i, shape);
            result[i] = (float)op(a[Source(index, a.Shape)], b[Source(index, b.Shape)]);
        }
        return result;
    }

    public static Func<double, double, double> Function(BinaryOperation operation) => operation switch
    {
        BinaryOperation.Add => (x, y) => x + y,
        BinaryOperation.Subtract => (x, y) => x - y,
        BinaryOperation.Multiply => (x, y) => x * y,
        BinaryOperation.Min => Math.Min,
        BinaryOperation.Max => Math.Max,
        _ => (x, y) => x / y,
    };

    // Values in [-1, 1); a divisor gets magnitudes in [0.5, 1.5] to stay away from 0.
    public static Tensor Operand(Shape shape, Random random, bool divisor)
    {
        var t = GradientCheck.RandomTensor(shape, random);
        if (divisor) for (int i = 0; i < t.Length; i++) t[i] = (t[i] < 0 ? -1 : 1) * (0.5f + MathF.Abs(t[i]));
        return t;
    }

    /// <summary>
    /// Values k/10 + <paramref name="offset"/> in [-1, 1): operands on grids 0.05 apart (offsets 0
    /// and 0.05) never tie within a finite-difference step, which Min and Max need (the gradient
    /// jumps at a tie).
    /// </summary>
    public static Tensor OnGrid(Shape shape, Random random, float offset)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t[i] = random.Next(-10, 10) / 10f + offset;
        return t;
    }

    /// <summary>
    /// Operands for <paramref name="operation"/>: on a grid for Min and Max (the <paramref name="second"/>
    /// offset), else <see cref="Operand"/>.
    /// </summary>
    public static Tensor For(BinaryOperation operation, Shape shape, Random random, bool divisor, bool second) =>
        operation is BinaryOperation.Min or BinaryOperation.Max ? OnGrid(shape, random, second ? 0.05f : 0) : Operand(shape, random, divisor);
}
