using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Local response normalisation with a running window sum over the channels, each step a
/// TensorPrimitives pass over one plane of P = H * W values: the window sum of squares for channel
/// c + 1 is the one for c plus the square of the channel entering and minus the square of the
/// one leaving (as Caffe's and ONNX Runtime's CPU kernels do), so a channel costs two passes
/// whatever the window size. Scalar form, per plane position:
/// <c>s(c) = sum over i in Window(c) of x[i]^2; d = bias + alpha / size * s; y = x * d^-beta</c>.
/// The subtraction leaves float rounding of the squares that left the window (about 1e-7 of the
/// largest square seen), and a sum rounded below zero is held at zero. Forward splits (sample,
/// channel run) parts between threads, backward whole samples; each part writes only its own
/// planes, so results do not depend on scheduling.
/// </summary>
internal static unsafe class LocalResponseNormCpu
{
    // Below this many values in all, a second thread costs more than it saves.
    private const int ParallelThreshold = 1 << 15;

    /// <summary>
    /// <see cref="LocalResponseNormReference.Forward"/>, also keeping <c>r = d^-beta</c> and
    /// <c>q = -2 * alpha * beta / size / d</c> (each the input's length) for the backward pass.
    /// <paramref name="window"/> is scratch of <see cref="WindowLength"/> floats.
    /// </summary>
    public static void Forward(int batch, int channels, int plane, int size, float alpha, float beta, float bias,
        ReadOnlySpan<float> x, Span<float> y, Span<float> r, Span<float> q, Span<float> window, int maxThreads = 0)
    {
        Check(batch, channels, plane, x.Length, y.Length, r.Length, q.Length);
        int runs = Runs(batch, channels, plane, maxThreads, out int threads);
        if (window.Length < batch * runs * plane) throw new ArgumentException("LocalResponseNormCpu.Forward: the window scratch is too short.");
        fixed (float* px = x, py = y, pr = r, pq = q, pw = window)
            ParallelParts.Run(batch * runs, threads, new ForwardJob(channels, plane, size, alpha, beta, bias, runs, px, py, pr, pq, pw));
    }

    /// <summary>
    /// <see cref="LocalResponseNormReference.Backward"/> from the output and the r and q that
    /// <see cref="Forward"/> kept. Per sample: <c>t[c] = dy[c] * y[c] * q[c]</c> (= -2 alpha beta / size * dy x d^(-beta-1))
    /// into <paramref name="terms"/> (the input's length), then a running sum <c>w[i]</c> of t over the
    /// channels c whose window holds i, and <c>dx[i] = dy[i] * r[i] + x[i] * w[i]</c>.
    /// </summary>
    public static void Backward(int batch, int channels, int plane, int size, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> r, ReadOnlySpan<float> q, ReadOnlySpan<float> dOutput, Span<float> dInput, Span<float> terms, Span<float> window,
        int maxThreads = 0)
    {
        Check(batch, channels, plane, x.Length, y.Length, r.Length, q.Length);
        if (dOutput.Length != x.Length || dInput.Length != x.Length || terms.Length != x.Length || window.Length < batch * plane)
            throw new ArgumentException("LocalResponseNormCpu.Backward: dOutput, dInput, terms or the window scratch do not fit the input.");
        int threads = (long)batch * channels * plane < ParallelThreshold ? 1 : ThreadCount.Resolve(maxThreads);
        fixed (float* px = x, py = y, pr = r, pq = q, pdy = dOutput, pdx = dInput, pt = terms, pw = window)
            ParallelParts.Run(batch, threads, new BackwardJob(channels, plane, size, px, py, pr, pq, pdy, pdx, pt, pw));
    }

    /// <summary>The window scratch <see cref="Forward"/> needs for this shape and thread cap (<see cref="Backward"/> needs N * P).</summary>
    public static int WindowLength(int batch, int channels, int plane, int maxThreads) =>
        batch * Runs(batch, channels, plane, maxThreads, out _) * plane;

    // Channel runs per sample: one when the samples alone give each thread a few parts, else enough
    // runs (each starting its window sum afresh) to do so.
    private static int Runs(int batch, int channels, int plane, int maxThreads, out int threads)
    {
        threads = (long)batch * channels * plane < ParallelThreshold ? 1 : ThreadCount.Resolve(maxThreads);
        return batch >= 4 * threads ? 1 : Math.Min(channels, (4 * threads + batch - 1) / batch);
    }

    private static void Check(int batch, int channels, int plane, int xLength, int yLength, int rLength, int qLength)
    {
        if (batch <= 0 || channels <= 0 || plane <= 0 || xLength != batch * channels * plane
            || yLength != xLength || rLength != xLength || qLength != xLength)
            throw new ArgumentException(
                $"LocalResponseNormCpu: spans of lengths {xLength}, {yLength}, {rLength}, {qLength} do not fit [{batch}, {channels}, {plane}].");
    }

    /// <summary>Part = (sample, run of channels); the window sum lives in the part's own plane of scratch.</summary>
    private readonly struct ForwardJob(int channels, int plane, int size, float alpha, float beta, float bias, int runs,
        float* x, float* y, float* r, float* q, float* window) : IParallelPart
    {
        public void Run(int part)
        {
            int n = part / runs, run = part % runs;
            int first = (int)((long)channels * run / runs), end = (int)((long)channels * (run + 1) / runs);
            int below = (size - 1) / 2, above = size - 1 - below, length = plane;
            long sample = (long)n * channels * plane;
            var s = new Span<float>(window + (long)part * plane, plane);
            ReadOnlySpan<float> Plane(float* at, int c) => At(at, sample, c, length);
            Span<float> Out(float* at, int c) => At(at, sample, c, length);

            // The window sum of channel `first`.
            s.Clear();
            for (int i = Math.Max(0, first - below); i <= Math.Min(channels - 1, first + above); i++)
                Elementwise.Apply(new AddSquare(), s, Plane(x, i), s);
            float k = alpha / size, factor = -2 * alpha * beta / size;
            for (int c = first; c < end; c++)
            {
                if (c > first)
                {
                    if (c + above < channels) Elementwise.Apply(new AddSquare(), s, Plane(x, c + above), s);
                    if (c - below - 1 >= 0) Elementwise.Apply(new SubtractSquare(), s, Plane(x, c - below - 1), s);
                }
                Span<float> d = Out(q, c), rc = Out(r, c), yc = Out(y, c);
                TensorPrimitives.Multiply(s, k, d);
                TensorPrimitives.Add(d, bias, d);
                if (beta == 0.75f)
                {
                    // d^-0.75 = d^-0.5 * d^-0.25: two square roots instead of exp and log.
                    TensorPrimitives.ReciprocalSqrt(d, rc);
                    TensorPrimitives.Sqrt(rc, yc);
                    TensorPrimitives.Multiply(rc, yc, rc);
                }
                else
                {
                    // d^-beta = exp(-beta * log d): TensorPrimitives' Log and Exp are vectorised, its Pow is not.
                    TensorPrimitives.Log(d, rc);
                    TensorPrimitives.Multiply(rc, -beta, rc);
                    TensorPrimitives.Exp(rc, rc);
                }
                TensorPrimitives.Multiply(Plane(x, c), rc, yc);
                TensorPrimitives.Divide(factor, d, d);
            }
        }
    }

    /// <summary>Part = one sample; the running sum of the terms lives in the sample's own plane of scratch.</summary>
    private readonly struct BackwardJob(int channels, int plane, int size, float* x, float* y, float* r, float* q,
        float* dy, float* dx, float* terms, float* window) : IParallelPart
    {
        public void Run(int n)
        {
            int below = (size - 1) / 2, above = size - 1 - below;
            long sample = (long)n * channels * plane;
            var w = new Span<float>(window + (long)n * plane, plane);
            int length = plane;
            Span<float> Of(float* at, int c) => At(at, sample, c, length);

            for (int c = 0; c < channels; c++)
            {
                TensorPrimitives.Multiply(Of(dy, c), Of(y, c), Of(terms, c));
                TensorPrimitives.Multiply(Of(terms, c), Of(q, c), Of(terms, c));
            }
            // Channel i's sum runs over the c whose window holds i: c from i - above to i + below.
            w.Clear();
            for (int c = 0; c <= Math.Min(channels - 1, below); c++) TensorPrimitives.Add(w, Of(terms, c), w);
            for (int i = 0; i < channels; i++)
            {
                if (i > 0)
                {
                    if (i + below < channels) TensorPrimitives.Add(w, Of(terms, i + below), w);
                    if (i - above - 1 >= 0) TensorPrimitives.Subtract(w, Of(terms, i - above - 1), w);
                }
                var dxi = Of(dx, i);
                TensorPrimitives.Multiply(Of(dy, i), Of(r, i), dxi);
                TensorPrimitives.MultiplyAdd(Of(x, i), w, dxi, dxi);
            }
        }
    }

    // Plane c of the sample starting at offset `sample`.
    private static Span<float> At(float* at, long sample, int c, int plane) => new(at + sample + (long)c * plane, plane);

    /// <summary>s + v * v: a square entering the window.</summary>
    private readonly struct AddSquare : IBinaryOperator
    {
        public float Invoke(float s, float v) => s + v * v;
        public Vector256<float> Invoke(Vector256<float> s, Vector256<float> v) => s + v * v;
        public Vector512<float> Invoke(Vector512<float> s, Vector512<float> v) => s + v * v;
    }

    /// <summary>max(s - v * v, 0): a square leaving the window; the sum of the rest is never negative.</summary>
    private readonly struct SubtractSquare : IBinaryOperator
    {
        public float Invoke(float s, float v) => MathF.Max(s - v * v, 0);
        public Vector256<float> Invoke(Vector256<float> s, Vector256<float> v) => Vector256.Max(s - v * v, Vector256<float>.Zero);
        public Vector512<float> Invoke(Vector512<float> s, Vector512<float> v) => Vector512.Max(s - v * v, Vector512<float>.Zero);
    }
}
