namespace Convolve.Kernels.Reference;

/// <summary>
/// Transposed convolution by direct loops: the definition the fast kernel is held to. Each input
/// value scatters value times the kernel of its group into the output, at
/// <c>oh = ih*sH - padTop + kh*dH</c>, <c>ow = iw*sW - padLeft + kw*dW</c>; positions outside the
/// output are dropped. The backward passes walk the same index map.
/// </summary>
internal static class ConvTranspose2DReference
{
    /// <summary>output = bias, then every input value times the kernel added at its positions.</summary>
    public static void Forward(in ConvTranspose2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        int plane = g.OutH * g.OutW;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.OutChannels; k++)
                output.Slice((n * g.OutChannels + k) * plane, plane).Fill(bias.IsEmpty ? 0 : bias[k]);
        foreach (var (x, y, w) in Pairs(g))
            output[y] += input[x] * weight[w];
    }

    /// <summary>dInput[x] = the sum over x's output positions of dOutput times the kernel value that reached them. Overwrites dInput.</summary>
    public static void BackwardInput(in ConvTranspose2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight, Span<float> dInput)
    {
        var sums = new double[g.InputLength];
        foreach (var (x, y, w) in Pairs(g))
            sums[x] += (double)dOutput[y] * weight[w];
        for (int i = 0; i < sums.Length; i++) dInput[i] = (float)sums[i];
    }

    /// <summary>Adds the weight gradient to dWeight and, when given, the bias gradient (dOutput summed per channel) to dBias.</summary>
    public static void BackwardWeight(in ConvTranspose2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias)
    {
        var sums = new double[g.WeightLength];
        foreach (var (x, y, w) in Pairs(g))
            sums[w] += (double)input[x] * dOutput[y];
        for (int i = 0; i < sums.Length; i++) dWeight[i] += (float)sums[i];
        if (dBias.IsEmpty) return;
        int plane = g.OutH * g.OutW;
        for (int k = 0; k < g.OutChannels; k++)
        {
            double sum = 0;
            for (int n = 0; n < g.Batch; n++)
                for (int i = 0; i < plane; i++) sum += dOutput[(n * g.OutChannels + k) * plane + i];
            dBias[k] += (float)sum;
        }
    }

    /// <summary>
    /// Every (input index, output index, weight index) triple of the scatter: input pixel
    /// (n, c, ih, iw) reaches output (n, k, oh, ow) through weight [c, k mod K/groups, kh, kw],
    /// for the output channels k of c's group.
    /// </summary>
    private static IEnumerable<(int Input, int Output, int Weight)> Pairs(ConvTranspose2DGeometry g)
    {
        int outH = g.OutH, outW = g.OutW, kPerGroup = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int c = 0; c < g.InChannels; c++)
            {
                int firstOut = c / g.InChannelsPerGroup * kPerGroup;
                for (int ih = 0; ih < g.InH; ih++)
                    for (int iw = 0; iw < g.InW; iw++)
                    {
                        int x = ((n * g.InChannels + c) * g.InH + ih) * g.InW + iw;
                        for (int j = 0; j < kPerGroup; j++)
                            for (int kh = 0; kh < g.KernelH; kh++)
                            {
                                int oh = ih * g.StrideH - g.PadTop + kh * g.DilationH;
                                if (oh < 0 || oh >= outH) continue;
                                for (int kw = 0; kw < g.KernelW; kw++)
                                {
                                    int ow = iw * g.StrideW - g.PadLeft + kw * g.DilationW;
                                    if (ow < 0 || ow >= outW) continue;
                                    yield return (x, ((n * g.OutChannels + firstOut + j) * outH + oh) * outW + ow,
                                        ((c * kPerGroup + j) * g.KernelH + kh) * g.KernelW + kw);
                                }
                            }
                    }
            }
    }
}
