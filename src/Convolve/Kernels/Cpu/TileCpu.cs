using System.Numerics.Tensors;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Tiling by block copies. Neighbouring axes merge where the inner one is not repeated ([N, C, H, W]
/// by [1, 1, 2, 3] runs as [N*C, H, W] by [1, 2, 3]; see <see cref="Merge"/>); then, axis by axis from the outermost, the
/// first copy of each slice is built from the input and the others are copied from it whole, so the
/// innermost copies are rows of the input and every outer copy is one contiguous block. The
/// gradient adds each tile's block back onto the input's. Same results as <see cref="Reference.TileReference"/>
/// (the gradient's sums may add in another order).
/// </summary>
internal static class TileCpu
{
    /// <inheritdoc cref="Reference.TileReference.Forward"/>
    /// <remarks>Give the axes as <see cref="Merge"/> returns them (once per input shape) for the fewest, longest copies.</remarks>
    public static void Forward(ReadOnlySpan<int> dims, ReadOnlySpan<int> repeats, ReadOnlySpan<float> input, Span<float> output) =>
        Fill(dims, repeats, 0, input, output);

    /// <inheritdoc cref="Reference.TileReference.Backward"/>
    public static void Backward(ReadOnlySpan<int> dims, ReadOnlySpan<int> repeats, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        dInput.Clear();
        Sum(dims, repeats, 0, dOutput, dInput);
    }

    /// <summary>
    /// The axes with each unrepeated axis merged into the one before it: tiling [a, b] by [r, 1] is
    /// r copies of the whole, as tiling [a*b] by [r] is.
    /// </summary>
    internal static (int[] Dims, int[] Repeats) Merge(ReadOnlySpan<int> dims, ReadOnlySpan<int> repeats)
    {
        var d = new List<int> { dims[0] };
        var p = new List<int> { repeats[0] };
        for (int a = 1; a < dims.Length; a++)
        {
            if (repeats[a] == 1) d[^1] *= dims[a];
            else
            {
                d.Add(dims[a]);
                p.Add(repeats[a]);
            }
        }
        return ([.. d], [.. p]);
    }

    // Tiles x (axes axis.. of the input) into y: one copy of each slice built below, then whole copies of that block.
    private static void Fill(ReadOnlySpan<int> d, ReadOnlySpan<int> p, int axis, ReadOnlySpan<float> x, Span<float> y)
    {
        int once = y.Length / p[axis];
        if (axis == d.Length - 1) x.CopyTo(y);
        else
        {
            int inSlice = x.Length / d[axis], outSlice = once / d[axis];
            for (int i = 0; i < d[axis]; i++) Fill(d, p, axis + 1, x.Slice(i * inSlice, inSlice), y.Slice(i * outSlice, outSlice));
        }
        var first = y[..once];
        for (int t = 1; t < p[axis]; t++) first.CopyTo(y.Slice(t * once, once));
    }

    // Adds every tile of dy (axes axis.. of the output) onto dx.
    private static void Sum(ReadOnlySpan<int> d, ReadOnlySpan<int> p, int axis, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int once = dy.Length / p[axis];
        for (int t = 0; t < p[axis]; t++)
        {
            var tile = dy.Slice(t * once, once);
            if (axis == d.Length - 1)
            {
                TensorPrimitives.Add(dx, tile, dx);
                continue;
            }
            int inSlice = dx.Length / d[axis], outSlice = once / d[axis];
            for (int i = 0; i < d[axis]; i++) Sum(d, p, axis + 1, tile.Slice(i * outSlice, outSlice), dx.Slice(i * inSlice, inSlice));
        }
    }
}
