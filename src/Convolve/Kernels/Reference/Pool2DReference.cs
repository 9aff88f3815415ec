namespace Convolve.Kernels.Reference;

/// <summary>Max and average pooling by direct loops: the definitions.</summary>
internal static class Pool2DReference
{
    /// <summary>
    /// Each output is the largest input in its window (padding never wins). <paramref name="argmax"/>
    /// receives, for each output, the flat index in <paramref name="input"/> of that input, which
    /// is where the backward pass sends the gradient. Ties go to the first in row-major order.
    /// </summary>
    public static void MaxForward(in Pool2DGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax)
    {
        int outH = g.OutH, outW = g.OutW;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    float best = float.NegativeInfinity;
                    int bestIndex = -1;
                    for (int kh = 0; kh < g.KernelH; kh++)
                        for (int kw = 0; kw < g.KernelW; kw++)
                        {
                            int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                            int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                            if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                            int index = (plane * g.InH + ih) * g.InW + iw;
                            if (bestIndex < 0 || input[index] > best || float.IsNaN(input[index]))
                            {
                                best = input[index];
                                bestIndex = index;
                            }
                        }
                    int o = (plane * outH + oh) * outW + ow;
                    output[o] = best;
                    argmax[o] = bestIndex;
                }
    }

    /// <summary>dInput = 0, then each output's gradient is added at its argmax. Overwrites dInput.</summary>
    public static void MaxBackward(ReadOnlySpan<float> dOutput, ReadOnlySpan<int> argmax, Span<float> dInput)
    {
        dInput.Clear();
        for (int o = 0; o < dOutput.Length; o++)
            if (argmax[o] >= 0) dInput[argmax[o]] += dOutput[o];
    }

    /// <summary>
    /// Each output is the mean of its window. The divisor counts the window's cells inside the
    /// input, plus, with <paramref name="countIncludePad"/>, those in the padding (but never those
    /// past the padding that ceil mode adds).
    /// </summary>
    public static void AvgForward(in Pool2DGeometry g, bool countIncludePad, ReadOnlySpan<float> input, Span<float> output)
    {
        int outH = g.OutH, outW = g.OutW;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    double sum = 0;
                    for (int kh = 0; kh < g.KernelH; kh++)
                        for (int kw = 0; kw < g.KernelW; kw++)
                        {
                            int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                            int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                            if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                            sum += input[(plane * g.InH + ih) * g.InW + iw];
                        }
                    output[(plane * outH + oh) * outW + ow] = (float)(sum / Divisor(g, countIncludePad, oh, ow));
                }
    }

    /// <summary>Each output's gradient spread evenly over its window's counted cells. Overwrites dInput.</summary>
    public static void AvgBackward(in Pool2DGeometry g, bool countIncludePad, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        dInput.Clear();
        int outH = g.OutH, outW = g.OutW;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    float share = dOutput[(plane * outH + oh) * outW + ow] / Divisor(g, countIncludePad, oh, ow);
                    for (int kh = 0; kh < g.KernelH; kh++)
                        for (int kw = 0; kw < g.KernelW; kw++)
                        {
                            int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                            int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                            if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                            dInput[(plane * g.InH + ih) * g.InW + iw] += share;
                        }
                }
    }

    private static int Divisor(in Pool2DGeometry g, bool countIncludePad, int oh, int ow)
    {
        return CountAlong(oh, g.StrideH, g.PadTop, g.PadBottom, g.KernelH, g.DilationH, g.InH, countIncludePad)
             * CountAlong(ow, g.StrideW, g.PadLeft, g.PadRight, g.KernelW, g.DilationW, g.InW, countIncludePad);
    }

    // Window cells along one axis that lie inside [0, n) or, when padding counts, inside [-padBegin, n + padEnd).
    internal static int CountAlong(int o, int s, int padBegin, int padEnd, int k, int d, int n, bool countIncludePad)
    {
        int low = countIncludePad ? -padBegin : 0, high = countIncludePad ? n + padEnd : n;
        int count = 0;
        for (int i = 0; i < k; i++)
        {
            int position = o * s - padBegin + i * d;
            if (position >= low && position < high) count++;
        }
        return Math.Max(count, 1);
    }
}
