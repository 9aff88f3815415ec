using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Direct convolution vectorised over output channels, for layers with few output channels on
/// small planes (LeNet-5's second convolution: 6 -> 16 channels, 5x5, 10 x 10 outputs), where
/// im2col + GEMM pads its 16-row weight matrix to the multiply's tiles and the direct kernel's
/// row vectors (<see cref="Conv2DDirect"/>) are mostly masked lanes. In scalar terms it is the
/// definition, <c>output[k, oh, ow] = bias[k] + Σ_(c, kh, kw) weight[k, c, kh, kw] *
/// input[c, oh + kh, ow + kw]</c>, with the sum ordered by tap (c, kh, kw):
/// <list type="bullet">
/// <item>one <see cref="Vector512{T}"/> holds 16 output channels of one output position; a block
/// of two output rows by up to 12 columns is 24 accumulators. For each tap the 16 weights are
/// loaded once (packed tap-major: <c>[K / 16, taps, 16]</c>) and multiplied with each position's
/// input value, broadcast;</item>
/// <item>a block's accumulators go to a tile <c>[H_out * W_out, 16]</c> of the image, turned into
/// NCHW rows by 16 x 16 in-register transposes (rectified on the way, or 2x2-max-pooled first for
/// <see cref="ForwardRectifiedPooled"/>);</item>
/// <item>BackwardWeight turns dOutput into the same tile layout, holds a block's dOutput
/// vectors in registers, and for each tap adds <c>Σ_positions dOutput * input</c> (16 channels
/// at once) to the tap's packed gradient; the bias gradient is the tile's sum;</item>
/// <item>BackwardInput computes im2col's <c>dCol = weightᵀ dOutput</c> over vectors of 16 output
/// positions with the 16 dOutput rows of a channel group in registers, then adds it back to the
/// input positions (col2im);</item>
/// <item>every geometry <see cref="Supports"/> refuses goes to the fallback kernel (im2col + GEMM
/// by default), and so does the input gradient of the 3x3 layers a <see cref="Conv2DWinograd"/>
/// fallback takes (it is faster there) and of large layers with fewer items than threads.</item>
/// </list>
/// Padding is copied into a zero-bordered plane first, as in <see cref="Conv2DDirect"/>. An odd
/// output height repeats the last row pair's first row (the forward pass writes it twice with the
/// same values; the weight gradient zeroes its dOutput there).
/// <para>
/// Threads: (item, 16-channel group) units (items for BackwardInput) are split into one range per
/// thread. Each output is computed by the same operations whatever the split, so the forward
/// passes and the input gradient give the same bits for any thread count; the weight gradient is summed per range and the ranges added in order
/// (as in <see cref="Conv2DIm2ColGemm"/>), so its bits depend on the number of ranges.
/// </para>
/// </summary>
public sealed class Conv2DChannelVector : IConv2DKernel, IConv2DPooledKernel
{
    /// <summary>
    /// The most output channels this path takes: with more, im2col + GEMM fills its tiles and
    /// runs near the machine's peak.
    /// </summary>
    public const int MaxOutChannels = 32;

    /// <summary>The largest output plane (H_out * W_out) this path takes; its tile of 16 channels stays in L1/L2.</summary>
    public const int MaxPlane = 1024;

    /// <summary>The widest kernel this path takes (BackwardInput keeps a lane mask per kernel column on the stack).</summary>
    public const int MaxKernelW = 32;

    private const int Lanes = 16;
    private const int MaxColumns = 12; // 2 x 12 accumulators, the weights and a spare of 32 registers

    // Below this many multiply-adds a second thread costs more to wake than it saves.
    private const long ParallelThreshold = 1L << 19;

    private readonly IConv2DKernel fallback;
    private readonly int maxThreads;
    private float[] packed = [];
    private float[][] scratch = [];
    private float[][] partialWeights = [];
    private int[] tapOffsets = [];
    private int[] columnStarts = [];

    /// <summary>
    /// A kernel using up to <paramref name="maxThreads"/> threads (0: all cores), handing the
    /// geometries and passes it does not take to <paramref name="fallback"/> (im2col + GEMM when null).
    /// </summary>
    public Conv2DChannelVector(int maxThreads = 0, IConv2DKernel? fallback = null)
    {
        this.fallback = fallback ?? new Conv2DIm2ColGemm(maxThreads);
        this.maxThreads = maxThreads > 0 ? maxThreads : Environment.ProcessorCount;
    }

    /// <summary>
    /// Whether this path computes <paramref name="g"/>: AVX-512, stride and dilation 1, one group,
    /// a multiple of 16 output channels up to <see cref="MaxOutChannels"/>, kernels at most
    /// <see cref="MaxKernelW"/> wide, at least two output
    /// rows and at most <see cref="MaxPlane"/> output positions. Any padding.
    /// </summary>
    public static bool Supports(in Conv2DGeometry g) =>
        Avx512F.IsSupported
        && g.Groups == 1 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.OutChannels % Lanes == 0 && g.OutChannels <= MaxOutChannels && g.KernelW <= MaxKernelW
        && g.OutH >= 2 && g.OutW >= 1 && g.OutH * g.OutW <= MaxPlane;

    /// <summary>Whether <see cref="ForwardRectifiedPooled"/> takes <paramref name="g"/>: <see cref="Supports"/> and an even output size.</summary>
    public static bool SupportsPooled(in Conv2DGeometry g) => Supports(g) && g.OutH % 2 == 0 && g.OutW % 2 == 0;

    public void Forward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        if (Supports(g)) RunForward(g, input, weight, bias, output, Mode.Forward);
        else fallback.Forward(g, input, weight, bias, output);
    }

    public void ForwardRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        if (Supports(g)) RunForward(g, input, weight, bias, output, Mode.ForwardRectified);
        else fallback.ForwardRectified(g, input, weight, bias, output);
    }

    public void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify)
    {
        if (Supports(g)) RunForward(g, input, weight, bias, output, rectify ? Mode.ForwardRectified : Mode.Forward);
        else fallback.ForwardTraining(g, input, weight, bias, output, rectify);
    }

    /// <summary>
    /// pooled = 2x2 max pooling (stride 2) of max(0, conv(input, weight) + bias), without writing
    /// the convolution's output (inference). <paramref name="pooled"/> is [N, K, H_out / 2, W_out / 2].
    /// The maxima are taken with <see cref="Vector512.Max{T}(Vector512{T}, Vector512{T})"/>, so
    /// unlike the pooling layer it does not promise to carry a NaN through. For
    /// <see cref="SupportsPooled"/> geometries, and those the fallback computes this way.
    /// </summary>
    public void ForwardRectifiedPooled(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> pooled)
    {
        if (!SupportsPooled(g))
        {
            if (fallback is not IConv2DPooledKernel other || !other.CanForwardRectifiedPooled(g))
                throw new ArgumentException($"Conv2DChannelVector.ForwardRectifiedPooled: {g} is not a geometry the pooled path takes.");
            other.ForwardRectifiedPooled(g, input, weight, bias, pooled);
            return;
        }
        if (pooled.Length * 4L < g.OutputLength)
            throw new ArgumentException($"Conv2DChannelVector.ForwardRectifiedPooled: expected a pooled output of {g.OutputLength / 4} values, got {pooled.Length}.");
        RunForward(g, input, weight, bias, pooled, Mode.ForwardRectifiedPooled);
    }

    bool IConv2DPooledKernel.CanForwardRectifiedPooled(in Conv2DGeometry g) =>
        SupportsPooled(g) || fallback is IConv2DPooledKernel other && other.CanForwardRectifiedPooled(g);

    /// <summary>
    /// dInput = the transposed convolution, as im2col's two steps without the multiply's tiles:
    /// <c>dCol[t, p] = Σ_k weight[k, t] * dOutput[k, p]</c> over vectors of 16 output positions
    /// (the 16 dOutput rows of a channel group held in registers, the weights broadcast), then each
    /// <c>dCol[t]</c> added back to the input positions tap t read (col2im), per image.
    /// </summary>
    public unsafe void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight, Span<float> dInput)
    {
        // Winograd's input gradient (2.25x fewer multiplies) measured 1.05-1.5x faster on the
        // 3x3 layers both take (16 -> 16 and 32 channels on 12 x 12 to 32 x 32): the chain's next
        // kernel computes it there.
        // It splits items over threads only: fewer items than threads on a layer worth
        // splitting go to the fallback too, which splits each image (measured 1.35x faster on a
        // single 16 x 16 image through 32 -> 32 channels, 5x5).
        if (!Supports(g) || fallback is Conv2DWinograd && Conv2DWinograd.Supports(g)
            || g.Batch < maxThreads && Work(g) >= ParallelThreshold)
        {
            fallback.BackwardInput(g, dOutput, weight, dInput);
            return;
        }
        Check(g, nameof(BackwardInput), dInput.Length, weight.Length, dOutput.Length, "dOutput", g.OutputLength);
        int parts = Prepare(g, g.Batch);
        Pack(g, weight);
        fixed (float* dx = dInput, w = packed, dy = dOutput)
            ParallelParts.Run(parts, parts, new Job(this, Mode.BackwardInput, g, parts, dx, w, null, dy));
    }

    public unsafe void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias)
    {
        if (!Supports(g))
        {
            fallback.BackwardWeight(g, input, dOutput, dWeight, dBias);
            return;
        }
        Check(g, nameof(BackwardWeight), input.Length, dWeight.Length, dOutput.Length, "dOutput", g.OutputLength);
        if (!dBias.IsEmpty && dBias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DChannelVector.BackwardWeight: dBias needs {g.OutChannels} values (one per output channel), got {dBias.Length}.");
        int parts = Prepare(g, g.Batch * (g.OutChannels / Lanes));
        int taps = Taps(g), packedLength = g.WeightLength;
        PartialSums.Prepare(ref partialWeights, parts, packedLength + g.OutChannels);
        fixed (float* x = input, dy = dOutput)
            ParallelParts.Run(parts, parts, new Job(this, Mode.BackwardWeight, g, parts, x, null, null, dy));
        // Ranges in order, then from the packed [K / 16, taps, 16] layout to [K, taps].
        var total = partialWeights[0].AsSpan(0, packedLength + g.OutChannels);
        for (int part = 1; part < parts; part++)
            TensorPrimitives.Add(total, partialWeights[part].AsSpan(0, total.Length), total);
        for (int k = 0; k < g.OutChannels; k++)
        {
            var row = dWeight.Slice(k * taps, taps);
            int from = k / Lanes * taps * Lanes + k % Lanes;
            for (int t = 0; t < taps; t++) row[t] += total[from + t * Lanes];
        }
        if (!dBias.IsEmpty)
            TensorPrimitives.Add(dBias[..g.OutChannels], total.Slice(packedLength, g.OutChannels), dBias[..g.OutChannels]);
    }

    private unsafe void RunForward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Mode mode)
    {
        bool pooledOutput = mode == Mode.ForwardRectifiedPooled;
        string pass = mode switch
        {
            Mode.Forward => nameof(Forward),
            Mode.ForwardRectified => nameof(ForwardRectified),
            _ => nameof(ForwardRectifiedPooled),
        };
        Check(g, pass, input.Length, weight.Length, pooledOutput ? output.Length * 4 : output.Length,
            pooledOutput ? "pooled output (x 4)" : "output", g.OutputLength);
        if (!bias.IsEmpty && bias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DChannelVector.{pass}: bias needs {g.OutChannels} values (one per output channel), got {bias.Length}.");
        int parts = Prepare(g, g.Batch * (g.OutChannels / Lanes));
        Pack(g, weight);
        fixed (float* x = input, w = packed, b = bias, y = output)
            ParallelParts.Run(parts, parts, new Job(this, mode, g, parts, x, w, b, y));
    }

    private static void Check(in Conv2DGeometry g, string pass, int inputLength, int weightLength, int lastLength, string lastName, int lastExpected)
    {
        string inputName = pass == nameof(BackwardInput) ? "dInput" : "input";
        string weightName = pass == nameof(BackwardWeight) ? "dWeight" : "weight";
        if (inputLength < g.InputLength || weightLength < g.WeightLength || lastLength < lastExpected)
            throw new ArgumentException($"Conv2DChannelVector.{pass}: expected {inputName} of {g.InputLength}, {weightName} of {g.WeightLength} " +
                $"and {lastName} of {lastExpected} values; got {inputLength}, {weightLength} and {lastLength}.");
    }

    private static int Taps(in Conv2DGeometry g) => g.InChannels * g.KernelH * g.KernelW;

    // Multiply-adds of one pass.
    private static long Work(in Conv2DGeometry g) => (long)g.Batch * g.OutChannels * g.OutH * g.OutW * Taps(g);

    private static bool IsPadded(in Conv2DGeometry g) => g.PadTop + g.PadLeft + g.PadBottom + g.PadRight > 0;

    private static int PaddedH(in Conv2DGeometry g) => g.InH + g.PadTop + g.PadBottom;

    private static int PaddedW(in Conv2DGeometry g) => g.InW + g.PadLeft + g.PadRight;

    private static int RoundUp(int n) => (n + Lanes - 1) / Lanes * Lanes;

    // Scratch of one part: the padded image (when padded), the tile [H_out * W_out, 16] and the
    // pooled tile, each rounded up to whole 16 x 16 transposes.
    private static int PaddedLength(in Conv2DGeometry g) => IsPadded(g) ? RoundUp(g.InChannels * PaddedH(g) * PaddedW(g)) : 0;

    private static int TileLength(in Conv2DGeometry g) => RoundUp(g.OutH * g.OutW) * Lanes;

    // BackwardInput's dCol rows of one input channel [kH * kW, H_out * W_out rounded up to 16],
    // with a guard before and after for col2im's shifted loads, which reach up to a kernel width
    // plus a vector past a row.
    private static int ColumnsLength(in Conv2DGeometry g) => g.KernelH * g.KernelW * RoundUp(g.OutH * g.OutW) + 2 * ColumnsGuard;

    private const int ColumnsGuard = MaxKernelW + Lanes;

    // weight [K, taps] -> packed [K / 16, taps, 16].
    private void Pack(in Conv2DGeometry g, ReadOnlySpan<float> weight)
    {
        int taps = Taps(g);
        if (packed.Length < g.WeightLength) packed = GC.AllocateUninitializedArray<float>(g.WeightLength, pinned: true);
        for (int k = 0; k < g.OutChannels; k++)
        {
            var row = weight.Slice(k * taps, taps);
            int to = k / Lanes * taps * Lanes + k % Lanes;
            for (int t = 0; t < taps; t++) packed[to + t * Lanes] = row[t];
        }
    }

    // Sizes the scratch, the tap offsets and the column blocks; returns the number of parts.
    private int Prepare(in Conv2DGeometry g, int units)
    {
        int taps = Taps(g);
        int parts = Work(g) < ParallelThreshold ? 1 : Math.Max(1, Math.Min(maxThreads, units));
        if (scratch.Length < parts) Array.Resize(ref scratch, parts);
        int length = PaddedLength(g) + Math.Max(2 * TileLength(g), ColumnsLength(g));
        for (int part = 0; part < parts; part++)
            if (scratch[part] is null || scratch[part].Length < length)
                scratch[part] = GC.AllocateUninitializedArray<float>(length, pinned: true);
        if (tapOffsets.Length != taps) tapOffsets = new int[taps];
        int ph = IsPadded(g) ? PaddedH(g) : g.InH, pw = IsPadded(g) ? PaddedW(g) : g.InW;
        for (int c = 0, t = 0; c < g.InChannels; c++)
        for (int kh = 0; kh < g.KernelH; kh++)
        for (int kw = 0; kw < g.KernelW; kw++, t++)
            tapOffsets[t] = (c * ph + kh) * pw + kw;
        // Column blocks of at most MaxColumns, starting at even columns (pooling pairs columns).
        int outW = g.OutW, pairs = outW / 2;
        for (int blocks = (outW + MaxColumns - 1) / MaxColumns; ; blocks++)
        {
            if (columnStarts.Length != blocks + 1) columnStarts = new int[blocks + 1];
            bool fits = true;
            for (int i = 0; i <= blocks; i++)
            {
                columnStarts[i] = i == blocks ? outW : 2 * (pairs * i / blocks);
                if (i > 0 && (columnStarts[i] - columnStarts[i - 1] > MaxColumns || columnStarts[i] <= columnStarts[i - 1])) fits = false;
            }
            if (fits) break;
        }
        return parts;
    }

    private enum Mode { Forward, ForwardRectified, ForwardRectifiedPooled, BackwardWeight, BackwardInput }

    /// <summary>
    /// One part of a pass over (item, 16-channel group) units. Forward: <c>w</c> the packed
    /// weights, <c>y</c> the output (or pooled output). BackwardWeight: <c>y</c> is dOutput, the
    /// part's gradient goes to its partial buffer. BackwardInput: units are items, <c>x</c> is
    /// dInput, <c>w</c> the packed weights, <c>y</c> dOutput.
    /// </summary>
    private readonly unsafe struct Job(Conv2DChannelVector kernel, Mode mode, Conv2DGeometry g, int parts,
        float* x, float* w, float* b, float* y) : IParallelPart
    {
        public void Run(int part)
        {
            if (mode == Mode.BackwardInput)
            {
                RunBackwardInput(part);
                return;
            }
            int groups = g.OutChannels / Lanes, units = g.Batch * groups;
            int first = (int)((long)units * part / parts), last = (int)((long)units * (part + 1) / parts);
            int taps = Taps(g), planeIn = g.InH * g.InW, planeOut = g.OutH * g.OutW;
            int pw = IsPadded(g) ? PaddedW(g) : g.InW;
            fixed (int* offsets = kernel.tapOffsets, starts = kernel.columnStarts)
            fixed (float* scratch = kernel.scratch[part])
            fixed (float* partial = mode == Mode.BackwardWeight ? kernel.partialWeights[part] : null)
            {
                float* tile = scratch + PaddedLength(g), second = tile + TileLength(g);
                int paddedItem = -1;
                for (int unit = first; unit < last; unit++)
                {
                    int n = unit / groups, group = unit % groups;
                    float* image = x + (long)n * g.InChannels * planeIn;
                    float* plane = image;
                    if (IsPadded(g))
                    {
                        if (paddedItem != n) Pad(image, scratch);
                        paddedItem = n;
                        plane = scratch;
                    }
                    long channels = (long)n * g.OutChannels + group * Lanes; // the unit's first output channel
                    if (mode == Mode.BackwardWeight)
                    {
                        float* dWeights = partial + group * taps * Lanes;
                        float* dBias = partial + g.WeightLength + group * Lanes;
                        WeightGradient(plane, y + channels * planeOut, tile, offsets, starts, taps, pw, dWeights, dBias);
                        continue;
                    }
                    var start = b is null ? Vector512<float>.Zero : Vector512.Load(b + group * Lanes);
                    ForwardTile(plane, w + group * taps * Lanes, start, tile, offsets, starts, taps, pw);
                    if (mode == Mode.ForwardRectifiedPooled)
                    {
                        int pooledW = g.OutW / 2, pooledPlane = planeOut / 4;
                        for (int i = 0; i < g.OutH / 2; i++)
                        for (int j = 0; j < pooledW; j++)
                        {
                            float* top = tile + (2 * i * g.OutW + 2 * j) * Lanes, bottom = top + g.OutW * Lanes;
                            var max = Vector512.Max(Vector512.Max(Vector512.Load(top), Vector512.Load(top + Lanes)),
                                Vector512.Max(Vector512.Load(bottom), Vector512.Load(bottom + Lanes)));
                            Vector512.Max(max, Vector512<float>.Zero).Store(second + (i * pooledW + j) * Lanes);
                        }
                        TileToPlanes(second, y + channels * pooledPlane, pooledPlane, rectify: false);
                    }
                    else TileToPlanes(tile, y + channels * planeOut, planeOut, rectify: mode == Mode.ForwardRectified);
                }
            }
        }

        private void RunBackwardInput(int part)
        {
            int first = (int)((long)g.Batch * part / parts), last = (int)((long)g.Batch * (part + 1) / parts);
            int taps = Taps(g), planeIn = g.InH * g.InW, planeOut = g.OutH * g.OutW, columnStride = RoundUp(planeOut);
            int ph = IsPadded(g) ? PaddedH(g) : g.InH, pw = IsPadded(g) ? PaddedW(g) : g.InW;
            fixed (float* scratch = kernel.scratch[part])
            {
                float* columns = scratch + PaddedLength(g) + ColumnsGuard;
                for (int n = first; n < last; n++)
                {
                    float* image = x + (long)n * g.InChannels * planeIn;
                    float* target = IsPadded(g) ? scratch : image;
                    // One input channel at a time, so that its dCol rows stay in L1 for col2im.
                    int channelTaps = g.KernelH * g.KernelW;
                    for (int c = 0; c < g.InChannels; c++)
                    {
                        // dCol = Σ over channel groups of packed weights x dOutput rows.
                        for (int group = 0; group < g.OutChannels / Lanes; group++)
                        {
                            float* dy = y + ((long)n * g.OutChannels + group * Lanes) * planeOut;
                            float* weights = w + (group * taps + c * channelTaps) * Lanes;
                            for (int p = 0; p < planeOut; p += Lanes)
                                InputColumns(dy + p, planeOut, Math.Min(Lanes, planeOut - p), weights, channelTaps,
                                    columns + p, columnStride, accumulate: group > 0);
                        }
                        // col2im into the image's dInput (or the padded plane, whose inside is copied out).
                        Col2Im(columns, columnStride, target + c * ph * pw, ph, pw);
                    }
                    if (!IsPadded(g)) continue;
                    for (int c = 0; c < g.InChannels; c++)
                    for (int h = 0; h < g.InH; h++)
                        new ReadOnlySpan<float>(scratch + (c * ph + h + g.PadTop) * pw + g.PadLeft, g.InW)
                            .CopyTo(new Span<float>(image + (c * g.InH + h) * g.InW, g.InW));
                }
            }
        }

        /// <summary>
        /// For one input channel: target[ih, iw] = Σ_(kh, kw) dCol[(kh, kw), (ih - kh) * W_out + iw - kw] over the
        /// taps whose output position exists: each target row summed in registers, 16 columns at a
        /// time, from dCol rows loaded shifted by kw with the lanes outside the output row cleared
        /// by a bitwise and (the loads reach up to a vector past a row's ends: into the guard
        /// around dCol), and written once (adding into memory instead stalls every load on the
        /// masked store before it).
        /// </summary>
        private void Col2Im(float* columns, int columnStride, float* target, int ph, int pw)
        {
            int outH = g.OutH, outW = g.OutW, kH = g.KernelH, kW = g.KernelW;
            Vector512<float>* masks = stackalloc Vector512<float>[kW];
            for (int j = 0; j < pw; j += Lanes)
            {
                // Lane l holds column j + l, which tap column kw reads from output column j + l - kw.
                for (int kw = 0; kw < kW; kw++)
                {
                    var column = Vector512<int>.Indices + Vector512.Create(j - kw);
                    masks[kw] = (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, Vector512.Create(outW))).AsSingle();
                }
                var storeMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(pw - j)).AsSingle();
                for (int ih = 0; ih < ph; ih++)
                {
                    // Four partial sums (the adds' latency, not the loads, would bound one).
                    Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    for (int kh = Math.Max(0, ih - outH + 1); kh <= Math.Min(kH - 1, ih); kh++)
                    {
                        float* from = columns + kh * kW * columnStride + (ih - kh) * outW + j;
                        int kw = 0;
                        for (; kw + 1 < kW; kw += 2)
                        {
                            s0 += Vector512.Load(from + kw * (columnStride - 1)) & masks[kw];
                            s1 += Vector512.Load(from + (kw + 1) * (columnStride - 1)) & masks[kw + 1];
                        }
                        if (kw < kW) s2 += Vector512.Load(from + kw * (columnStride - 1)) & masks[kw];
                        (s0, s1, s2, s3) = (s3, s2, s0, s1);
                    }
                    var sum = (s0 + s1) + (s2 + s3);
                    float* row = target + ih * pw + j;
                    if (j + Lanes <= pw) sum.Store(row);
                    else Avx512F.MaskStore(row, storeMask, sum);
                }
            }
        }

        // Copies one image into the zero-bordered scratch plane.
        private void Pad(float* image, float* scratch)
        {
            int ph = PaddedH(g), pw = PaddedW(g);
            new Span<float>(scratch, g.InChannels * ph * pw).Clear();
            for (int c = 0; c < g.InChannels; c++)
            for (int h = 0; h < g.InH; h++)
                new ReadOnlySpan<float>(image + (c * g.InH + h) * g.InW, g.InW)
                    .CopyTo(new Span<float>(scratch + (c * ph + h + g.PadTop) * pw + g.PadLeft, g.InW));
        }

        // tile[p, k] = start[k] + Σ_t weights[t, k] * plane[p's input + offsets[t]], by blocks of
        // two rows (the last pair overlapping the one before for an odd height) by one column block.
        private void ForwardTile(float* plane, float* weights, Vector512<float> start, float* tile, int* offsets, int* starts, int taps, int pw)
        {
            int outH = g.OutH, outW = g.OutW, blocks = kernel.columnStarts.Length - 1;
            for (int r = 0; r < outH; r += 2)
            {
                int row = Math.Min(r, outH - 2);
                for (int i = 0; i < blocks; i++)
                {
                    int col = starts[i];
                    ForwardBlock(starts[i + 1] - col, plane + row * pw + col, weights, offsets, taps, pw, start,
                        tile + (row * outW + col) * Lanes, outW * Lanes);
                }
            }
        }

        // dWeights[t, k] += Σ_p dOutput[k, p] * plane[p's input + offsets[t]]; dBias[k] += Σ_p dOutput[k, p].
        private void WeightGradient(float* plane, float* dOutputs, float* tile, int* offsets, int* starts, int taps, int pw,
            float* dWeights, float* dBias)
        {
            int outH = g.OutH, outW = g.OutW, planeOut = outH * outW, blocks = kernel.columnStarts.Length - 1;
            PlanesToTile(dOutputs, planeOut, tile);
            var biasSum = Vector512<float>.Zero;
            for (int p = 0; p < planeOut; p++) biasSum += Vector512.Load(tile + p * Lanes);
            (Vector512.Load(dBias) + biasSum).Store(dBias);
            for (int r = 0; r < outH; r += 2)
            {
                int row = Math.Min(r, outH - 2);
                for (int i = 0; i < blocks; i++)
                {
                    int col = starts[i];
                    WeightBlock(starts[i + 1] - col, plane + row * pw + col, tile + (row * outW + col) * Lanes, outW * Lanes,
                        skipFirstRow: row != r, offsets, taps, pw, dWeights);
                }
            }
        }
    }

    /// <summary>
    /// dCol[t, 0 .. 16) (+)= Σ_k weights[t, k] * dOutput[k, 0 .. 16) for every tap t: the 16 rows
    /// of dOutput (<paramref name="stride"/> apart, <paramref name="count"/> values each, zeros
    /// after) in registers, each packed weight broadcast, in four partial sums.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void InputColumns(float* dy, int stride, int count, float* weights, int taps, float* columns, int columnStride, bool accumulate)
    {
        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
        bool full = count == Lanes;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector512<float> Row(int k) => full ? Vector512.Load(dy + k * stride) : Avx512F.MaskLoad(dy + k * stride, mask, Vector512<float>.Zero);
        var d0 = Row(0); var d1 = Row(1); var d2 = Row(2); var d3 = Row(3);
        var d4 = Row(4); var d5 = Row(5); var d6 = Row(6); var d7 = Row(7);
        var d8 = Row(8); var d9 = Row(9); var d10 = Row(10); var d11 = Row(11);
        var d12 = Row(12); var d13 = Row(13); var d14 = Row(14); var d15 = Row(15);
        for (int t = 0; t < taps; t++)
        {
            float* wt = weights + t * Lanes;
            var s0 = d0 * Vector512.Create(wt[0]);
            var s1 = d1 * Vector512.Create(wt[1]);
            var s2 = d2 * Vector512.Create(wt[2]);
            var s3 = d3 * Vector512.Create(wt[3]);
            s0 = Vector512.FusedMultiplyAdd(d4, Vector512.Create(wt[4]), s0);
            s1 = Vector512.FusedMultiplyAdd(d5, Vector512.Create(wt[5]), s1);
            s2 = Vector512.FusedMultiplyAdd(d6, Vector512.Create(wt[6]), s2);
            s3 = Vector512.FusedMultiplyAdd(d7, Vector512.Create(wt[7]), s3);
            s0 = Vector512.FusedMultiplyAdd(d8, Vector512.Create(wt[8]), s0);
            s1 = Vector512.FusedMultiplyAdd(d9, Vector512.Create(wt[9]), s1);
            s2 = Vector512.FusedMultiplyAdd(d10, Vector512.Create(wt[10]), s2);
            s3 = Vector512.FusedMultiplyAdd(d11, Vector512.Create(wt[11]), s3);
            s0 = Vector512.FusedMultiplyAdd(d12, Vector512.Create(wt[12]), s0);
            s1 = Vector512.FusedMultiplyAdd(d13, Vector512.Create(wt[13]), s1);
            s2 = Vector512.FusedMultiplyAdd(d14, Vector512.Create(wt[14]), s2);
            s3 = Vector512.FusedMultiplyAdd(d15, Vector512.Create(wt[15]), s3);
            var sum = (s0 + s1) + (s2 + s3);
            float* target = columns + t * columnStride;
            if (accumulate) sum += Vector512.Load(target);
            sum.Store(target);
        }
    }

    // planes [16, count] (rows `stride` apart) = tile [count, 16] transposed, rectified if asked.
    private static unsafe void TileToPlanes(float* tile, float* planes, int count, bool rectify)
    {
        for (int p = 0; p < count; p += Lanes)
            Transpose(tile + p * Lanes, Lanes, planes + p, count, loadCount: Lanes, storeCount: Math.Min(Lanes, count - p), rectify);
    }

    // tile [count rounded up to 16, 16] = planes [16, count] transposed (zeros past count).
    private static unsafe void PlanesToTile(float* planes, int count, float* tile)
    {
        for (int p = 0; p < count; p += Lanes)
            Transpose(planes + p, count, tile + p * Lanes, Lanes, loadCount: Math.Min(Lanes, count - p), storeCount: Lanes, rectify: false);
    }

    /// <summary>
    /// A 16 x 16 transpose: <c>to[j * toStride + i] = from[i * fromStride + j]</c>, reading the
    /// first <paramref name="loadCount"/> values of each source row (zeros after) and writing the
    /// first <paramref name="storeCount"/> of each target row. Interleaves 32-bit, then 64-bit
    /// pairs within 128-bit lanes, then moves the lanes in two steps.
    /// </summary>
    private static unsafe void Transpose(float* from, int fromStride, float* to, int toStride, int loadCount, int storeCount, bool rectify)
    {
        var loadMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(loadCount)).AsSingle();
        bool partialLoad = loadCount < Lanes;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector512<float> Row(int i) => partialLoad
            ? Avx512F.MaskLoad(from + i * fromStride, loadMask, Vector512<float>.Zero)
            : Vector512.Load(from + i * fromStride);
        // t: pairs of rows interleaved by 32 bits; u: groups of four rows by 64 bits.
        var r0 = Row(0); var r1 = Row(1); var r2 = Row(2); var r3 = Row(3);
        var r4 = Row(4); var r5 = Row(5); var r6 = Row(6); var r7 = Row(7);
        var r8 = Row(8); var r9 = Row(9); var r10 = Row(10); var r11 = Row(11);
        var r12 = Row(12); var r13 = Row(13); var r14 = Row(14); var r15 = Row(15);
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);
        // u[4q + e]: rows 4q .. 4q + 3 of column 4L + e in each 128-bit lane L.
        var u0 = Low64(t0, t2); var u1 = High64(t0, t2); var u2 = Low64(t1, t3); var u3 = High64(t1, t3);
        var u4 = Low64(t4, t6); var u5 = High64(t4, t6); var u6 = Low64(t5, t7); var u7 = High64(t5, t7);
        var u8 = Low64(t8, t10); var u9 = High64(t8, t10); var u10 = Low64(t9, t11); var u11 = High64(t9, t11);
        var u12 = Low64(t12, t14); var u13 = High64(t12, t14); var u14 = Low64(t13, t15); var u15 = High64(t13, t15);
        var storeMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(storeCount)).AsSingle();
        Columns(u0, u4, u8, u12, 0);
        Columns(u1, u5, u9, u13, 1);
        Columns(u2, u6, u10, u14, 2);
        Columns(u3, u7, u11, u15, 3);

        // Columns e, 4 + e, 8 + e and 12 + e from the four row groups' vectors of column e.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        void Columns(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, int e)
        {
            var even = Avx512F.Shuffle4x128(a, b, 0x88); // lanes 0 and 2 of a, then of b
            var odd = Avx512F.Shuffle4x128(a, b, 0xDD);  // lanes 1 and 3
            var evenLow = Avx512F.Shuffle4x128(c, d, 0x88);
            var oddLow = Avx512F.Shuffle4x128(c, d, 0xDD);
            Put(e, Avx512F.Shuffle4x128(even, evenLow, 0x88));
            Put(4 + e, Avx512F.Shuffle4x128(odd, oddLow, 0x88));
            Put(8 + e, Avx512F.Shuffle4x128(even, evenLow, 0xDD));
            Put(12 + e, Avx512F.Shuffle4x128(odd, oddLow, 0xDD));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        void Put(int j, Vector512<float> column)
        {
            if (rectify) column = Vector512.Max(column, Vector512<float>.Zero);
            if (storeCount < Lanes) Avx512F.MaskStore(to + j * toStride, storeMask, column);
            else column.Store(to + j * toStride);
        }
    }

    private static Vector512<float> Low64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    private static Vector512<float> High64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    // The number of columns of a block, as a type: each width gets its own compiled block, with
    // the accumulators of the columns past it removed.
    private interface IColumns
    {
        static abstract int Count { get; }
    }
    private struct Columns1 : IColumns { public static int Count => 1; }
    private struct Columns2 : IColumns { public static int Count => 2; }
    private struct Columns3 : IColumns { public static int Count => 3; }
    private struct Columns4 : IColumns { public static int Count => 4; }
    private struct Columns5 : IColumns { public static int Count => 5; }
    private struct Columns6 : IColumns { public static int Count => 6; }
    private struct Columns7 : IColumns { public static int Count => 7; }
    private struct Columns8 : IColumns { public static int Count => 8; }
    private struct Columns9 : IColumns { public static int Count => 9; }
    private struct Columns10 : IColumns { public static int Count => 10; }
    private struct Columns11 : IColumns { public static int Count => 11; }
    private struct Columns12 : IColumns { public static int Count => 12; }

    private static unsafe void ForwardBlock(int columns, float* origin, float* weights, int* offsets, int taps, int pw, Vector512<float> start, float* tile, int tileRow)
    {
        switch (columns)
        {
            case 1: ForwardBlock<Columns1>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 2: ForwardBlock<Columns2>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 3: ForwardBlock<Columns3>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 4: ForwardBlock<Columns4>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 5: ForwardBlock<Columns5>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 6: ForwardBlock<Columns6>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 7: ForwardBlock<Columns7>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 8: ForwardBlock<Columns8>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 9: ForwardBlock<Columns9>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 10: ForwardBlock<Columns10>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 11: ForwardBlock<Columns11>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            default: ForwardBlock<Columns12>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
        }
    }

    // Two rows of TColumns outputs of 16 channels, from `origin` (the block's first input):
    // start plus, for each tap t, weights[t] times the input at offsets[t], broadcast; stored to
    // the tile (rows tileRow apart).
    [SkipLocalsInit]
    private static unsafe void ForwardBlock<TColumns>(float* origin, float* weights, int* offsets, int taps, int pw, Vector512<float> start, float* tile, int tileRow)
        where TColumns : struct, IColumns
    {
        int n = TColumns.Count;
            Vector512<float> a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start, a6 = start, a7 = start, a8 = start, a9 = start, a10 = start, a11 = start;
            Vector512<float> b0 = start, b1 = start, b2 = start, b3 = start, b4 = start, b5 = start, b6 = start, b7 = start, b8 = start, b9 = start, b10 = start, b11 = start;
            for (int t = 0; t < taps; t++)
            {
                var w = Vector512.Load(weights + t * Lanes);
                float* p = origin + offsets[t], q = p + pw;
                { a0 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[0]), a0); b0 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[0]), b0); }
                if (n > 1) { a1 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[1]), a1); b1 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[1]), b1); }
                if (n > 2) { a2 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[2]), a2); b2 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[2]), b2); }
                if (n > 3) { a3 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[3]), a3); b3 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[3]), b3); }
                if (n > 4) { a4 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[4]), a4); b4 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[4]), b4); }
                if (n > 5) { a5 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[5]), a5); b5 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[5]), b5); }
                if (n > 6) { a6 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[6]), a6); b6 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[6]), b6); }
                if (n > 7) { a7 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[7]), a7); b7 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[7]), b7); }
                if (n > 8) { a8 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[8]), a8); b8 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[8]), b8); }
                if (n > 9) { a9 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[9]), a9); b9 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[9]), b9); }
                if (n > 10) { a10 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[10]), a10); b10 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[10]), b10); }
                if (n > 11) { a11 = Vector512.FusedMultiplyAdd(w, Vector512.Create(p[11]), a11); b11 = Vector512.FusedMultiplyAdd(w, Vector512.Create(q[11]), b11); }
            }
            { a0.Store(tile + 0); b0.Store(tile + tileRow + 0); }
            if (n > 1) { a1.Store(tile + 16); b1.Store(tile + tileRow + 16); }
            if (n > 2) { a2.Store(tile + 32); b2.Store(tile + tileRow + 32); }
            if (n > 3) { a3.Store(tile + 48); b3.Store(tile + tileRow + 48); }
            if (n > 4) { a4.Store(tile + 64); b4.Store(tile + tileRow + 64); }
            if (n > 5) { a5.Store(tile + 80); b5.Store(tile + tileRow + 80); }
            if (n > 6) { a6.Store(tile + 96); b6.Store(tile + tileRow + 96); }
            if (n > 7) { a7.Store(tile + 112); b7.Store(tile + tileRow + 112); }
            if (n > 8) { a8.Store(tile + 128); b8.Store(tile + tileRow + 128); }
            if (n > 9) { a9.Store(tile + 144); b9.Store(tile + tileRow + 144); }
            if (n > 10) { a10.Store(tile + 160); b10.Store(tile + tileRow + 160); }
            if (n > 11) { a11.Store(tile + 176); b11.Store(tile + tileRow + 176); }
    }

    private static unsafe void WeightBlock(int columns, float* origin, float* dys, int tileRow, bool skipFirstRow, int* offsets, int taps, int pw, float* dWeights)
    {
        switch (columns)
        {
            case 1: WeightBlock<Columns1>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 2: WeightBlock<Columns2>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 3: WeightBlock<Columns3>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 4: WeightBlock<Columns4>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 5: WeightBlock<Columns5>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 6: WeightBlock<Columns6>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 7: WeightBlock<Columns7>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 8: WeightBlock<Columns8>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 9: WeightBlock<Columns9>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 10: WeightBlock<Columns10>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 11: WeightBlock<Columns11>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            default: WeightBlock<Columns12>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
        }
    }

    // For two rows of TColumns positions from `origin`, with their dOutput vectors (16 channels)
    // in the tile `dys`: dWeights[t] += Σ_positions dOutput * the input at offsets[t], broadcast,
    // in four partial sums. The first row's dOutput counts as zero when skipFirstRow.
    [SkipLocalsInit]
    private static unsafe void WeightBlock<TColumns>(float* origin, float* dys, int tileRow, bool skipFirstRow, int* offsets, int taps, int pw, float* dWeights)
        where TColumns : struct, IColumns
    {
        int n = TColumns.Count;
            var keep = skipFirstRow ? Vector512<float>.Zero : Vector512<float>.AllBitsSet;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default, b8 = default, b9 = default, b10 = default, b11 = default;
            { a0 = Vector512.Load(dys + 0) & keep; b0 = Vector512.Load(dys + tileRow + 0); }
            if (n > 1) { a1 = Vector512.Load(dys + 16) & keep; b1 = Vector512.Load(dys + tileRow + 16); }
            if (n > 2) { a2 = Vector512.Load(dys + 32) & keep; b2 = Vector512.Load(dys + tileRow + 32); }
            if (n > 3) { a3 = Vector512.Load(dys + 48) & keep; b3 = Vector512.Load(dys + tileRow + 48); }
            if (n > 4) { a4 = Vector512.Load(dys + 64) & keep; b4 = Vector512.Load(dys + tileRow + 64); }
            if (n > 5) { a5 = Vector512.Load(dys + 80) & keep; b5 = Vector512.Load(dys + tileRow + 80); }
            if (n > 6) { a6 = Vector512.Load(dys + 96) & keep; b6 = Vector512.Load(dys + tileRow + 96); }
            if (n > 7) { a7 = Vector512.Load(dys + 112) & keep; b7 = Vector512.Load(dys + tileRow + 112); }
            if (n > 8) { a8 = Vector512.Load(dys + 128) & keep; b8 = Vector512.Load(dys + tileRow + 128); }
            if (n > 9) { a9 = Vector512.Load(dys + 144) & keep; b9 = Vector512.Load(dys + tileRow + 144); }
            if (n > 10) { a10 = Vector512.Load(dys + 160) & keep; b10 = Vector512.Load(dys + tileRow + 160); }
            if (n > 11) { a11 = Vector512.Load(dys + 176) & keep; b11 = Vector512.Load(dys + tileRow + 176); }
            for (int t = 0; t < taps; t++)
            {
                float* p = origin + offsets[t], q = p + pw;
                var s0 = a0 * Vector512.Create(p[0]);
                var s1 = b0 * Vector512.Create(q[0]);
                Vector512<float> s2 = default, s3 = default;
                if (n > 1) { s2 = a1 * Vector512.Create(p[1]); s3 = b1 * Vector512.Create(q[1]); }
                if (n > 2) { s0 = Vector512.FusedMultiplyAdd(a2, Vector512.Create(p[2]), s0); s1 = Vector512.FusedMultiplyAdd(b2, Vector512.Create(q[2]), s1); }
                if (n > 3) { s2 = Vector512.FusedMultiplyAdd(a3, Vector512.Create(p[3]), s2); s3 = Vector512.FusedMultiplyAdd(b3, Vector512.Create(q[3]), s3); }
                if (n > 4) { s0 = Vector512.FusedMultiplyAdd(a4, Vector512.Create(p[4]), s0); s1 = Vector512.FusedMultiplyAdd(b4, Vector512.Create(q[4]), s1); }
                if (n > 5) { s2 = Vector512.FusedMultiplyAdd(a5, Vector512.Create(p[5]), s2); s3 = Vector512.FusedMultiplyAdd(b5, Vector512.Create(q[5]), s3); }
                if (n > 6) { s0 = Vector512.FusedMultiplyAdd(a6, Vector512.Create(p[6]), s0); s1 = Vector512.FusedMultiplyAdd(b6, Vector512.Create(q[6]), s1); }
                if (n > 7) { s2 = Vector512.FusedMultiplyAdd(a7, Vector512.Create(p[7]), s2); s3 = Vector512.FusedMultiplyAdd(b7, Vector512.Create(q[7]), s3); }
                if (n > 8) { s0 = Vector512.FusedMultiplyAdd(a8, Vector512.Create(p[8]), s0); s1 = Vector512.FusedMultiplyAdd(b8, Vector512.Create(q[8]), s1); }
                if (n > 9) { s2 = Vector512.FusedMultiplyAdd(a9, Vector512.Create(p[9]), s2); s3 = Vector512.FusedMultiplyAdd(b9, Vector512.Create(q[9]), s3); }
                if (n > 10) { s0 = Vector512.FusedMultiplyAdd(a10, Vector512.Create(p[10]), s0); s1 = Vector512.FusedMultiplyAdd(b10, Vector512.Create(q[10]), s1); }
                if (n > 11) { s2 = Vector512.FusedMultiplyAdd(a11, Vector512.Create(p[11]), s2); s3 = Vector512.FusedMultiplyAdd(b11, Vector512.Create(q[11]), s3); }
                float* d = dWeights + t * Lanes;
                (Vector512.Load(d) + ((s0 + s1) + (s2 + s3))).Store(d);
            }
    }
}
