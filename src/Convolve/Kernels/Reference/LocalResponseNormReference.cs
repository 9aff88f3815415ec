namespace Convolve.Kernels.Reference;

/// <summary>
/// Local response normalisation across channels by direct loops (ONNX's LRN), the definition the
/// fast kernel is tested against. The input is [N, C, P]: P is the plane, H * W (or every axis
/// after C). Each window sum is recomputed from the inputs, in double.
/// </summary>
internal static class LocalResponseNormReference
{
    /// <summary>
    /// The channels in the window of channel <paramref name="c"/>: from <c>c - floor((size - 1) / 2)</c>
    /// to <c>c + ceil((size - 1) / 2)</c>, clipped to 0 .. C-1 (ONNX's rule; for an even size the
    /// window reaches one channel further up than down).
    /// </summary>
    public static (int First, int Last) Window(int c, int channels, int size)
    {
        int below = (size - 1) / 2, above = size - 1 - below;
        return (Math.Max(0, c - below), Math.Min(channels - 1, c + above));
    }

    /// <summary>
    /// <c>y[n, c, p] = x[n, c, p] / d[n, c, p]^beta</c> with
    /// <c>d[n, c, p] = bias + alpha / size * sum over i in Window(c) of x[n, i, p]^2</c>.
    /// </summary>
    public static void Forward(int batch, int channels, int plane, int size, float alpha, float beta, float bias,
        ReadOnlySpan<float> x, Span<float> y)
    {
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (n * channels + c) * plane + p;
                    y[at] = (float)(x[at] / Math.Pow(Denominator(x, n, c, p, channels, plane, size, alpha, bias), beta));
                }
    }

    /// <summary>
    /// dInput. x[i] enters its own output and the window sums of the channels c whose window holds
    /// i (c from i - ceil((size - 1) / 2) to i + floor((size - 1) / 2)), so
    /// <c>dx[i] = dy[i] * d[i]^-beta - 2 * alpha * beta / size * x[i] * sum over those c of dy[c] * x[c] * d[c]^(-beta - 1)</c>
    /// (at each n and p).
    /// </summary>
    public static void Backward(int batch, int channels, int plane, int size, float alpha, float beta, float bias,
        ReadOnlySpan<float> x, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < channels; i++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (n * channels + i) * plane + p;
                    double gradient = dOutput[at] * Math.Pow(Denominator(x, n, i, p, channels, plane, size, alpha, bias), -beta);
                    for (int c = 0; c < channels; c++)
                    {
                        var (first, last) = Window(c, channels, size);
                        if (i < first || i > last) continue;
                        int other = (n * channels + c) * plane + p;
                        double d = Denominator(x, n, c, p, channels, plane, size, alpha, bias);
                        gradient -= 2.0 * alpha * beta / size * x[at] * dOutput[other] * x[other] * Math.Pow(d, -beta - 1);
                    }
                    dInput[at] = (float)gradient;
                }
    }

    // bias + alpha / size * (the sum of squares over the window of channel c at n, p).
    private static double Denominator(ReadOnlySpan<float> x, int n, int c, int p, int channels, int plane, int size, float alpha, float bias)
    {
        var (first, last) = Window(c, channels, size);
        double sum = 0;
        for (int i = first; i <= last; i++)
        {
            double v = x[(n * channels + i) * plane + p];
            sum += v * v;
        }
        return bias + (double)alpha / size * sum;
    }
}
