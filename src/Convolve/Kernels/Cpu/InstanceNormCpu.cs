using System.Numerics.Tensors;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Instance normalisation with TensorPrimitives over each plane of P = H * W values, the
/// (sample, channel) planes split between threads. Per plane, forward:
/// <c>mean = sum(x) / P; y = x - mean; e = sum(y) / P; var = sum(y * y) / P - e^2;
/// y = y * (scale[c] / sqrt(var + eps)) + (bias[c] - e * scale[c] / sqrt(var + eps))</c>
/// (five passes, no scratch; the variance of the centred values, not E[x^2] - mean^2, which
/// cancels badly when the mean is large, with e correcting the float rounding of the mean). Each
/// plane is written by one thread only; the backward pass's per-plane sums go to a scratch array
/// and are added into the scale's and bias's gradients in plane order afterwards, so results do
/// not depend on scheduling. The same values as <see cref="InstanceNormReference"/> up to float32
/// rounding of the sums (the reference sums in double).
/// </summary>
internal static unsafe class InstanceNormCpu
{
    // Below this many values in all, a second thread costs more than it saves.
    private const int ParallelThreshold = 1 << 15;

    /// <summary>
    /// <see cref="InstanceNormReference.Forward"/>, also keeping each plane's mean and
    /// 1 / sqrt(var + eps) in <paramref name="mean"/> and <paramref name="inverseStd"/> ([N * C]) for the backward pass.
    /// </summary>
    public static void Forward(int batch, int channels, int plane, float epsilon, ReadOnlySpan<float> x, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> mean, Span<float> inverseStd, int maxThreads = 0)
    {
        Check(batch, channels, plane, x.Length, y.Length, scale.Length, bias.Length, mean.Length, inverseStd.Length);
        fixed (float* px = x, py = y, pScale = scale, pBias = bias, pMean = mean, pInv = inverseStd)
        {
            int parts = Parts(batch * channels, plane, maxThreads, out int threads);
            var job = new Job(true, batch * channels, channels, plane, epsilon, px, py, pScale, pBias, pMean, pInv, null, parts);
            ParallelParts.Run(job.Parts, threads, job);
        }
    }

    /// <summary>
    /// <see cref="InstanceNormReference.Backward"/> from the statistics <see cref="Forward"/> kept.
    /// Per plane: <c>xc = x - mean - e</c> (into dInput; e = sum(x - mean) / P, the float rounding of the
    /// kept mean), <c>s1 = sum(dy)</c>, <c>s2 = sum(dy * xc) * inverseStd</c>,
    /// <c>dx = dy * (g * inv) + xc * (-g * inv^2 * s2 / P) + (-g * inv * s1 / P)</c> with g = scale[c].
    /// <paramref name="sums"/> ([2 * N * C]) is scratch for the per-plane s1 and s2.
    /// </summary>
    public static void Backward(int batch, int channels, int plane, ReadOnlySpan<float> x, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd, ReadOnlySpan<float> dOutput, Span<float> dInput,
        Span<float> dScale, Span<float> dBias, Span<float> sums, int maxThreads = 0)
    {
        Check(batch, channels, plane, x.Length, dInput.Length, scale.Length, dScale.Length, mean.Length, inverseStd.Length);
        if (dOutput.Length != x.Length || dBias.Length != channels || sums.Length < 2 * batch * channels)
            throw new ArgumentException($"InstanceNormCpu.Backward: dOutput ({dOutput.Length}), dBias ({dBias.Length}) or sums ({sums.Length}) " +
                $"do not fit [{batch}, {channels}, {plane}].");
        fixed (float* px = x, pdy = dOutput, pdx = dInput, pScale = scale, pMean = mean, pInv = inverseStd, pSums = sums)
        {
            int parts = Parts(batch * channels, plane, maxThreads, out int threads);
            var job = new Job(false, batch * channels, channels, plane, 0, px, pdx, pScale, pdy, pMean, pInv, pSums, parts);
            ParallelParts.Run(job.Parts, threads, job);
        }
        // The per-plane sums into the channels' gradients, in sample order whatever the threads did.
        for (int c = 0; c < channels; c++)
        {
            double s1 = 0, s2 = 0;
            for (int n = 0; n < batch; n++)
            {
                int planeIndex = n * channels + c;
                s1 += sums[2 * planeIndex];
                s2 += sums[2 * planeIndex + 1];
            }
            dBias[c] += (float)s1;
            dScale[c] += (float)s2;
        }
    }

    private static void Check(int batch, int channels, int plane, int xLength, int yLength, int scaleLength, int biasLength, int meanLength, int invLength)
    {
        if (batch <= 0 || channels <= 0 || plane <= 0 || xLength != batch * channels * plane || yLength != xLength
            || scaleLength != channels || biasLength != channels || meanLength < batch * channels || invLength < batch * channels)
            throw new ArgumentException($"InstanceNormCpu: spans of lengths {xLength}, {yLength}, {scaleLength}, {biasLength}, {meanLength}, {invLength} " +
                $"do not fit [{batch}, {channels}, {plane}].");
    }

    // Contiguous runs of planes, a few per thread so that a slow thread does not hold the rest up.
    private static int Parts(int planes, int plane, int maxThreads, out int threads)
    {
        threads = (long)planes * plane < ParallelThreshold ? 1 : ThreadCount.Resolve(maxThreads);
        return threads == 1 ? 1 : Math.Min(planes, 4 * threads);
    }

    /// <summary>
    /// One run of planes. Forward: x -> y, keeping mean and inverseStd. Backward: y is dInput, b is
    /// dOutput, and sums receives s1 and s2 per plane.
    /// </summary>
    private readonly struct Job(bool forward, int planes, int channels, int plane, float epsilon, float* x, float* y, float* scale, float* b,
        float* mean, float* inverseStd, float* sums, int parts) : IParallelPart
    {
        public int Parts => parts;

        public void Run(int part)
        {
            int from = (int)((long)planes * part / parts), to = (int)((long)planes * (part + 1) / parts);
            for (int index = from; index < to; index++)
            {
                var xs = new ReadOnlySpan<float>(x + (long)index * plane, plane);
                var ys = new Span<float>(y + (long)index * plane, plane);
                float g = scale[index % channels];
                if (forward)
                {
                    float m = TensorPrimitives.Sum(xs) / plane;
                    TensorPrimitives.Subtract(xs, m, ys);
                    // The float sum leaves m off by a little when the values sit far from zero; the
                    // centred values' own mean is that error (the corrected two-pass algorithm).
                    float error = TensorPrimitives.Sum((ReadOnlySpan<float>)ys) / plane;
                    float variance = MathF.Max(TensorPrimitives.SumOfSquares((ReadOnlySpan<float>)ys) / plane - error * error, 0);
                    float inv = 1 / MathF.Sqrt(variance + epsilon);
                    TensorPrimitives.Multiply(ys, inv * g, ys);
                    TensorPrimitives.Add(ys, b[index % channels] - error * inv * g, ys);
                    mean[index] = m + error;
                    inverseStd[index] = inv;
                }
                else
                {
                    var dys = new ReadOnlySpan<float>(b + (long)index * plane, plane);
                    float m = mean[index], inv = inverseStd[index];
                    TensorPrimitives.Subtract(xs, m, ys);
                    // The kept mean is rounded to float: e is what the centred values still hold (as in forward).
                    float error = TensorPrimitives.Sum((ReadOnlySpan<float>)ys) / plane;
                    float s1 = TensorPrimitives.Sum(dys);
                    float s2 = (TensorPrimitives.Dot(dys, ys) - error * s1) * inv;
                    float k2 = -g * inv * inv * s2 / plane;
                    TensorPrimitives.Multiply(ys, k2, ys);
                    TensorPrimitives.Add(ys, -g * inv * s1 / plane - k2 * error, ys);
                    TensorPrimitives.MultiplyAdd(dys, g * inv, ys, ys);
                    sums[2 * index] = s1;
                    sums[2 * index + 1] = s2;
                }
            }
        }
    }
}
