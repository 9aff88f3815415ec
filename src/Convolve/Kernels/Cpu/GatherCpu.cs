using System.Numerics.Tensors;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Gather by row copies: each (outer, index) pair copies one contiguous row of inner values, and
/// the gradient adds each row back with <see cref="TensorPrimitives"/>. Same results as
/// <see cref="Reference.GatherReference"/> (the gradient's rows add in the same order).
/// </summary>
internal static class GatherCpu
{
    /// <inheritdoc cref="Reference.GatherReference.Forward"/>
    public static void Forward(int outer, int size, int inner, ReadOnlySpan<int> indices, ReadOnlySpan<float> input, Span<float> output)
    {
        int count = indices.Length;
        if (inner == 1)
        {
            // Along the last axis: single values, not rows.
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < count; k++) output[o * count + k] = input[o * size + indices[k]];
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var from = input.Slice(o * size * inner, size * inner);
            var to = output.Slice(o * count * inner, count * inner);
            for (int k = 0; k < count; k++) from.Slice(indices[k] * inner, inner).CopyTo(to.Slice(k * inner, inner));
        }
    }

    /// <inheritdoc cref="Reference.GatherReference.Backward"/>
    public static void Backward(int outer, int size, int inner, ReadOnlySpan<int> indices, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        int count = indices.Length;
        dInput.Clear();
        for (int o = 0; o < outer; o++)
        {
            var to = dInput.Slice(o * size * inner, size * inner);
            var from = dOutput.Slice(o * count * inner, count * inner);
            for (int k = 0; k < count; k++)
            {
                var row = to.Slice(indices[k] * inner, inner);
                TensorPrimitives.Add(row, from.Slice(k * inner, inner), row);
            }
        }
    }
}
