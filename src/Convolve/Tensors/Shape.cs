using System.Collections;

namespace Convolve.Tensors;

/// <summary>
/// The dimensions of a tensor, outermost first. Image batches are NCHW: N batch items,
/// C channels, H rows, W columns; a weight of a convolution is [K, C/groups, kH, kW] with
/// K output channels; a batch of vectors is [N, features].
/// </summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? dims;

    /// <summary>Creates a shape from its dimensions; each must be positive.</summary>
    public Shape(params ReadOnlySpan<int> dimensions)
    {
        for (int i = 0; i < dimensions.Length; i++)
        {
            if (dimensions[i] <= 0)
                throw new ArgumentException($"Shape {Format(dimensions)}: dimension {i} is {dimensions[i]}; every dimension must be positive.");
        }
        dims = dimensions.ToArray();
    }

    /// <summary>
    /// Creates a shape from an array of dimensions. A null array is refused: read as a span it
    /// would quietly be the empty (scalar) shape. For the same reason there is no conversion
    /// from <c>int[]</c>, which let a null in <c>cond ? null : dims</c> become <c>[]</c>.
    /// </summary>
    public Shape(int[] dimensions)
        : this((ReadOnlySpan<int>)(dimensions
            ?? throw new ArgumentNullException(nameof(dimensions), "A shape needs its dimensions; got null.")))
    {
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => dims?.Length ?? 0;

    /// <summary>Dimension <paramref name="axis"/>; negative counts from the end.</summary>
    public int this[int axis] => axis < 0 ? Dims[Rank + axis] : Dims[axis];

    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int Size
    {
        get
        {
            long size = 1;
            foreach (int d in Dims) size *= d;
            return checked((int)size);
        }
    }

    /// <summary>The dimensions as a span.</summary>
    public ReadOnlySpan<int> Dims => dims ?? [];

    /// <summary>The shape with its first dimension replaced by <paramref name="batch"/>.</summary>
    public Shape WithBatch(int batch)
    {
        var d = Dims.ToArray();
        d[0] = batch;
        return new Shape(d);
    }

    /// <summary>The shape of one item: all dimensions but the first.</summary>
    public Shape ItemShape => new(Dims[1..]);

    /// <summary>The shape with <paramref name="batch"/> put in front.</summary>
    public Shape Prepend(int batch)
    {
        var d = new int[Rank + 1];
        d[0] = batch;
        Dims.CopyTo(d.AsSpan(1));
        return new Shape(d);
    }

    /// <inheritdoc />
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);
    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int d in Dims) hash.Add(d);
        return hash.ToHashCode();
    }
    /// <summary>Whether the two shapes have the same dimensions in the same order.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    /// <summary>Whether the two shapes differ in rank or in some dimension.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Formats as <c>[8, 1, 28, 28]</c>.</summary>
    public override string ToString() => Format(Dims);

    /// <summary>Formats with the batch dimension named rather than counted: <c>[N, 1, 28, 28]</c>.</summary>
    public string ToBatchString(string batch = "N") =>
        Rank == 0 ? ToString() : $"[{batch}{string.Concat(Dims[1..].ToArray().Select(d => $", {d}"))}]";

    /// <summary>
    /// Formats an item shape the way the article's tables do: [C, H, W] as <c>HxWxC</c>,
    /// a vector as its length.
    /// </summary>
    public string ToImageString() => Rank == 3 ? $"{this[1]}x{this[2]}x{this[0]}" : string.Join("x", Dims.ToArray());

    private static string Format(ReadOnlySpan<int> d) => "[" + string.Join(", ", d.ToArray()) + "]";

    /// <inheritdoc />
    public int Count => Rank;
    /// <inheritdoc />
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dims.ToArray()).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
