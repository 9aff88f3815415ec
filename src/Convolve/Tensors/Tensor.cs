using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Tensors;

/// <summary>
/// A dense float32 tensor in row-major order. Images are NCHW: N batch items, C channels,
/// H rows, W columns (K is used for the output channels of a convolution).
/// A tensor is a view on a range of a <see cref="float"/> array, so several tensors can share
/// one buffer (a model keeps all its parameters in one array; a reshape copies nothing).
/// </summary>
public sealed class Tensor
{
    /// <summary>Creates a zero-filled tensor.</summary>
    public Tensor(Shape shape)
    {
        Shape = shape;
        Buffer = new float[shape.Size];
        Offset = 0;
    }

    /// <summary>Wraps <paramref name="data"/> (no copy); its length must match the shape.</summary>
    public Tensor(Shape shape, float[] data) : this(shape, data, 0)
    {
        if (data.Length != shape.Size)
            throw new ShapeException($"Tensor: shape {shape} needs {shape.Size} values, got {data.Length}.");
    }

    /// <summary>A view of <c>shape.Size</c> values of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    public Tensor(Shape shape, float[] buffer, int offset)
    {
        if (offset < 0 || (long)offset + shape.Size > buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Tensor: a view of {shape} at offset {offset} does not fit in a buffer of {buffer.Length}.");
        Shape = shape;
        Buffer = buffer;
        Offset = offset;
    }

    /// <summary>The dimensions.</summary>
    public Shape Shape { get; }

    /// <summary>The array that holds the values; they start at <see cref="Offset"/>.</summary>
    public float[] Buffer { get; }

    /// <summary>Where the values start in <see cref="Buffer"/>.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Shape.Size;

    /// <summary>The values, row-major.</summary>
    public Span<float> Span => Buffer.AsSpan(Offset, Length);

    /// <summary>Creates a tensor from values (copied) and dimensions.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, params int[] dimensions)
    {
        var t = new Tensor(new Shape(dimensions));
        if (values.Length != t.Length)
            throw new ShapeException($"Tensor.FromArray: shape {t.Shape} needs {t.Length} values, got {values.Length}.");
        values.CopyTo(t.Span);
        return t;
    }

    /// <summary>Element at a flat row-major index.</summary>
    public ref float this[int index] => ref Buffer[Offset + index];

    /// <summary>Element (i, j) of a rank-2 tensor.</summary>
    public ref float this[int i, int j] => ref Buffer[Offset + i * Shape[1] + j];

    /// <summary>Element (n, c, h, w) of a rank-4 tensor.</summary>
    public ref float this[int n, int c, int h, int w] =>
        ref Buffer[Offset + ((n * Shape[1] + c) * Shape[2] + h) * Shape[3] + w];

    /// <summary>The same values with another shape of the same size (no copy).</summary>
    public Tensor Reshape(Shape shape)
    {
        if (shape.Size != Length)
            throw new ShapeException($"Reshape: cannot view {Shape} ({Length} values) as {shape} ({shape.Size} values).");
        return new Tensor(shape, Buffer, Offset);
    }

    /// <summary>Batch item <paramref name="n"/> as a view with the first dimension 1.</summary>
    public Tensor Slice(int n, int count = 1)
    {
        int itemSize = Length / Shape[0];
        return new Tensor(Shape.WithBatch(count), Buffer, Offset + n * itemSize);
    }

    /// <summary>A new tensor with a copy of the values.</summary>
    public Tensor Clone()
    {
        var t = new Tensor(Shape);
        Span.CopyTo(t.Span);
        return t;
    }

    /// <summary>Sets every element to zero.</summary>
    public void Clear() => Span.Clear();

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void Fill(float value) => Span.Fill(value);

    /// <summary>Copies the values into a new array.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>Largest absolute value.</summary>
    public float MaxAbs() => Length == 0 ? 0 : MathF.Abs(TensorPrimitives.MaxMagnitude(Span));

    /// <summary>
    /// Returns <paramref name="cache"/> if it already has <paramref name="shape"/>, else a new
    /// tensor of that shape stored in <paramref name="cache"/>. Layers keep their outputs and
    /// gradients this way, so that a steady stream of equal batches allocates nothing.
    /// </summary>
    public static Tensor Reuse(ref Tensor? cache, Shape shape)
    {
        if (cache is null || cache.Shape != shape) cache = new Tensor(shape);
        return cache;
    }

    /// <inheritdoc />
    public override string ToString() => $"Tensor{Shape}";
}
