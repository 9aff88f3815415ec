using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Convolve.Kernels.Reference;

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
internal static unsafe class Pool2DCpu
{
    // Below this many window cells in all, a second thread costs more than it saves.
    private const long ParallelThreshold = 1 << 17;

    /// <summary>See <see cref="Reference.Pool2DReference.MaxForward"/>.</summary>
    public static void MaxForward(in Pool2DGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax, int maxThreads = 0) =>
        MaxForward(g, input, output, argmax, maxThreads, Simd.Best);

    /// <summary>
    /// <see cref="MaxForward(in Pool2DGeometry, ReadOnlySpan{float}, Span{float}, Span{int}, int)"/>
    /// with vectors of at most <paramref name="width"/> (an accelerated one), for the tests of each width.
    /// </summary>
    internal static void MaxForward(in Pool2DGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax, int maxThreads, SimdWidth width)
    {
        Check(g, nameof(MaxForward), input.Length, output.Length, argmax.Length);
        fixed (float* x = input, y = output)
        fixed (int* index = argmax)
            Run(new Job(Operation.MaxForward, g, x, y, index, null, null, Parts(g, maxThreads), width));
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
        int threads = ThreadCount.Resolve(maxThreads);
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

    // 2x2 windows with stride 2, unpadded and inside the input: the special-cased pooling.
    private static bool IsTwoByTwo(in Pool2DGeometry g) =>
        g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2
        && g.DilationH == 1 && g.DilationW == 1 && g.PadTop == 0 && g.PadLeft == 0
        && 2 * g.OutH <= g.InH && 2 * g.OutW <= g.InW;

    // The vectors a 2x2 max-pooling row runs on: the widest of at most `width` that the row's
    // outputs fill, or none (Scalar) for rows narrower than every vector.
    private static SimdWidth RowWidth(SimdWidth width, int outW) =>
        width >= SimdWidth.Vector512 && outW >= 16 ? SimdWidth.Vector512
        : width >= SimdWidth.Vector256 && outW >= 8 ? SimdWidth.Vector256
        : width >= SimdWidth.Vector128 && outW >= 4 ? SimdWidth.Vector128
        : SimdWidth.Scalar;

    /// <summary>
    /// Which loop computes the forward pass of <paramref name="g"/> (max or average pooling) on
    /// this CPU, in one line, from the same rules the passes follow.
    /// </summary>
    public static string Describe(in Pool2DGeometry g, bool max)
    {
        if (!IsTwoByTwo(g)) return "general windows, one output at a time";
        if (!max) return "2x2 windows, stride 2: a row of windows at a time";
        var rows = RowWidth(Simd.Best, g.OutW);
        return rows == SimdWidth.Scalar
            ? "2x2 windows, stride 2: rows narrower than a vector, one output at a time"
            : $"2x2 windows, stride 2: {(int)rows} outputs per {rows} (even and odd columns split in registers)";
    }

    private enum Operation { MaxForward, MaxBackward, AvgForward, AvgBackward }

    /// <summary>
    /// One operation over a contiguous range of planes. <c>x</c> is input (or dInput), <c>y</c>
    /// output (or dOutput); <c>countH</c>, <c>countW</c> the average's divisor factors.
    /// </summary>
    private readonly struct Job(Operation operation, Pool2DGeometry g, float* x, float* y, int* argmax,
        int* countH, int* countW, int parts, SimdWidth width = SimdWidth.Scalar) : IParallelPart
    {
        public int Parts => parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part)
        {
            int planes = g.Batch * g.Channels;
            int first = (int)((long)planes * part / parts), last = (int)((long)planes * (part + 1) / parts);
            int planeIn = g.InH * g.InW, planeOut = g.OutH * g.OutW;
            bool twoByTwo = IsTwoByTwo(g);
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
        private void MaxForwardPlane(int plane, float* x, float* y, int* argmax) =>
            EachWindow<MaxWindow, MaxWindow.Best>(new MaxWindow(x, y, argmax, plane * g.InH * g.InW, g.OutW));

        // The same comparisons on the four cells (2oh, 2ow), (2oh, 2ow+1), (2oh+1, 2ow), (2oh+1, 2ow+1):
        // with the widest vectors of at most `width` that a row holds, or one by one in rows
        // narrower than every vector.
        private void MaxForward2x2(int plane, float* x, float* y, int* argmax)
        {
            switch (RowWidth(width, g.OutW))
            {
                case SimdWidth.Vector512: MaxForward2x2<V512, Vector512<float>>(plane, x, y, argmax); break;
                case SimdWidth.Vector256: MaxForward2x2<V256, Vector256<float>>(plane, x, y, argmax); break;
                case SimdWidth.Vector128: MaxForward2x2<V128, Vector128<float>>(plane, x, y, argmax); break;
                default: MaxForward2x2Scalar(plane, x, y, argmax); break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void MaxForward2x2Scalar(int plane, float* x, float* y, int* argmax)
        {
            int outW = g.OutW, inW = g.InW, planeIn = g.InH * inW;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                float* top = x + 2 * oh * inW;
                int rowIndex = plane * planeIn + 2 * oh * inW;
                for (int ow = 0; ow < outW; ow++)
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

        // Rows at least one vector wide: Count outputs at a time, the even and odd columns of
        // 2 x Count input values gathered by a deinterleave, then the same four-way comparison as
        // the scalar loop, lane by lane (a later cell wins if larger or NaN). A row's last vector
        // is placed to end at the row's end, overlapping the one before: those outputs are
        // computed twice, alike.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void MaxForward2x2<V, TVec>(int plane, float* x, float* y, int* argmax)
            where V : struct, IVector<TVec> where TVec : struct
        {
            int outW = g.OutW, inW = g.InW, planeIn = g.InH * inW, n = V.Count;
            // Indices are 32-bit integers carried in float lanes: the top-left cells' column step,
            // and the other three cells' offsets from them.
            var step = SimdLanes.IntSeries<TVec>(0, 2);
            var right = SimdLanes.CreateInt<TVec>(1);
            var below = SimdLanes.CreateInt<TVec>(inW);
            var belowRight = SimdLanes.CreateInt<TVec>(inW + 1);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                float* top = x + 2 * oh * inW;
                int rowIndex = plane * planeIn + 2 * oh * inW;
                float* yRow = y + oh * outW;
                int* argmaxRow = argmax + oh * outW;
                for (int col = 0; col < outW; col += n)
                {
                    int ow = Math.Min(col, outW - n), c = 2 * ow;
                    SimdLanes.Deinterleave(V.Load(top + c), V.Load(top + c + n), out var topEven, out var topOdd);
                    SimdLanes.Deinterleave(V.Load(top + inW + c), V.Load(top + inW + c + n), out var bottomEven, out var bottomOdd);
                    var index = SimdLanes.AddInt(SimdLanes.CreateInt<TVec>(rowIndex + c), step);
                    var best = topEven;
                    var bestIndex = index;
                    Take(ref best, ref bestIndex, topOdd, SimdLanes.AddInt(index, right));
                    Take(ref best, ref bestIndex, bottomEven, SimdLanes.AddInt(index, below));
                    Take(ref best, ref bestIndex, bottomOdd, SimdLanes.AddInt(index, belowRight));
                    V.Store(best, yRow + ow);
                    V.Store(bestIndex, (float*)(argmaxRow + ow));
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Take<TVec>(ref TVec best, ref TVec bestIndex, TVec value, TVec index) where TVec : struct
        {
            var wins = SimdLanes.Wins(value, best);
            best = SimdLanes.Select(wins, value, best);
            bestIndex = SimdLanes.Select(wins, index, bestIndex);
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

        private void AvgForwardPlane(float* x, float* y) =>
            EachWindow<AverageWindow, double>(new AverageWindow(x, y, countH, countW, g.OutW));

        private void AvgBackwardPlane(float* dx, float* dy)
        {
            new Span<float>(dx, g.InH * g.InW).Clear();
            EachWindow<AverageGradientWindow, float>(new AverageGradientWindow(dx, dy, countH, countW, g.OutW));
        }

        /// <summary>
        /// The reference's loop over one plane's windows: for each output (oh, ow), the window's cells
        /// inside the input, rows then columns, each given to <paramref name="window"/> by its index in
        /// the input plane. The operation is a struct, so each instantiation is its own loop, inlined.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void EachWindow<TWindow, TState>(TWindow window) where TWindow : struct, IWindow<TState>
        {
            int outW = g.OutW;
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    var state = window.Open(oh, ow);
                    for (int kh = 0; kh < g.KernelH; kh++)
                    {
                        int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                        if (ih < 0 || ih >= g.InH) continue;
                        for (int kw = 0; kw < g.KernelW; kw++)
                        {
                            int iw = ow * g.StrideW - g.PadLeft + kw * g.DilationW;
                            if (iw < 0 || iw >= g.InW) continue;
                            window.Cell(ref state, ih * g.InW + iw);
                        }
                    }
                    window.Close(oh, ow, state);
                }
        }
    }

    /// <summary>
    /// One pooling operation over the cells of a window, for <see cref="Job.EachWindow"/>: a state opened
    /// per output (at row oh, column ow), each cell inside the input given by its index in the plane,
    /// then the state closed into that output.
    /// </summary>
    private interface IWindow<TState>
    {
        TState Open(int oh, int ow);

        void Cell(ref TState state, int index);

        void Close(int oh, int ow, TState state);
    }

    // y[oh, ow] = the largest cell (a NaN wins); argmax its index in the whole input (planeStart + index), -1 for an empty window.
    private readonly struct MaxWindow(float* x, float* y, int* argmax, int planeStart, int outW) : IWindow<MaxWindow.Best>
    {
        public struct Best
        {
            public float Value;
            public int Index;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Best Open(int oh, int ow) => new() { Value = float.NegativeInfinity, Index = -1 };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Cell(ref Best state, int index)
        {
            float value = x[index];
            if (state.Index < 0 || value > state.Value || float.IsNaN(value))
            {
                state.Value = value;
                state.Index = index;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Close(int oh, int ow, Best state)
        {
            int o = oh * outW + ow;
            y[o] = state.Value;
            argmax[o] = state.Index < 0 ? -1 : planeStart + state.Index;
        }
    }

    // y[oh, ow] = the window's sum in double, divided by its cell count.
    private readonly struct AverageWindow(float* x, float* y, int* countH, int* countW, int outW) : IWindow<double>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double Open(int oh, int ow) => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Cell(ref double sum, int index) => sum += x[index];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Close(int oh, int ow, double sum) => y[oh * outW + ow] = (float)(sum / (countH[oh] * countW[ow]));
    }

    // dx[cell] += dy[oh, ow] / the window's cell count, for each cell of the window.
    private readonly struct AverageGradientWindow(float* dx, float* dy, int* countH, int* countW, int outW) : IWindow<float>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Open(int oh, int ow) => dy[oh * outW + ow] / (countH[oh] * countW[ow]);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Cell(ref float share, int index) => dx[index] += share;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Close(int oh, int ow, float share) { }
    }
}
