namespace Convolve.Kernels;

/// <summary>What a reduction computes over the values it gathers (ONNX's Reduce* operators).</summary>
public enum ReduceKind
{
    /// <summary>The mean (ReduceMean).</summary>
    Mean,

    /// <summary>The sum (ReduceSum).</summary>
    Sum,

    /// <summary>The largest value (ReduceMax); its gradient goes to the first largest.</summary>
    Max,

    /// <summary>The smallest value (ReduceMin); its gradient goes to the first smallest.</summary>
    Min,

    /// <summary>The Euclidean norm, sqrt(sum x^2) (ReduceL2).</summary>
    L2,
}

/// <summary>
/// A reduction's geometry: an input of <see cref="Dims"/> (batch first) reduced over the axes
/// marked in <see cref="Reduced"/>; the output has the other axes, in order.
/// </summary>
internal readonly struct ReduceGeometry
{
    public ReduceGeometry(int[] dims, bool[] reduced)
    {
        if (dims.Length != reduced.Length) throw new ArgumentException("ReduceGeometry: one flag per axis.", nameof(reduced));
        Dims = dims;
        Reduced = reduced;
        Count = dims.Where((_, a) => reduced[a]).Aggregate(1, (p, d) => p * d);
        int first = Array.IndexOf(reduced, true), last = Array.LastIndexOf(reduced, true);
        int Product(int from, int to) => dims[from..to].Aggregate(1, (p, d) => p * d);
        if (first < 0) Block = (Product(0, dims.Length), 1, 1);
        else if (reduced[first..(last + 1)].All(r => r)) Block = (Product(0, first), Product(first, last + 1), Product(last + 1, dims.Length));
    }

    /// <summary>The input's dimensions, batch first.</summary>
    public int[] Dims { get; }

    /// <summary>Per axis, whether it is reduced.</summary>
    public bool[] Reduced { get; }

    /// <summary>How many input values each output value gathers.</summary>
    public int Count { get; }

    /// <summary>
    /// When the reduced axes are one contiguous run: the input is [Outer, Span, Inner] and the
    /// output [Outer, Inner]. Null for axes with gaps (e.g. 1 and 3 of four).
    /// </summary>
    public (int Outer, int Span, int Inner)? Block { get; }
}
