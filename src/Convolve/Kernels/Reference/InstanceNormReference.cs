namespace Convolve.Kernels.Reference;

/// <summary>
/// Instance normalisation by direct loops, the definition the fast kernel is tested against.
/// The input is [N, C, P]: P is the plane, H * W (or L, or every axis after C). Sums are taken in double.
/// </summary>
internal static class InstanceNormReference
{
    /// <summary>
    /// <c>y[n, c, p] = (x[n, c, p] - mean[n, c]) / sqrt(var[n, c] + epsilon) * scale[c] + bias[c]</c>,
    /// with the mean and the biased variance (divided by P) of each plane.
    /// </summary>
    public static void Forward(int batch, int channels, int plane, float epsilon, ReadOnlySpan<float> x, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> bias, Span<float> y)
    {
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                int start = (n * channels + c) * plane;
                var (mean, inverseStd) = Statistics(x.Slice(start, plane), epsilon);
                for (int p = 0; p < plane; p++)
                    y[start + p] = (float)((x[start + p] - mean) * inverseStd * scale[c] + bias[c]);
            }
    }

    /// <summary>
    /// dInput, and the scale's and bias's gradients added to <paramref name="dScale"/> and
    /// <paramref name="dBias"/>. With <c>xHat = (x - mean) * inverseStd</c> over one plane of P values:
    /// <c>dBias[c] += sum(dy)</c>, <c>dScale[c] += sum(dy * xHat)</c> (over every n and p), and
    /// <c>dx = scale[c] * inverseStd * (dy - sum(dy) / P - xHat * sum(dy * xHat) / P)</c>, as the
    /// mean and the variance depend on every x of the plane.
    /// </summary>
    public static void Backward(int batch, int channels, int plane, float epsilon, ReadOnlySpan<float> x, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> dOutput, Span<float> dInput, Span<float> dScale, Span<float> dBias)
    {
        for (int c = 0; c < channels; c++)
        {
            double channelDScale = 0, channelDBias = 0;
            for (int n = 0; n < batch; n++)
            {
                int start = (n * channels + c) * plane;
                var (mean, inverseStd) = Statistics(x.Slice(start, plane), epsilon);
                double sumDy = 0, sumDyXHat = 0;
                for (int p = 0; p < plane; p++)
                {
                    sumDy += dOutput[start + p];
                    sumDyXHat += dOutput[start + p] * (x[start + p] - mean) * inverseStd;
                }
                for (int p = 0; p < plane; p++)
                {
                    double xHat = (x[start + p] - mean) * inverseStd;
                    dInput[start + p] = (float)(scale[c] * inverseStd * (dOutput[start + p] - sumDy / plane - xHat * sumDyXHat / plane));
                }
                channelDScale += sumDyXHat;
                channelDBias += sumDy;
            }
            dScale[c] += (float)channelDScale;
            dBias[c] += (float)channelDBias;
        }
    }

    // The mean and 1 / sqrt(biased variance + epsilon) of one plane.
    private static (double Mean, double InverseStd) Statistics(ReadOnlySpan<float> values, float epsilon)
    {
        double sum = 0;
        foreach (float v in values) sum += v;
        double mean = sum / values.Length, squares = 0;
        foreach (float v in values) squares += (v - mean) * (v - mean);
        return (mean, 1 / Math.Sqrt(squares / values.Length + epsilon));
    }
}
