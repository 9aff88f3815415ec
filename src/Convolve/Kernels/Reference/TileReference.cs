namespace Convolve.Kernels.Reference;

/// <summary>Tiling (numpy's and ONNX's Tile) element by element: the definitions.</summary>
internal static class TileReference
{
    /// <summary>
    /// output[c] = input[c mod dims] for every output coordinate c, where the output has
    /// dims[a] * repeats[a] along each axis a.
    /// </summary>
    public static void Forward(ReadOnlySpan<int> dims, ReadOnlySpan<int> repeats, ReadOnlySpan<float> input, Span<float> output)
    {
        for (int o = 0; o < output.Length; o++) output[o] = input[InputIndex(dims, repeats, o)];
    }

    /// <summary>dInput[i] = the sum of dOutput over every output position that copies input i. Overwrites dInput.</summary>
    public static void Backward(ReadOnlySpan<int> dims, ReadOnlySpan<int> repeats, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        dInput.Clear();
        for (int o = 0; o < dOutput.Length; o++) dInput[InputIndex(dims, repeats, o)] += dOutput[o];
    }

    // The input index output index o copies: each output coordinate modulo the input's size on its axis.
    private static int InputIndex(ReadOnlySpan<int> dims, ReadOnlySpan<int> repeats, int o)
    {
        int i = 0, scale = 1;
        for (int a = dims.Length - 1; a >= 0; a--)
        {
            int size = dims[a] * repeats[a];
            int coordinate = o % size;
            o /= size;
            i += coordinate % dims[a] * scale;
            scale *= dims[a];
        }
        return i;
    }
}
