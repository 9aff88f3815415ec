namespace Convolve.Kernels.Reference;

/// <summary>Gathering slices of one axis at given indices (ONNX's Gather), element by element: the definitions.</summary>
internal static class GatherReference
{
    /// <summary>
    /// With the input as [outer, size, inner] and the output as [outer, indices.Length, inner]:
    /// output[o, k, j] = input[o, indices[k], j]. The indices are in [0, size).
    /// </summary>
    public static void Forward(int outer, int size, int inner, ReadOnlySpan<int> indices, ReadOnlySpan<float> input, Span<float> output)
    {
        int count = indices.Length;
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < count; k++)
                for (int j = 0; j < inner; j++)
                    output[(o * count + k) * inner + j] = input[(o * size + indices[k]) * inner + j];
    }

    /// <summary>dInput[o, i, j] = the sum of dOutput[o, k, j] over every k with indices[k] = i (0 where no index takes i). Overwrites dInput.</summary>
    public static void Backward(int outer, int size, int inner, ReadOnlySpan<int> indices, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        int count = indices.Length;
        dInput.Clear();
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < count; k++)
                for (int j = 0; j < inner; j++)
                    dInput[(o * size + indices[k]) * inner + j] += dOutput[(o * count + k) * inner + j];
    }
}
