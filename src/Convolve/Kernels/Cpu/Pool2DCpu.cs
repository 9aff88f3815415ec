using Convolve.Kernels.Reference;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Max and average pooling, the same numbers as <see cref="Reference.Pool2DReference"/> bit for
/// bit (same comparisons, same order of sums, same double-precision window sums), but with the
/// (batch, channel) planes split between threads, no bounds checks, the average divisors
/// computed once per row and column instead of per window, and a straight path for the common
/// 2x2 window with stride 2 and no padding. Each plane's outputs, and each plane's part of
/// dInput, are written by one thread only (a window never leaves its plane), so results do not
/// depend on scheduling.
/// </summary>
public static unsafe class Pool2DCpu
{
    // Below this many window cells in all, a second thread costs more than it saves.
    private const long ParallelThreshold = 1 << 17;

    /// <summary>See <see cref="Reference.Pool2DReference.MaxForward"/>.</summary>
    public static void MaxForward(in Pool2DGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax, int maxThreads = 0)
    {
        Check(g, nameof(MaxForward), input.Length, output.Length, argmax.Length);
        fixed (float* x = input, y = output)
        fixed (int* index = argmax)
            Run(new Job(Operation.MaxForward, g, x, y, index, null, null, Parts(g, maxThreads)));
    }

    /// <summary>See <see cref="Reference.Pool2DReference.MaxBackward"/>: the gradient goes to each output's argmax.</summary>
    public static void MaxBackward(in Pool2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> argmax, Span<float> dInput, int maxThreads = 0)
    {
        Check(g, nameof(MaxBackward), dInput.Length, dOutput.Length, argmax.Length);
        fixed (float* dx = dInput, dy = dOutput)
        fixed (int* index = argmax)
            Run(new Job(Operation.MaxBackward, g, dx, dy, index, null, null, Parts(g, maxThreads)));
    }

    /// <summary>See <see cref="Reference.Pool2DReference.AvgForward"/>.</summary>
    public static void AvgForward(in Pool2DGeometry g, bool countIncludePad, ReadOnlySpan<float> input, Span<float> output, int maxThreads = 0)
    {
        Check(g, nameof(AvgForward), input.Length, output.Length, g.OutputLength);
        Average(Operation.AvgForward, g, countIncludePad, input, output, maxThreads);
    }

    /// <summary>See <see cref="Reference.Pool2DReference.AvgBackward"/>.</summary>
    public static void AvgBackward(in Pool2DGeometry g, bool countIncludePad, ReadOnlySpan<float> dOutput, Span<float> dInput, int maxThreads = 0)
    {
        Check(g, nameof(AvgBackward), dInput.Length, dOutput.Length, g.OutputLength);
        Average(Operation.AvgBackward, g, countIncludePad, dOutput, dInput, maxThreads);
    }

    // Reads source (input, or dOutput backward) and writes target (output, or dInput); the job
    // wants x = the input side and y = the output side. The divisors' row and column factors are
    // computed once per call.
    [SkipLocalsInit]
    private static void Average(Operation operation, in Pool2DGeometry g, bool countIncludePad,
        ReadOnlySpan<float> source, Span<float> target, int maxThreads)
    {
        int outH = g.OutH, outW = g.OutW;
        int[]? rented = outH + outW > 2048 ? new int[outH + outW] : null;
        Span<int> counts = rented ?? stackalloc int[outH + outW];
        Counts(g, countIncludePad, counts);
        fixed (float* from = source, to = target)
        fixed (int* c = counts)
        {
            bool forward = operation == Operation.AvgForward;
            Run(new Job(operation, g, forward ? from : to, forward ? to : from, null, c, c + outH, Parts(g, maxThreads)));
        }
    }

    private static void Check(in Pool2DGeometry g, string operation, int inputLength, int outputLength, int argmaxLength)
    {
        if (inputLength < g.InputLength || outputLength < g.OutputLength || argmaxLength < g.OutputLength)
            throw new ArgumentException($"Pool2DCpu.{operation}: expected input of {g.InputLength} and output of {g.OutputLength} values " +
                $"(and as many argmax indices); got {inputLength}, {outputLength} and {argmaxLength}.");
    }

    // How many parts (one per thread) a call is split into: 1 for small work, else one per plane
    // at most, one per core at most, and at most maxThreads (0: no limit beyond the cores).
    private static int Parts(in Pool2DGeometry g, int maxThreads)
    {
        bool big = (long)g.OutputLength * g.KernelH * g.KernelW >= ParallelThreshold;
        int threads = maxThreads > 0 ? Math.Min(maxThreads, Environment.ProcessorCount) : Environment.ProcessorCount;
        return big ? Math.Min(g.Batch * g.Channels, threads) : 1;
    }

    private static void Run(in Job job) => ParallelParts.Run(job.Parts, job.Parts, job);

    /// <summary>
    /// Window cells counted by the average's divisor, per output row then per output column
    /// (the divisor of (oh, ow) is their product): cells inside the input or, with
    /// <paramref name="countIncludePad"/>, inside the padding too; at least 1.
    /// </summary>
    private static void Counts(in Pool2DGeometry g, bool countIncludePad, Span<int> counts)
    {
        int outH = g.OutH;
        for (int oh = 0; oh < outH; oh++)
            counts[oh] = Pool2DReference.CountAlong(oh, g.StrideH, g.PadTop, g.PadBottom, g.KernelH, g.DilationH, g.InH, countIncludePad);
        for (int ow = 0; ow < g.OutW; ow++)
            counts[outH + ow] = Pool2DReference.CountAlong(ow, g.StrideW, g.PadLeft, g.PadRight, g.KernelW, g.DilationW, g.InW, countIncludePad);
    }

    private enum Operation { MaxForward, MaxBackward, AvgForward, AvgBackward }

    /// <summary>
    /// One operation over a contiguous range of planes. <c>x</c> is input (or dInput), <c>y</c>
    /// output (or dOutput); <c>countH</c>, <c>countW</c> the average's divisor factors.
    /// </summary>
    private readonly struct Job(Operation operation, Pool2DGeometry g, float* x, float* y, int* argmax,
        int* countH, int* countW, int parts) : IParallelPart
    {
        public int Parts => parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part)
        {
            int planes = g.Batch * g.Channels;
            int first = (int)((long)planes * part / parts), last = (int)((long)planes * (part + 1) / parts);
            int planeIn = g.InH * g.InW, planeOut = g.OutH * g.OutW;
            bool twoByTwo = g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2
                && g.DilationH == 1 && g.DilationW == 1 && g.PadTop == 0 && g.PadLeft == 0
                && 2 * g.OutH <= g.InH && 2 * g.OutW <= g.InW;
            for (int plane = first; plane < last; plane++)
            {
                long inBase = (long)plane * planeIn, outBase = (long)plane * planeOut;
                switch (operation)
                {
                    case Operation.MaxForward:
                        if (twoByTwo) MaxForward2x2(plane, x + inBase, y + outBase, argmax + outBase);
                        else MaxForwardPlane(plane, x + inBase, y + outBase, argmax + outBase);
                        break;
                    case Operation.MaxBackward:
                        new Span<float>(x + inBase, planeIn).Clear();
                        for (int o = 0; o < planeOut; o++)
                        {
                            int at = argmax[outBase + o];
                            if (at >= 0) x[at] += y[outBase + o];
                        }
                        break;
                    case Operation.AvgForward:
                        if (twoByTwo) AvgForward2x2(x + inBase, y + outBase);
                        else AvgForwardPlane(x + inBase, y + outBase);
                        break;
                    default:
                        if (twoByTwo) AvgBackward2x2(x + inBase, y + outBase);
                        else AvgBackwardPlane(x + inBase, y + outBase);
                        break;
                }
            }
        }

        // Reference order: window rows, then columns; a larger value or a NaN replaces the best.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void MaxForwardPlane(int plane, float* x, float* y, int* argmax)
        {
            int outW = g.OutW, planeIn = g.InH * g.InW;
            for (int oh = 0; oh < g.OutH; oh++)
            for (int ow = 0; ow < outW; ow++)
            {
                float best = float.NegativeInfinity;
                int bestIndex = -1;
                for (int kh = 0; kh < g.KernelH; kh++)
                {
                    int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                    if (ih < 0 || ih >= g.InH) continue;
                    for (int kw = 0; kw < g.KernelW; kw++)
                    {
                        int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                        if (iw < 0 || iw >= g.InW) continue;
                        int index = ih * g.InW + iw;
                        float value = x[index];
                        if (bestIndex < 0 || value > best || float.IsNaN(value))
                        {
                            best = value;
                            bestIndex = index;
                        }
                    }
                }
                y[oh * outW + ow] = best;
                argmax[oh * outW + ow] = bestIndex < 0 ? -1 : plane * planeIn + bestIndex;
            }
        }

        // The same comparisons on the four cells (2oh, 2ow), (2oh, 2ow+1), (2oh+1, 2ow), (2oh+1, 2ow+1).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void MaxForward2x2(int plane, float* x, float* y, int* argmax)
        {
            int outW = g.OutW, inW = g.InW, planeIn = g.InH * inW;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                float* top = x + 2 * oh * inW;
                int rowIndex = plane * planeIn + 2 * oh * inW;
                int ow = Avx512F.IsSupported ? MaxForward2x2Row16(top, inW, outW, rowIndex, y + oh * outW, argmax + oh * outW) : 0;
                for (; ow < outW; ow++)
                {
                    // Branch-free (random data would mispredict half the comparisons): each
                    // candidate wins if larger or NaN, as in the reference, picked by bit masks.
                    int c = 2 * ow;
                    float best = top[c];
                    int bestIndex = c;
                    Take(ref best, ref bestIndex, top[c + 1], c + 1);
                    Take(ref best, ref bestIndex, top[inW + c], inW + c);
                    Take(ref best, ref bestIndex, top[inW + c + 1], inW + c + 1);
                    y[oh * outW + ow] = best;
                    argmax[oh * outW + ow] = rowIndex + bestIndex;
                }
            }
        }

        // 16 (then 8) outputs at a time with AVX-512: the even and odd columns of 32 input values are
        // gathered by a two-source permute, then the same four-way comparison as the scalar
        // loop runs lane by lane (a later cell wins if larger or NaN). Returns the first output
        // column left for the scalar loop.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int MaxForward2x2Row16(float* top, int inW, int outW, int rowIndex, float* y, int* argmax)
        {
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var odd = even + Vector512<int>.One;
            int ow = 0;
            for (; ow + 16 <= outW; ow += 16)
            {
                int c = 2 * ow;
                var t0 = Vector512.Load(top + c);
                var t1 = Vector512.Load(top + c + 16);
                var b0 = Vector512.Load(top + inW + c);
                var b1 = Vector512.Load(top + inW + c + 16);
                var index = Vector512.Create(rowIndex + c) + even;
                var best = Avx512F.PermuteVar16x32x2(t0, even, t1);
                var bestIndex = index;
                Take(ref best, ref bestIndex, Avx512F.PermuteVar16x32x2(t0, odd, t1), index + Vector512<int>.One);
                Take(ref best, ref bestIndex, Avx512F.PermuteVar16x32x2(b0, even, b1), index + Vector512.Create(inW));
                Take(ref best, ref bestIndex, Avx512F.PermuteVar16x32x2(b0, odd, b1), index + Vector512.Create(inW + 1));
                best.Store(y + ow);
                bestIndex.Store(argmax + ow);
            }
            // 8 outputs from 16 inputs per row: one load, the even columns permuted into the low
            // half and the odd ones into another low half.
            var evenLow = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
            var oddLow = evenLow + Vector512<int>.One;
            var step = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
            for (; ow + 8 <= outW; ow += 8)
            {
                int c = 2 * ow;
                var t = Vector512.Load(top + c);
                var b = Vector512.Load(top + inW + c);
                var (best, bestIndex) = Max8(t, b, Vector256.Create(rowIndex + c) + step, inW, evenLow, oddLow);
                best.Store(y + ow);
                bestIndex.Store(argmax + ow);
            }
            if (ow < outW)
            {
                // The last 1..7 outputs: masked loads of their 2 x (outW - ow) inputs per row (the
                // lanes past them read as 0 and only feed outputs that are not stored), masked stores.
                int c = 2 * ow, left = outW - ow;
                var loadMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(2 * left)).AsSingle();
                var storeMask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(left));
                var t = Avx512F.MaskLoad(top + c, loadMask, Vector512<float>.Zero);
                var b = Avx512F.MaskLoad(top + inW + c, loadMask, Vector512<float>.Zero);
                var (best, bestIndex) = Max8(t, b, Vector256.Create(rowIndex + c) + step, inW, evenLow, oddLow);
                Avx.MaskStore(y + ow, storeMask.AsSingle(), best);
                Avx2.MaskStore(argmax + ow, storeMask, bestIndex);
                ow = outW;
            }
            return ow;
        }

        // Eight 2x2 maxima from 16 values of the top row (t) and of the bottom row (b): the even and
        // odd columns permuted into the low halves, then the four-way comparison lane by lane.
        // index: the input indices of the eight top-left cells.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<float> Best, Vector256<int> Index) Max8(Vector512<float> t, Vector512<float> b, Vector256<int> index, int inW,
            Vector512<int> evenLow, Vector512<int> oddLow)
        {
            var best = Avx512F.PermuteVar16x32(t, evenLow).GetLower();
            var bestIndex = index;
            Take(ref best, ref bestIndex, Avx512F.PermuteVar16x32(t, oddLow).GetLower(), index + Vector256<int>.One);
            Take(ref best, ref bestIndex, Avx512F.PermuteVar16x32(b, evenLow).GetLower(), index + Vector256.Create(inW));
            Take(ref best, ref bestIndex, Avx512F.PermuteVar16x32(b, oddLow).GetLower(), index + Vector256.Create(inW + 1));
            return (best, bestIndex);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Take(ref Vector256<float> best, ref Vector256<int> bestIndex, Vector256<float> value, Vector256<int> index)
        {
            var wins = Vector256.GreaterThan(value, best) | ~Vector256.Equals(value, value);
            best = Vector256.ConditionalSelect(wins, value, best);
            bestIndex = Vector256.ConditionalSelect(wins.AsInt32(), index, bestIndex);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Take(ref Vector512<float> best, ref Vector512<int> bestIndex, Vector512<float> value, Vector512<int> index)
        {
            var wins = Vector512.GreaterThan(value, best) | ~Vector512.Equals(value, value);
            best = Vector512.ConditionalSelect(wins, value, best);
            bestIndex = Vector512.ConditionalSelect(wins.AsInt32(), index, bestIndex);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Take(ref float best, ref int bestIndex, float value, int index)
        {
            bool wins = value > best | float.IsNaN(value);
            int mask = -(wins ? 1 : 0);
            bestIndex = (index & mask) | (bestIndex & ~mask);
            best = BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(value) & mask) | (BitConverter.SingleToInt32Bits(best) & ~mask));
        }

        // Unpadded 2x2 windows lie inside the input, so every divisor is 4 (with or without
        // countIncludePad); the sum is the reference's double sum in the same order.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AvgForward2x2(float* x, float* y)
        {
            int outW = g.OutW, inW = g.InW;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                float* top = x + 2 * oh * inW;
                for (int ow = 0; ow < outW; ow++)
                {
                    int c = 2 * ow;
                    double sum = 0;
                    sum += top[c];
                    sum += top[c + 1];
                    sum += top[inW + c];
                    sum += top[inW + c + 1];
                    y[oh * outW + ow] = (float)(sum / 4);
                }
            }
        }

        // Windows do not overlap, so each covered cell receives exactly one share (0 + share in
        // the reference); cells no window covers (a dropped odd last row or column) stay 0.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AvgBackward2x2(float* dx, float* dy)
        {
            int outW = g.OutW, inW = g.InW;
            new Span<float>(dx, g.InH * inW).Clear();
            for (int oh = 0; oh < g.OutH; oh++)
            {
                float* top = dx + 2 * oh * inW;
                for (int ow = 0; ow < outW; ow++)
                {
                    float share = dy[oh * outW + ow] / 4;
                    int c = 2 * ow;
                    top[c] = share;
                    top[c + 1] = share;
                    top[inW + c] = share;
                    top[inW + c + 1] = share;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AvgForwardPlane(float* x, float* y)
        {
            int outW = g.OutW;
            for (int oh = 0; oh < g.OutH; oh++)
            for (int ow = 0; ow < outW; ow++)
            {
                double sum = 0;
                for (int kh = 0; kh < g.KernelH; kh++)
                {
                    int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                    if (ih < 0 || ih >= g.InH) continue;
                    for (int kw = 0; kw < g.KernelW; kw++)
                    {
                        int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                        if (iw < 0 || iw >= g.InW) continue;
                        sum += x[ih * g.InW + iw];
                    }
                }
                y[oh * outW + ow] = (float)(sum / (countH[oh] * countW[ow]));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AvgBackwardPlane(float* dx, float* dy)
        {
            new Span<float>(dx, g.InH * g.InW).Clear();
            int outW = g.OutW;
            for (int oh = 0; oh < g.OutH; oh++)
            for (int ow = 0; ow < outW; ow++)
            {
                float share = dy[oh * outW + ow] / (countH[oh] * countW[ow]);
                for (int kh = 0; kh < g.KernelH; kh++)
                {
                    int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                    if (ih < 0 || ih >= g.InH) continue;
                    for (int kw = 0; kw < g.KernelW; kw++)
                    {
                        int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                        if (iw < 0 || iw >= g.InW) continue;
                        dx[ih * g.InW + iw] += share;
                    }
                }
            }
        }
    }
}
