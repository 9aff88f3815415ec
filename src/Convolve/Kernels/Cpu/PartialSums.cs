namespace Convolve.Kernels.Cpu;

/// <summary>
/// Weight gradients summed per part: each part of a parallel pass adds into its own zeroed
/// buffer (weights, then biases), and the buffers are added to the gradient in part order
/// afterwards, so the result does not depend on scheduling.
/// </summary>
internal static class PartialSums
{
    /// <summary>Makes <paramref name="buffers"/> hold <paramref name="parts"/> pinned buffers of at least <paramref name="length"/> zeros.</summary>
    public static void Prepare(ref float[][] buffers, int parts, int length)
    {
        if (buffers.Length < parts) Array.Resize(ref buffers, parts);
        for (int part = 0; part < parts; part++)
        {
            if (buffers[part] is null || buffers[part].Length < length)
                buffers[part] = GC.AllocateUninitializedArray<float>(length, pinned: true);
            buffers[part].AsSpan(0, length).Clear();
        }
    }

    /// <summary>dWeight += each buffer's first weightLength values, dBias (unless empty) += the next dBias.Length, in part order.</summary>
    public static void AddInto(float[][] buffers, int parts, Span<float> dWeight, int weightLength, Span<float> dBias, int channels)
    {
        for (int part = 0; part < parts; part++)
        {
            var partial = buffers[part];
            System.Numerics.Tensors.TensorPrimitives.Add(dWeight[..weightLength], partial.AsSpan(0, weightLength), dWeight[..weightLength]);
            if (!dBias.IsEmpty)
                System.Numerics.Tensors.TensorPrimitives.Add(dBias[..channels], partial.AsSpan(weightLength, channels), dBias[..channels]);
        }
    }
}
