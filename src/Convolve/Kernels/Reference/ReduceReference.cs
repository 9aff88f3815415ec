namespace Convolve.Kernels.Reference;

/// <summary>Reductions over any set of axes by one loop over the input: the definitions.</summary>
internal static class ReduceReference
{
    /// <summary>
    /// output[o] = the reduction of every input[i] whose coordinates on the kept axes are o's.
    /// Sums are taken in double. <paramref name="argIndex"/> receives, for Max and Min, the flat
    /// input index of the first value chosen (row-major order), where the gradient goes.
    /// </summary>
    public static void Forward(ReduceKind kind, in ReduceGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argIndex)
    {
        var sums = new double[output.Length];
        argIndex.Fill(-1);
        for (int i = 0; i < input.Length; i++)
        {
            int o = OutputIndex(g, i);
            float x = input[i];
            switch (kind)
            {
                case ReduceKind.Max or ReduceKind.Min:
                    int best = argIndex[o];
                    bool better = kind == ReduceKind.Max ? x > input[Math.Max(best, 0)] : x < input[Math.Max(best, 0)];
                    if (best < 0 || better || (float.IsNaN(x) && !float.IsNaN(input[best]))) argIndex[o] = i;
                    break;
                case ReduceKind.L2:
                    sums[o] += (double)x * x;
                    break;
                default:
                    sums[o] += x;
                    break;
            }
        }
        int count = g.Count;
        for (int o = 0; o < output.Length; o++)
            output[o] = kind switch
            {
                ReduceKind.Max or ReduceKind.Min => input[argIndex[o]],
                ReduceKind.Mean => (float)(sums[o] / count),
                ReduceKind.L2 => (float)Math.Sqrt(sums[o]),
                _ => (float)sums[o],
            };
    }

    /// <summary>
    /// dInput[i] = dOutput[o] times d output[o] / d input[i]: 1/count for Mean, 1 for Sum, 1 at the
    /// chosen index for Max and Min (0 elsewhere), input[i] / output[o] for L2 (0 where the norm is 0).
    /// Overwrites dInput.
    /// </summary>
    public static void Backward(ReduceKind kind, in ReduceGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<int> argIndex, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        int count = g.Count;
        for (int i = 0; i < dInput.Length; i++)
        {
            int o = OutputIndex(g, i);
            dInput[i] = kind switch
            {
                ReduceKind.Mean => dOutput[o] / count,
                ReduceKind.Sum => dOutput[o],
                ReduceKind.L2 => output[o] == 0 ? 0 : dOutput[o] * input[i] / output[o],
                _ => argIndex[o] == i ? dOutput[o] : 0,
            };
        }
    }

    // The output index of input index i: its coordinates with the reduced axes dropped.
    private static int OutputIndex(in ReduceGeometry g, int i)
    {
        int o = 0, scale = 1;
        for (int a = g.Dims.Length - 1; a >= 0; a--)
        {
            int coordinate = i % g.Dims[a];
            i /= g.Dims[a];
            if (g.Reduced[a]) continue;
            o += coordinate * scale;
            scale *= g.Dims[a];
        }
        return o;
    }
}
