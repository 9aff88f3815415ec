using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Convolution computed straight from the image, without im2col, for layers with few input
/// values per output (a first layer on grey or colour images: 1 x 3 x 3 = 9 or 3 x 5 x 5 = 75
/// taps). There the im2col matrix has only 9-75 rows and the multiply spends more time packing
/// than multiplying; here Count neighbouring outputs of a row are one vector (16 with AVX-512, 8
/// with AVX2, 4 with SSE or AdvSimd), and each tap adds
/// <c>weight[k, tap] * (the input row shifted by the tap)</c> to it.
/// <list type="bullet">
/// <item>Forward keeps four output rows of two channels in registers (eight accumulators, which
/// fit AVX2's 16 registers), so each input vector loaded feeds two multiply-adds and each
/// broadcast weight four; the bias is the accumulators' starting value.</item>
/// <item>BackwardWeight sums <c>dOutput * shifted input</c> over the plane in up to nine
/// accumulators, one per tap (for two channels at once with AVX-512's 32 registers, so that each
/// input vector loaded feeds both); the bias gradient is the plane's sum.</item>
/// <item>There is no input gradient: a first layer needs none, and <see cref="Conv2DDispatch"/>
/// sends it, and every geometry <see cref="Supports"/> refuses, to other kernels.</item>
/// </list>
/// Padding is handled by copying each image into a zero-bordered plane first (28 x 28 images: a
/// few kilobytes, in L1), so the inner loops never test bounds. A row's last vector is placed to
/// end at the row's end, overlapping the one before when the width is not a multiple of Count: the
/// forward pass writes those outputs twice with the same value, the weight gradient masks the
/// repeated lanes out.
/// <para>
/// Threads: batch items are split into one range per thread (the weight gradient summed per
/// range and added in range order, as in <see cref="Conv2DIm2ColGemm"/>); a batch smaller than
/// the thread count splits the output channels instead.
/// </para>
/// </summary>
internal sealed class Conv2DDirect : IConv2DForward, IConv2DBackwardWeight, IConv2DPooledForward
{
    /// <summary>The most input values per output (C x kH x kW) the direct path takes.</summary>
    public const int MaxTaps = 75;

    // Below this many multiply-adds a second thread costs more to wake than it saves (a single
    // 28 x 28 image through 32 filters of 3 x 3 is 195k).
    private const long ParallelThreshold = 1L << 19;

    private const int Rows = 4;

    // Taps summed per pass over dOutput: nine, a 3 x 3 kernel's (nine accumulators fit AVX2's 16
    // registers beside dOutput, the mask and the bias sum).
    private const int TapGroup = 9;

    private readonly int maxThreads;
    private readonly SimdWidth width;
    private float[][] padded = [];
    private float[][] partialWeights = [];
    private int[] tapOffsets = [];

    /// <summary>
    /// A kernel using up to <paramref name="maxThreads"/> threads (0: all cores) and vectors of
    /// <paramref name="width"/> (the CPU's widest unless given).
    /// </summary>
    public Conv2DDirect(int maxThreads = 0, SimdWidth? width = null)
    {
        this.maxThreads = ThreadCount.Resolve(maxThreads);
        this.width = width ?? Simd.Best;
    }

    /// <summary>
    /// Whether this kernel computes <paramref name="pass"/> of <paramref name="g"/> at
    /// <paramref name="width"/>: the forward pass (also pooled, for an even output size) and the
    /// weight gradient of stride-1 layers without dilation or groups, with at most
    /// <see cref="MaxTaps"/> taps, at least four output rows and a row at least one vector of
    /// <paramref name="width"/> wide, at any vector width (not in plain loops).
    /// </summary>
    public static bool Supports(Conv2DPass pass, in Conv2DGeometry g, SimdWidth width)
    {
        bool geometry = width is SimdWidth.Vector512 or SimdWidth.Vector256 or SimdWidth.Vector128
            && g.Groups == 1 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
            && g.InChannels * g.KernelH * g.KernelW <= MaxTaps
            && g.OutW >= (int)width && g.OutH >= Rows;
        return pass switch
        {
            Conv2DPass.Forward or Conv2DPass.BackwardWeight => geometry,
            Conv2DPass.ForwardPooled => geometry && g.OutH % 2 == 0 && g.OutW % 2 == 0,
            _ => false,
        };
    }

    private void Require(Conv2DPass pass, in Conv2DGeometry g)
    {
        if (!Supports(pass, g, width))
            throw new ArgumentException($"Conv2DDirect: the {pass} pass of {g} is not one this kernel computes at {width}.");
    }

    public void Forward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => RunForward(g, input, weight, bias, output, rectify: false);

    public void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify) => RunForward(g, input, weight, bias, output, rectify);

    public void ForwardRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => RunForward(g, input, weight, bias, output, rectify: true);

    /// <summary>
    /// pooled = 2x2 max pooling (stride 2) of max(0, conv(input, weight) + bias), without writing
    /// the convolution's output: for inference through a convolution, ReLU and max pooling.
    /// <paramref name="pooled"/> is [N, K, H_out / 2, W_out / 2]. Unlike the pooling layer it
    /// does not promise to carry a NaN through.
    /// </summary>
    public unsafe void ForwardRectifiedPooled(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> pooled)
    {
        Require(Conv2DPass.ForwardPooled, g);
        Check(g, nameof(ForwardRectifiedPooled), input.Length, weight.Length, pooled.Length * 4, "pooled output (x 4)");
        if (!bias.IsEmpty && bias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DDirect.ForwardRectifiedPooled: bias needs {g.OutChannels} values (one per output channel), got {bias.Length}.");
        int parts = Prepare(g);
        fixed (float* x = input, w = weight, b = bias, y = pooled)
            Start(Mode.ForwardRectifiedPooled, g, parts, x, w, b, y, null);
    }

    private unsafe void RunForward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify)
    {
        Require(Conv2DPass.Forward, g);
        Check(g, nameof(Forward), input.Length, weight.Length, output.Length, "output");
        if (!bias.IsEmpty && bias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DDirect.Forward: bias needs {g.OutChannels} values (one per output channel), got {bias.Length}.");
        int parts = Prepare(g);
        fixed (float* x = input, w = weight, b = bias, y = output)
            Start(rectify ? Mode.ForwardRectified : Mode.Forward, g, parts, x, w, b, y, null);
    }

    public void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias) => RunBackwardWeight(g, input, dOutput, default, dWeight, dBias);

    /// <summary>
    /// <see cref="BackwardWeight"/> for a convolution whose ReLU was fused into its forward pass
    /// (<see cref="ForwardRectified"/>): dOutput counts only where <paramref name="output"/> (the
    /// rectified output) is positive, which is the ReLU's own backward pass, done on the way.
    /// </summary>
    public void BackwardWeightRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> output, Span<float> dWeight, Span<float> dBias)
    {
        if (output.Length < g.OutputLength)
            throw new ArgumentException($"Conv2DDirect.BackwardWeightRectified: expected output of {g.OutputLength} values, got {output.Length}.");
        RunBackwardWeight(g, input, dOutput, output, dWeight, dBias);
    }

    private unsafe void RunBackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> output, Span<float> dWeight, Span<float> dBias)
    {
        Require(Conv2DPass.BackwardWeight, g);
        Check(g, nameof(BackwardWeight), input.Length, dWeight.Length, dOutput.Length, "dOutput");
        if (!dBias.IsEmpty && dBias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DDirect.BackwardWeight: dBias needs {g.OutChannels} values (one per output channel), got {dBias.Length}.");
        int parts = Prepare(g);
        PartialSums.Prepare(ref partialWeights, parts, g.WeightLength + g.OutChannels);
        fixed (float* x = input, dy = dOutput, y = output)
            Start(output.IsEmpty ? Mode.BackwardWeight : Mode.BackwardWeightRectified, g, parts, x, null, null, dy, y);
        // Item ranges each summed all channels: add them in range order. Channel ranges wrote
        // disjoint rows of their buffers, so the same sum gives each channel's own value.
        PartialSums.AddInto(partialWeights, parts, dWeight, g.WeightLength, dBias, g.OutChannels);
    }

    private static void Check(in Conv2DGeometry g, string pass, int inputLength, int weightLength, int lastLength, string lastName)
    {
        if (inputLength < g.InputLength || weightLength < g.WeightLength || lastLength < g.OutputLength)
            throw new ArgumentException($"Conv2DDirect.{pass}: expected input of {g.InputLength}, weight of {g.WeightLength} " +
                $"and {lastName} of {g.OutputLength} values; got {inputLength}, {weightLength} and {lastLength}.");
    }

    private static bool IsPadded(in Conv2DGeometry g) => g.PadTop + g.PadLeft + g.PadBottom + g.PadRight > 0;

    // Padded plane sizes: the input with its zero border.
    private static int PaddedH(in Conv2DGeometry g) => g.InH + g.PadTop + g.PadBottom;

    private static int PaddedW(in Conv2DGeometry g) => g.InW + g.PadLeft + g.PadRight;

    // Sizes the per-part scratch and the tap offsets; returns the number of parts.
    private int Prepare(in Conv2DGeometry g)
    {
        long work = (long)g.Batch * g.OutChannels * g.OutH * g.OutW * g.InChannels * g.KernelH * g.KernelW;
        int parts = work < ParallelThreshold ? 1 : Math.Max(1, Math.Min(maxThreads, Math.Max(g.Batch, g.OutChannels)));
        if (padded.Length < parts) Array.Resize(ref padded, parts);
        if (IsPadded(g))
        {
            int length = g.InChannels * PaddedH(g) * PaddedW(g);
            for (int part = 0; part < parts; part++)
                if (padded[part] is null || padded[part].Length < length)
                    padded[part] = GC.AllocateUninitializedArray<float>(length, pinned: true);
        }
        int taps = g.InChannels * g.KernelH * g.KernelW;
        // Tap groups are padded to whole groups of nine with copies of tap 0, whose sums are dropped.
        int slots = (taps + TapGroup - 1) / TapGroup * TapGroup;
        if (tapOffsets.Length != slots) tapOffsets = new int[slots];
        int ph = PaddedH(g), pw = PaddedW(g);
        for (int c = 0, t = 0; c < g.InChannels; c++)
            for (int kh = 0; kh < g.KernelH; kh++)
                for (int kw = 0; kw < g.KernelW; kw++, t++)
                    tapOffsets[t] = (c * ph + kh) * pw + kw;
        for (int t = taps; t < slots; t++) tapOffsets[t] = 0;
        return parts;
    }


    /// <summary>
    /// One part of a pass. Forward: <c>y</c> is the output, rectified when <c>rectify</c>.
    /// BackwardWeight: <c>y</c> is dOutput and, when <c>rectify</c>, <c>gate</c> the rectified output.
    /// </summary>
    private enum Mode { Forward, ForwardRectified, ForwardRectifiedPooled, BackwardWeight, BackwardWeightRectified }

    // Runs a pass's parts at this instance's width.
    private unsafe void Start(Mode mode, in Conv2DGeometry g, int parts, float* x, float* w, float* b, float* y, float* gate)
    {
        switch (width)
        {
            case SimdWidth.Vector512:
                ParallelParts.Run(parts, parts, new Job<V512, Vector512<float>>(this, mode, g, parts, x, w, b, y, gate));
                break;
            case SimdWidth.Vector256:
                ParallelParts.Run(parts, parts, new Job<V256, Vector256<float>>(this, mode, g, parts, x, w, b, y, gate));
                break;
            default:
                ParallelParts.Run(parts, parts, new Job<V128, Vector128<float>>(this, mode, g, parts, x, w, b, y, gate));
                break;
        }
    }

    private readonly unsafe struct Job<V, TVec>(Conv2DDirect kernel, Mode mode, Conv2DGeometry g, int parts,
        float* x, float* w, float* b, float* y, float* gate) : IParallelPart
        where V : struct, IVector<TVec> where TVec : struct
    {
        private bool IsForward => mode <= Mode.ForwardRectifiedPooled;

        public void Run(int part)
        {
            // Items split over parts when there are enough of them; otherwise channels.
            bool byItems = g.Batch >= parts;
            int firstItem = byItems ? (int)((long)g.Batch * part / parts) : 0;
            int lastItem = byItems ? (int)((long)g.Batch * (part + 1) / parts) : g.Batch;
            int firstChannel = byItems ? 0 : (int)((long)g.OutChannels * part / parts);
            int lastChannel = byItems ? g.OutChannels : (int)((long)g.OutChannels * (part + 1) / parts);
            int planeIn = g.InH * g.InW, planeOut = g.OutH * g.OutW;
            fixed (int* offsets = kernel.tapOffsets)
            fixed (float* scratch = kernel.padded[part])
            fixed (float* partial = IsForward ? null : kernel.partialWeights[part])
            {
                for (int n = firstItem; n < lastItem; n++)
                {
                    float* image = x + (long)n * g.InChannels * planeIn;
                    float* plane = IsPadded(g) ? Pad(image, scratch) : image;
                    if (mode == Mode.ForwardRectifiedPooled)
                    {
                        ForwardPooledItem(plane, y + (long)n * g.OutChannels * (planeOut / 4), offsets, firstChannel, lastChannel);
                        continue;
                    }
                    float* outputs = y + (long)n * g.OutChannels * planeOut;
                    if (IsForward) ForwardItem(plane, outputs, offsets, firstChannel, lastChannel);
                    else BackwardWeightItem(plane, outputs, mode == Mode.BackwardWeightRectified ? gate + (long)n * g.OutChannels * planeOut : null,
                        offsets, partial, firstChannel, lastChannel);
                }
            }
        }

        // Copies one image into the zero-bordered scratch plane.
        private float* Pad(float* image, float* scratch)
        {
            int ph = PaddedH(g), pw = PaddedW(g);
            new Span<float>(scratch, g.InChannels * ph * pw).Clear();
            for (int c = 0; c < g.InChannels; c++)
                for (int h = 0; h < g.InH; h++)
                    new ReadOnlySpan<float>(image + (c * g.InH + h) * g.InW, g.InW)
                        .CopyTo(new Span<float>(scratch + (c * ph + h + g.PadTop) * pw + g.PadLeft, g.InW));
            return scratch;
        }

        private void ForwardItem(float* plane, float* outputs, int* offsets, int firstChannel, int lastChannel)
        {
            int pw = PaddedW(g), taps = g.InChannels * g.KernelH * g.KernelW;
            int outH = g.OutH, outW = g.OutW, planeOut = outH * outW, n = V.Count;
            bool rectify = mode == Mode.ForwardRectified;
            for (int k = firstChannel; k < lastChannel; k += 2)
            {
                bool pair = k + 1 < lastChannel;
                float* weights = w + k * taps;
                var start0 = V.Create(b is null ? 0f : b[k]);
                var start1 = V.Create(b is null || !pair ? 0f : b[k + 1]);
                float* channel = outputs + k * planeOut;
                for (int row = 0; row < outH; row += Rows)
                {
                    int r = Math.Min(row, outH - Rows); // the last block overlaps the one before
                    for (int col = 0; col < outW; col += n)
                    {
                        int c = Math.Min(col, outW - n);
                        float* origin = plane + r * pw + c;
                        float* o = channel + r * outW + c;
                        if (pair)
                        {
                            Block2(origin, weights, taps, offsets, pw, start0, start1, out var a0, out var a1, out var a2, out var a3,
                                out var b0, out var b1, out var b2, out var b3);
                            StoreRows(o, outW, rectify, a0, a1, a2, a3);
                            StoreRows(o + planeOut, outW, rectify, b0, b1, b2, b3);
                        }
                        else
                        {
                            Block(origin, weights, offsets, taps, pw, start0, out var a0, out var a1, out var a2, out var a3);
                            StoreRows(o, outW, rectify, a0, a1, a2, a3);
                        }
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRows(float* o, int outW, bool rectify, TVec a0, TVec a1, TVec a2, TVec a3)
        {
            if (rectify)
            {
                a0 = V.Max(a0, V.Zero);
                a1 = V.Max(a1, V.Zero);
                a2 = V.Max(a2, V.Zero);
                a3 = V.Max(a3, V.Zero);
            }
            V.Store(a0, o);
            V.Store(a1, o + outW);
            V.Store(a2, o + 2 * outW);
            V.Store(a3, o + 3 * outW);
        }

        // Forward, ReLU and 2x2 max pooling: each block of four rows and Count columns becomes two
        // rows of Count / 2 pooled outputs (rows paired by max, then even and odd lanes).
        private void ForwardPooledItem(float* plane, float* pooled, int* offsets, int firstChannel, int lastChannel)
        {
            int pw = PaddedW(g), taps = g.InChannels * g.KernelH * g.KernelW;
            int outH = g.OutH, outW = g.OutW, pooledW = outW / 2, pooledPlane = outH / 2 * pooledW, n = V.Count;
            for (int k = firstChannel; k < lastChannel; k += 2)
            {
                bool pair = k + 1 < lastChannel;
                float* weights = w + k * taps;
                var start0 = V.Create(b is null ? 0f : b[k]);
                var start1 = V.Create(b is null || !pair ? 0f : b[k + 1]);
                float* channel = pooled + k * pooledPlane;
                for (int row = 0; row < outH; row += Rows)
                {
                    int r = Math.Min(row, outH - Rows); // even, as outH is: the blocks pair rows alike
                    for (int col = 0; col < outW; col += n)
                    {
                        int c = Math.Min(col, outW - n); // even too
                        float* origin = plane + r * pw + c;
                        float* o = channel + r / 2 * pooledW + c / 2;
                        if (pair)
                        {
                            Block2(origin, weights, taps, offsets, pw, start0, start1, out var a0, out var a1, out var a2, out var a3,
                                out var b0, out var b1, out var b2, out var b3);
                            StorePooled(o, pooledW, a0, a1, a2, a3);
                            StorePooled(o + pooledPlane, pooledW, b0, b1, b2, b3);
                        }
                        else
                        {
                            Block(origin, weights, offsets, taps, pw, start0, out var a0, out var a1, out var a2, out var a3);
                            StorePooled(o, pooledW, a0, a1, a2, a3);
                        }
                    }
                }
            }
        }

        // Four rows of Count outputs -> two rows of Count / 2 pooled, rectified outputs at o and o + pooledW.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StorePooled(float* o, int pooledW, TVec a0, TVec a1, TVec a2, TVec a3)
        {
            var upper = V.Max(V.Max(a0, a1), V.Zero);
            var lower = V.Max(V.Max(a2, a3), V.Zero);
            // even/odd: the upper row's even/odd lanes in the low half, the lower row's in the high half.
            SimdLanes.Deinterleave(upper, lower, out var even, out var odd);
            SimdLanes.StoreHalves(V.Max(even, odd), o, o + pooledW);
        }

        // Four output rows of Count values from `origin` (the block's first input): start (the bias)
        // plus, for every tap t, weights[t] times the input rows shifted by offsets[t].
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Block(float* origin, float* weights, int* offsets, int taps, int pw, TVec start,
            out TVec a0, out TVec a1, out TVec a2, out TVec a3)
        {
            a0 = a1 = a2 = a3 = start;
            for (int t = 0; t < taps; t++)
            {
                var weight = V.Create(weights[t]);
                float* p = origin + offsets[t];
                a0 = V.MultiplyAdd(V.Load(p), weight, a0);
                a1 = V.MultiplyAdd(V.Load(p + pw), weight, a1);
                a2 = V.MultiplyAdd(V.Load(p + 2 * pw), weight, a2);
                a3 = V.MultiplyAdd(V.Load(p + 3 * pw), weight, a3);
            }
        }

        // Block for two output channels at once, each input vector loaded once for both: a0..a3
        // with the weights at `weights` (from start0), b0..b3 with the next channel's (from start1).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Block2(float* origin, float* weights, int taps, int* offsets, int pw, TVec start0, TVec start1,
            out TVec a0, out TVec a1, out TVec a2, out TVec a3, out TVec b0, out TVec b1, out TVec b2, out TVec b3)
        {
            a0 = a1 = a2 = a3 = start0;
            b0 = b1 = b2 = b3 = start1;
            for (int t = 0; t < taps; t++)
            {
                var wa = V.Create(weights[t]);
                var wb = V.Create(weights[taps + t]);
                float* p = origin + offsets[t];
                var x = V.Load(p);
                a0 = V.MultiplyAdd(x, wa, a0);
                b0 = V.MultiplyAdd(x, wb, b0);
                x = V.Load(p + pw);
                a1 = V.MultiplyAdd(x, wa, a1);
                b1 = V.MultiplyAdd(x, wb, b1);
                x = V.Load(p + 2 * pw);
                a2 = V.MultiplyAdd(x, wa, a2);
                b2 = V.MultiplyAdd(x, wb, b2);
                x = V.Load(p + 3 * pw);
                a3 = V.MultiplyAdd(x, wa, a3);
                b3 = V.MultiplyAdd(x, wb, b3);
            }
        }

        // outputs: the rectified outputs that gate dOutputs, or null for no gate.
        private void BackwardWeightItem(float* plane, float* dOutputs, float* outputs, int* offsets, float* partial, int firstChannel, int lastChannel)
        {
            int pw = PaddedW(g), taps = g.InChannels * g.KernelH * g.KernelW;
            int outH = g.OutH, outW = g.OutW, n = V.Count;
            // The row's last vector starts at outW - Count; its lanes before the end of the
            // previous full vector were summed already.
            int lastStart = outW - n, covered = outW / n * n;
            var lastMask = V.LanesFrom(Math.Max(0, covered - lastStart));
            float* dBias = partial + g.WeightLength;
            int k = firstChannel;
            // AVX-512's 32 registers hold two channels' nine sums: each input vector loaded feeds both.
            if (V.Count >= 16)
                for (; k + 1 < lastChannel; k += 2)
                    BackwardWeightPair(plane, dOutputs, outputs, offsets, partial, k, lastMask);
            for (; k < lastChannel; k++)
            {
                float* dChannel = dOutputs + k * outH * outW;
                float* dWeights = partial + k * taps;
                var biasSum = V.Zero;
                for (int group = 0; group < taps; group += TapGroup)
                {
                    int* o = offsets + group;
                    TVec s0 = V.Zero, s1 = V.Zero, s2 = V.Zero, s3 = V.Zero, s4 = V.Zero, s5 = V.Zero, s6 = V.Zero, s7 = V.Zero, s8 = V.Zero;
                    for (int row = 0; row < outH; row++)
                    {
                        float* dRow = dChannel + row * outW;
                        float* xRow = plane + row * pw;
                        for (int col = 0; col < outW; col += n)
                        {
                            int c = Math.Min(col, lastStart);
                            var d = V.Load(dRow + c);
                            if (c != col) d = V.BitwiseAnd(d, lastMask);
                            if (outputs is not null)
                                d = V.BitwiseAnd(d, V.GreaterThan(V.Load(outputs + (dRow - dOutputs) + c), V.Zero));
                            if (group == 0) biasSum = V.Add(biasSum, d);
                            float* p = xRow + c;
                            s0 = V.MultiplyAdd(d, V.Load(p + o[0]), s0);
                            s1 = V.MultiplyAdd(d, V.Load(p + o[1]), s1);
                            s2 = V.MultiplyAdd(d, V.Load(p + o[2]), s2);
                            s3 = V.MultiplyAdd(d, V.Load(p + o[3]), s3);
                            s4 = V.MultiplyAdd(d, V.Load(p + o[4]), s4);
                            s5 = V.MultiplyAdd(d, V.Load(p + o[5]), s5);
                            s6 = V.MultiplyAdd(d, V.Load(p + o[6]), s6);
                            s7 = V.MultiplyAdd(d, V.Load(p + o[7]), s7);
                            s8 = V.MultiplyAdd(d, V.Load(p + o[8]), s8);
                        }
                    }
                    int count = Math.Min(TapGroup, taps - group);
                    AddSum(dWeights + group, 0, count, s0);
                    AddSum(dWeights + group, 1, count, s1);
                    AddSum(dWeights + group, 2, count, s2);
                    AddSum(dWeights + group, 3, count, s3);
                    AddSum(dWeights + group, 4, count, s4);
                    AddSum(dWeights + group, 5, count, s5);
                    AddSum(dWeights + group, 6, count, s6);
                    AddSum(dWeights + group, 7, count, s7);
                    AddSum(dWeights + group, 8, count, s8);
                }
                dBias[k] += V.Sum(biasSum);
            }
        }

        // BackwardWeightItem for channels k and k + 1 together (s: channel k's sums, t: k + 1's).
        private void BackwardWeightPair(float* plane, float* dOutputs, float* outputs, int* offsets, float* partial, int k, TVec lastMask)
        {
            int pw = PaddedW(g), taps = g.InChannels * g.KernelH * g.KernelW;
            int outH = g.OutH, outW = g.OutW, n = V.Count, planeOut = outH * outW, lastStart = outW - n;
            float* dChannel = dOutputs + k * planeOut;
            float* dWeights = partial + k * taps;
            var biasSum0 = V.Zero;
            var biasSum1 = V.Zero;
            for (int group = 0; group < taps; group += TapGroup)
            {
                int* o = offsets + group;
                TVec s0 = V.Zero, s1 = V.Zero, s2 = V.Zero, s3 = V.Zero, s4 = V.Zero, s5 = V.Zero, s6 = V.Zero, s7 = V.Zero, s8 = V.Zero;
                TVec t0 = V.Zero, t1 = V.Zero, t2 = V.Zero, t3 = V.Zero, t4 = V.Zero, t5 = V.Zero, t6 = V.Zero, t7 = V.Zero, t8 = V.Zero;
                for (int row = 0; row < outH; row++)
                {
                    float* dRow = dChannel + row * outW;
                    float* xRow = plane + row * pw;
                    for (int col = 0; col < outW; col += n)
                    {
                        int c = Math.Min(col, lastStart);
                        var d = V.Load(dRow + c);
                        var e = V.Load(dRow + planeOut + c);
                        if (c != col)
                        {
                            d = V.BitwiseAnd(d, lastMask);
                            e = V.BitwiseAnd(e, lastMask);
                        }
                        if (outputs is not null)
                        {
                            float* gate = outputs + (dRow - dOutputs) + c;
                            d = V.BitwiseAnd(d, V.GreaterThan(V.Load(gate), V.Zero));
                            e = V.BitwiseAnd(e, V.GreaterThan(V.Load(gate + planeOut), V.Zero));
                        }
                        if (group == 0)
                        {
                            biasSum0 = V.Add(biasSum0, d);
                            biasSum1 = V.Add(biasSum1, e);
                        }
                        float* p = xRow + c;
                        var x = V.Load(p + o[0]);
                        s0 = V.MultiplyAdd(d, x, s0);
                        t0 = V.MultiplyAdd(e, x, t0);
                        x = V.Load(p + o[1]);
                        s1 = V.MultiplyAdd(d, x, s1);
                        t1 = V.MultiplyAdd(e, x, t1);
                        x = V.Load(p + o[2]);
                        s2 = V.MultiplyAdd(d, x, s2);
                        t2 = V.MultiplyAdd(e, x, t2);
                        x = V.Load(p + o[3]);
                        s3 = V.MultiplyAdd(d, x, s3);
                        t3 = V.MultiplyAdd(e, x, t3);
                        x = V.Load(p + o[4]);
                        s4 = V.MultiplyAdd(d, x, s4);
                        t4 = V.MultiplyAdd(e, x, t4);
                        x = V.Load(p + o[5]);
                        s5 = V.MultiplyAdd(d, x, s5);
                        t5 = V.MultiplyAdd(e, x, t5);
                        x = V.Load(p + o[6]);
                        s6 = V.MultiplyAdd(d, x, s6);
                        t6 = V.MultiplyAdd(e, x, t6);
                        x = V.Load(p + o[7]);
                        s7 = V.MultiplyAdd(d, x, s7);
                        t7 = V.MultiplyAdd(e, x, t7);
                        x = V.Load(p + o[8]);
                        s8 = V.MultiplyAdd(d, x, s8);
                        t8 = V.MultiplyAdd(e, x, t8);
                    }
                }
                int count = Math.Min(TapGroup, taps - group);
                float* first = dWeights + group, second = dWeights + taps + group;
                AddSum(first, 0, count, s0); AddSum(second, 0, count, t0);
                AddSum(first, 1, count, s1); AddSum(second, 1, count, t1);
                AddSum(first, 2, count, s2); AddSum(second, 2, count, t2);
                AddSum(first, 3, count, s3); AddSum(second, 3, count, t3);
                AddSum(first, 4, count, s4); AddSum(second, 4, count, t4);
                AddSum(first, 5, count, s5); AddSum(second, 5, count, t5);
                AddSum(first, 6, count, s6); AddSum(second, 6, count, t6);
                AddSum(first, 7, count, s7); AddSum(second, 7, count, t7);
                AddSum(first, 8, count, s8); AddSum(second, 8, count, t8);
            }
            float* dBias = partial + g.WeightLength;
            dBias[k] += V.Sum(biasSum0);
            dBias[k + 1] += V.Sum(biasSum1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddSum(float* target, int index, int count, TVec sum)
        {
            if (index < count) target[index] += V.Sum(sum);
        }
    }
}
