namespace Convolve.Kernels.Reference;

/// <summary>
/// Convolution by direct loops: the definition every faster kernel is held to. Each output
/// value is the sum, over the input channels of its group and the kernel window, of input
/// times weight, plus the bias; window positions that fall in the padding contribute zero.
/// </summary>
internal sealed class Conv2DReference : IConv2DKernel
{
    /// <summary>The shared instance (the kernel has no state).</summary>
    public static readonly Conv2DReference Instance = new();

    public void Forward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        int outH = g.OutH, outW = g.OutW, cPerGroup = g.InChannelsPerGroup, kPerGroup = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.OutChannels; k++)
            {
                int firstChannel = k / kPerGroup * cPerGroup;
                for (int oh = 0; oh < outH; oh++)
                    for (int ow = 0; ow < outW; ow++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[k];
                        for (int c = 0; c < cPerGroup; c++)
                            for (int kh = 0; kh < g.KernelH; kh++)
                                for (int kw = 0; kw < g.KernelW; kw++)
                                {
                                    int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                                    int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                                    if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                                    sum += input[InputIndex(g, n, firstChannel + c, ih, iw)] * weight[WeightIndex(g, k, c, kh, kw)];
                                }
                        output[((n * g.OutChannels + k) * outH + oh) * outW + ow] = (float)sum;
                    }
            }
    }

    public void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight,
        Span<float> dInput)
    {
        dInput.Clear();
        int outH = g.OutH, outW = g.OutW, cPerGroup = g.InChannelsPerGroup, kPerGroup = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.OutChannels; k++)
            {
                int firstChannel = k / kPerGroup * cPerGroup;
                for (int oh = 0; oh < outH; oh++)
                    for (int ow = 0; ow < outW; ow++)
                    {
                        float dOut = dOutput[((n * g.OutChannels + k) * outH + oh) * outW + ow];
                        for (int c = 0; c < cPerGroup; c++)
                            for (int kh = 0; kh < g.KernelH; kh++)
                                for (int kw = 0; kw < g.KernelW; kw++)
                                {
                                    int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                                    int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                                    if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                                    dInput[InputIndex(g, n, firstChannel + c, ih, iw)] += dOut * weight[WeightIndex(g, k, c, kh, kw)];
                                }
                    }
            }
    }

    public void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias)
    {
        int outH = g.OutH, outW = g.OutW, cPerGroup = g.InChannelsPerGroup, kPerGroup = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.OutChannels; k++)
            {
                int firstChannel = k / kPerGroup * cPerGroup;
                for (int oh = 0; oh < outH; oh++)
                    for (int ow = 0; ow < outW; ow++)
                    {
                        float dOut = dOutput[((n * g.OutChannels + k) * outH + oh) * outW + ow];
                        if (!dBias.IsEmpty) dBias[k] += dOut;
                        for (int c = 0; c < cPerGroup; c++)
                            for (int kh = 0; kh < g.KernelH; kh++)
                                for (int kw = 0; kw < g.KernelW; kw++)
                                {
                                    int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                                    int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                                    if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) continue;
                                    dWeight[WeightIndex(g, k, c, kh, kw)] += dOut * input[InputIndex(g, n, firstChannel + c, ih, iw)];
                                }
                    }
            }
    }

    private static int InputIndex(in Conv2DGeometry g, int n, int c, int h, int w) =>
        ((n * g.InChannels + c) * g.InH + h) * g.InW + w;

    private static int WeightIndex(in Conv2DGeometry g, int k, int c, int kh, int kw) =>
        ((k * g.InChannelsPerGroup + c) * g.KernelH + kh) * g.KernelW + kw;
}
