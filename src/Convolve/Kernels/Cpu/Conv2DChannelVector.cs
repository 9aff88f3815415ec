using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Direct convolution vectorised over output channels, for layers with few output channels on
/// small planes (LeNet-5's second convolution: 6 -> 16 channels, 5x5, 10 x 10 outputs), where
/// im2col + GEMM pads its weight matrix to the multiply's tiles and the direct kernel's row
/// vectors (<see cref="Conv2DDirect"/>) are mostly masked lanes. In scalar terms it is the
/// definition, <c>output[k, oh, ow] = bias[k] + Σ_(c, kh, kw) weight[k, c, kh, kw] *
/// input[c, oh + kh, ow + kw]</c>, with the sum ordered by tap (c, kh, kw). With W the floats
/// of one vector (16 on AVX-512, 8 on AVX2, 4 on SSE and AdvSimd):
/// <list type="bullet">
/// <item>one vector holds W output channels at one output position. A register block is two
/// output rows by up to <see cref="MaxBlockColumns"/> columns: at 16 lanes one vector of
/// channels per position (2 x 12 accumulators of AVX-512's 32 registers); at 8 or 4 lanes two
/// vectors (2W channels) per position by up to 3 columns (2 x 3 x 2 of 16 registers), so each
/// broadcast input feeds two multiply-adds. For each tap the W weights of a vector are loaded
/// once (packed tap-major: <c>[K / W, taps, W]</c>) and multiplied with each position's input
/// value, broadcast;</item>
/// <item>a block's accumulators go to a tile <c>[H_out * W_out, W]</c> per vector of channels,
/// turned into NCHW rows by W x W in-register transposes (rectified on the way, or
/// 2x2-max-pooled first for <see cref="ForwardRectifiedPooled"/>);</item>
/// <item>BackwardWeight turns dOutput into the same tiles, holds a block's dOutput vectors in
/// registers, and for each tap adds <c>Σ_positions dOutput * input</c> (a vector of channels at
/// once) to the tap's packed gradient; the bias gradient is the tile's sum;</item>
/// <item>BackwardInput computes im2col's <c>dCol = weightᵀ dOutput</c> over vectors of W output
/// positions with the W dOutput rows of W channels in registers, then adds it back to the
/// input positions (col2im);</item>
/// <item>every geometry <see cref="Supports"/> refuses goes to another kernel
/// (<see cref="Conv2DDispatch"/>), and so does the input gradient of the 3x3 layers Winograd
/// takes (it is faster there) and of large layers with fewer items than threads.</item>
/// </list>
/// Padding is copied into a zero-bordered plane first, as in <see cref="Conv2DDirect"/>. An odd
/// output height repeats the last row pair's first row (the forward pass writes it twice with the
/// same values; the weight gradient zeroes its dOutput there).
/// <para>
/// The code is written once over the vector type (<see cref="IVector{TVec}"/>); only the
/// transposes and the loads and stores of a row's last lanes are per instruction set
/// (Conv2DChannelVector.Transpose.cs, with the 16 x 16 and 8 x 8 transposes of
/// <see cref="RegisterTranspose"/>), each with a plain fallback.
/// </para>
/// <para>
/// Threads: (item, channel group) units, a group being the channels of a block's vectors
/// (items for BackwardInput), are split into one range per thread. Each output is computed by
/// the same operations whatever the split, so the forward passes and the input gradient give the same bits for any thread count at a given width; the
/// weight gradient is summed per range and the ranges added in order (as in
/// <see cref="Conv2DIm2ColGemm"/>), so its bits depend on the number of ranges.
/// </para>
/// <para>
/// Measured figures (LeNet-5's second convolution against im2col + GEMM, per width): BENCHMARKS.md,
/// "Convolution kernel choices".
/// </para>
/// </summary>
internal sealed partial class Conv2DChannelVector : IConv2DKernel, IConv2DPooledForward
{
    /// <summary>
    /// The most output channels this path takes: with more, im2col + GEMM fills its tiles and
    /// runs near the machine's peak.
    /// </summary>
    public const int MaxOutChannels = 32;

    /// <summary>
    /// Output channels come in multiples of this at every width: a whole number of the channel
    /// groups a register block holds (one vector of 16 on AVX-512, two of 8 on AVX2, two of 4 on
    /// SSE and AdvSimd).
    /// </summary>
    public const int OutChannelMultiple = 16;

    /// <summary>The largest output plane (H_out * W_out) this path takes; its tile of one channel group stays in L1/L2.</summary>
    public const int MaxPlane = 1024;

    /// <summary>The widest kernel this path takes (BackwardInput keeps a lane mask per kernel column on the stack).</summary>
    public const int MaxKernelW = 32;

    /// <summary>Below this many multiply-adds in a pass, one thread does it all (a second costs more to wake than it saves).</summary>
    public const long ParallelThreshold = 1L << 19;

    // The widest vector (floats): scratch lengths are rounded up to whole vectors of it, which
    // covers every width.
    private const int MaxLanes = 16;

    private readonly int maxThreads;
    private readonly SimdWidth width;
    private float[] packed = [];
    private float[][] scratch = [];
    private float[][] partialWeights = [];
    private int[] tapOffsets = [];
    private int[] columnStarts = [];

    /// <summary>
    /// A kernel using up to <paramref name="maxThreads"/> threads (0: all cores) and vectors of
    /// <paramref name="width"/> (the CPU's widest unless given).
    /// </summary>
    public Conv2DChannelVector(int maxThreads = 0, SimdWidth? width = null)
    {
        this.maxThreads = ThreadCount.Resolve(maxThreads);
        this.width = width ?? Simd.Best;
    }

    /// <summary>
    /// The most columns of a register block at <paramref name="width"/>: two rows of that many
    /// positions, times the vectors of channels a block holds, are the accumulators, which with
    /// the weights and a broadcast value fit the register file (2 x 12 x 1 of AVX-512's 32
    /// registers; 2 x 3 x 2 of the 16 of AVX2 and SSE).
    /// </summary>
    internal static int MaxBlockColumns(SimdWidth width) => width == SimdWidth.Vector512 ? 12 : 3;

    // Vectors of channels per unit and register block: one at 16 lanes, two at narrower widths
    // (a broadcast input then feeds two multiply-adds: fewer loads per multiply-add where the
    // register file is too small for long rows).
    private static int VectorsPerGroup(int lanes) => lanes == 16 ? 1 : 2;

    // Output channels per unit: the vectors of a block times their lanes (16, 16 or 8).
    private int GroupChannels => VectorsPerGroup(Lanes) * Lanes;

    /// <summary>
    /// Whether this kernel computes <paramref name="pass"/> of <paramref name="g"/> at
    /// <paramref name="width"/> (Vector512, Vector256 or Vector128): stride and dilation 1, one
    /// group, a multiple of <see cref="OutChannelMultiple"/> output channels up to
    /// <see cref="MaxOutChannels"/>, kernels at most <see cref="MaxKernelW"/> wide, at least two
    /// output rows and at most <see cref="MaxPlane"/> output positions, any padding; the forward
    /// pass (also pooled, for an even output size) and both gradients separately.
    /// </summary>
    public static bool Supports(Conv2DPass pass, in Conv2DGeometry g, SimdWidth width)
    {
        bool geometry = width is SimdWidth.Vector512 or SimdWidth.Vector256 or SimdWidth.Vector128
            && g.Groups == 1 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
            && g.OutChannels % OutChannelMultiple == 0 && g.OutChannels <= MaxOutChannels && g.KernelW <= MaxKernelW
            && g.OutH >= 2 && g.OutW >= 1 && g.OutH * g.OutW <= MaxPlane;
        return pass switch
        {
            Conv2DPass.Forward or Conv2DPass.BackwardInput or Conv2DPass.BackwardWeight => geometry,
            Conv2DPass.ForwardPooled => geometry && g.OutH % 2 == 0 && g.OutW % 2 == 0,
            _ => false,
        };
    }

    private void Require(Conv2DPass pass, in Conv2DGeometry g)
    {
        if (!Supports(pass, g, width))
            throw new ArgumentException($"Conv2DChannelVector: the {pass} pass of {g} is not one this kernel computes at {width}.");
    }

    // Floats per vector: the channels of a group.
    private int Lanes => (int)width;

    public void Forward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => RunForward(g, input, weight, bias, output, Mode.Forward);

    public void ForwardRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => RunForward(g, input, weight, bias, output, Mode.ForwardRectified);

    public void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify) =>
        RunForward(g, input, weight, bias, output, rectify ? Mode.ForwardRectified : Mode.Forward);

    /// <summary>
    /// pooled = 2x2 max pooling (stride 2) of max(0, conv(input, weight) + bias), without writing
    /// the convolution's output (inference). <paramref name="pooled"/> is [N, K, H_out / 2, W_out / 2].
    /// Unlike the pooling layer it does not promise to carry a NaN through.
    /// </summary>
    public void ForwardRectifiedPooled(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> pooled)
    {
        Require(Conv2DPass.ForwardPooled, g);
        if (pooled.Length * 4L < g.OutputLength)
            throw new ArgumentException(
                $"Conv2DChannelVector.ForwardRectifiedPooled: expected a pooled output of {g.OutputLength / 4} values, got {pooled.Length}.");
        RunForward(g, input, weight, bias, pooled, Mode.ForwardRectifiedPooled);
    }

    /// <summary>
    /// dInput = the transposed convolution, as im2col's two steps without the multiply's tiles:
    /// <c>dCol[t, p] = Σ_k weight[k, t] * dOutput[k, p]</c> over vectors of W output positions
    /// (the W dOutput rows of a channel group held in registers, the weights broadcast), then each
    /// <c>dCol[t]</c> added back to the input positions tap t read (col2im), per image.
    /// </summary>
    public unsafe void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight, Span<float> dInput)
    {
        Require(Conv2DPass.BackwardInput, g);
        Check(g, nameof(BackwardInput), dInput.Length, weight.Length, dOutput.Length, "dOutput", g.OutputLength);
        int parts = Prepare(g, g.Batch);
        Pack(g, weight);
        fixed (float* dx = dInput, w = packed, dy = dOutput)
            Run(Mode.BackwardInput, g, parts, dx, w, null, dy);
    }

    public unsafe void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias)
    {
        Require(Conv2DPass.BackwardWeight, g);
        Check(g, nameof(BackwardWeight), input.Length, dWeight.Length, dOutput.Length, "dOutput", g.OutputLength);
        if (!dBias.IsEmpty && dBias.Length < g.OutChannels)
            throw new ArgumentException(
                $"Conv2DChannelVector.BackwardWeight: dBias needs {g.OutChannels} values (one per output channel), got {dBias.Length}.");
        int lanes = Lanes;
        int parts = Prepare(g, g.Batch * (g.OutChannels / GroupChannels));
        int taps = Taps(g), packedLength = g.WeightLength;
        PartialSums.Prepare(ref partialWeights, parts, packedLength + g.OutChannels);
        fixed (float* x = input, dy = dOutput)
            Run(Mode.BackwardWeight, g, parts, x, null, null, dy);
        // Ranges in order, then from the packed [K / W, taps, W] layout to [K, taps].
        var total = partialWeights[0].AsSpan(0, packedLength + g.OutChannels);
        for (int part = 1; part < parts; part++)
            TensorPrimitives.Add(total, partialWeights[part].AsSpan(0, total.Length), total);
        for (int k = 0; k < g.OutChannels; k++)
        {
            var row = dWeight.Slice(k * taps, taps);
            int from = k / lanes * taps * lanes + k % lanes;
            for (int t = 0; t < taps; t++) row[t] += total[from + t * lanes];
        }
        if (!dBias.IsEmpty)
            TensorPrimitives.Add(dBias[..g.OutChannels], total.Slice(packedLength, g.OutChannels), dBias[..g.OutChannels]);
    }

    private unsafe void RunForward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Mode mode)
    {
        bool pooledOutput = mode == Mode.ForwardRectifiedPooled;
        Require(pooledOutput ? Conv2DPass.ForwardPooled : Conv2DPass.Forward, g);
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
        int parts = Prepare(g, g.Batch * (g.OutChannels / GroupChannels));
        Pack(g, weight);
        fixed (float* x = input, w = packed, b = bias, y = output)
            Run(mode, g, parts, x, w, b, y);
    }

    // The pass's parts at this instance's width.
    private unsafe void Run(Mode mode, in Conv2DGeometry g, int parts, float* x, float* w, float* b, float* y)
    {
        switch (width)
        {
            case SimdWidth.Vector512:
                ParallelParts.Run(parts, parts, new Job<V512, Vector512<float>>(this, mode, g, parts, x, w, b, y));
                break;
            case SimdWidth.Vector256:
                ParallelParts.Run(parts, parts, new Job<V256, Vector256<float>>(this, mode, g, parts, x, w, b, y));
                break;
            default:
                ParallelParts.Run(parts, parts, new Job<V128, Vector128<float>>(this, mode, g, parts, x, w, b, y));
                break;
        }
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

    private static int RoundUp(int n) => (n + MaxLanes - 1) / MaxLanes * MaxLanes;

    // Scratch of one part: the padded image (when padded), the tile [H_out * W_out, W] and the
    // pooled tile, each rounded up to whole transposes (of the widest vector, so any width fits).
    private static int PaddedLength(in Conv2DGeometry g) => IsPadded(g) ? RoundUp(g.InChannels * PaddedH(g) * PaddedW(g)) : 0;

    private static int TileLength(in Conv2DGeometry g) => RoundUp(g.OutH * g.OutW) * MaxLanes;

    // BackwardInput's dCol rows of one input channel [kH * kW, H_out * W_out rounded up to the
    // widest vector], with a guard before and after for col2im's shifted loads, which reach up
    // to a kernel width plus a vector past a row.
    private static int ColumnsLength(in Conv2DGeometry g) => g.KernelH * g.KernelW * RoundUp(g.OutH * g.OutW) + 2 * ColumnsGuard;

    private const int ColumnsGuard = MaxKernelW + MaxLanes;

    // weight [K, taps] -> packed [K / W, taps, W].
    private void Pack(in Conv2DGeometry g, ReadOnlySpan<float> weight)
    {
        int taps = Taps(g), lanes = Lanes;
        if (packed.Length < g.WeightLength) packed = GC.AllocateUninitializedArray<float>(g.WeightLength, pinned: true);
        for (int k = 0; k < g.OutChannels; k++)
        {
            var row = weight.Slice(k * taps, taps);
            int to = k / lanes * taps * lanes + k % lanes;
            for (int t = 0; t < taps; t++) packed[to + t * lanes] = row[t];
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
        // Column blocks of at most MaxBlockColumns, as even as possible (a narrow last block
        // would leave too few accumulators to hide the multiply-adds' latency).
        int outW = g.OutW, blocks = (outW + MaxBlockColumns(width) - 1) / MaxBlockColumns(width);
        if (columnStarts.Length != blocks + 1) columnStarts = new int[blocks + 1];
        for (int i = 0; i <= blocks; i++) columnStarts[i] = outW * i / blocks;
        return parts;
    }

    private enum Mode { Forward, ForwardRectified, ForwardRectifiedPooled, BackwardWeight, BackwardInput }

    /// <summary>
    /// One part of a pass over (item, channel group) units, at the width of <typeparamref name="V"/>.
    /// Forward: <c>w</c> the packed weights, <c>y</c> the output (or pooled output).
    /// BackwardWeight: <c>y</c> is dOutput, the part's gradient goes to its partial buffer.
    /// BackwardInput: units are items, <c>x</c> is dInput, <c>w</c> the packed weights, <c>y</c> dOutput.
    /// </summary>
    private readonly unsafe struct Job<V, TVec>(Conv2DChannelVector kernel, Mode mode, Conv2DGeometry g, int parts,
        float* x, float* w, float* b, float* y) : IParallelPart
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        private static int Lanes => V.Count;

        // Vectors of channels per unit and block: one at 16 lanes (32 registers hold 2 x 12
        // accumulators), two below (16 registers: 2 x 3 positions x 2 vectors), so that each
        // broadcast input feeds two multiply-adds.
        private static int Vectors => VectorsPerGroup(V.Count);

        public void Run(int part)
        {
            if (mode == Mode.BackwardInput)
            {
                RunBackwardInput(part);
                return;
            }
            int groups = g.OutChannels / (Vectors * Lanes), units = g.Batch * groups;
            int first = (int)((long)units * part / parts), last = (int)((long)units * (part + 1) / parts);
            int taps = Taps(g), planeIn = g.InH * g.InW, planeOut = g.OutH * g.OutW;
            int pw = IsPadded(g) ? PaddedW(g) : g.InW;
            // A unit's tile is one sub-tile [H_out * W_out, W] per vector of channels (the second
            // after the first); the pooled sub-tiles likewise.
            int subTile = RoundUp(planeOut) * Lanes, pooledPlane = planeOut / 4, pooledSubTile = RoundUp(pooledPlane) * Lanes;
            fixed (int* offsets = kernel.tapOffsets, starts = kernel.columnStarts)
            fixed (float* scratch = kernel.scratch[part])
            fixed (float* partial = mode == Mode.BackwardWeight ? kernel.partialWeights[part] : null)
            {
                float* tile = scratch + PaddedLength(g), pooledTile = tile + TileLength(g);
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
                    int channel = group * Vectors * Lanes;             // the unit's first output channel
                    long channels = (long)n * g.OutChannels + channel;
                    if (mode == Mode.BackwardWeight)
                    {
                        float* dWeights = partial + channel * taps;
                        float* dBias = partial + g.WeightLength + channel;
                        WeightGradient(plane, y + channels * planeOut, tile, subTile, offsets, starts, taps, pw, dWeights, dBias);
                        continue;
                    }
                    ForwardTile(plane, w + channel * taps, b is null ? null : b + channel, tile, subTile, offsets, starts, taps, pw);
                    for (int v = 0; v < Vectors; v++)
                    {
                        float* sub = tile + v * subTile, planes = y + (channels + v * Lanes) * (mode == Mode.ForwardRectifiedPooled ? pooledPlane : planeOut);
                        if (mode != Mode.ForwardRectifiedPooled)
                        {
                            TileToPlanes<V, TVec>(sub, planes, planeOut, rectify: mode == Mode.ForwardRectified);
                            continue;
                        }
                        float* pooled = pooledTile + v * pooledSubTile;
                        int pooledW = g.OutW / 2;
                        for (int i = 0; i < g.OutH / 2; i++)
                            for (int j = 0; j < pooledW; j++)
                            {
                                float* top = sub + (2 * i * g.OutW + 2 * j) * Lanes, bottom = top + g.OutW * Lanes;
                                var max = V.Max(V.Max(V.Load(top), V.Load(top + Lanes)), V.Max(V.Load(bottom), V.Load(bottom + Lanes)));
                                V.Store(V.Max(max, V.Zero), pooled + (i * pooledW + j) * Lanes);
                            }
                        TileToPlanes<V, TVec>(pooled, planes, pooledPlane, rectify: false);
                    }
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
                                InputColumns<V, TVec>(dy + p, planeOut, Math.Min(Lanes, planeOut - p), weights, channelTaps,
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
        /// taps whose output position exists: each target row summed in registers, W columns at a
        /// time, from dCol rows loaded shifted by kw with the lanes outside the output row cleared
        /// by a bitwise and (the loads reach up to a vector past a row's ends: into the guard
        /// around dCol), and written once (adding into memory instead stalls every load on the
        /// masked store before it).
        /// </summary>
        [SkipLocalsInit]
        private void Col2Im(float* columns, int columnStride, float* target, int ph, int pw)
        {
            int outH = g.OutH, outW = g.OutW, kH = g.KernelH, kW = g.KernelW;
            TVec* masks = stackalloc TVec[kW];
            for (int j = 0; j < pw; j += Lanes)
            {
                // Lane l holds column j + l, which tap column kw reads from output column j + l - kw.
                for (int kw = 0; kw < kW; kw++)
                    masks[kw] = LanesBetween<V, TVec>(kw - j, outW + kw - j);
                for (int ih = 0; ih < ph; ih++)
                {
                    // Four partial sums (the adds' latency, not the loads, would bound one).
                    TVec s0 = V.Zero, s1 = V.Zero, s2 = V.Zero, s3 = V.Zero;
                    for (int kh = Math.Max(0, ih - outH + 1); kh <= Math.Min(kH - 1, ih); kh++)
                    {
                        float* from = columns + kh * kW * columnStride + (ih - kh) * outW + j;
                        int kw = 0;
                        for (; kw + 1 < kW; kw += 2)
                        {
                            s0 = V.Add(s0, V.BitwiseAnd(V.Load(from + kw * (columnStride - 1)), masks[kw]));
                            s1 = V.Add(s1, V.BitwiseAnd(V.Load(from + (kw + 1) * (columnStride - 1)), masks[kw + 1]));
                        }
                        if (kw < kW) s2 = V.Add(s2, V.BitwiseAnd(V.Load(from + kw * (columnStride - 1)), masks[kw]));
                        (s0, s1, s2, s3) = (s3, s2, s0, s1);
                    }
                    var sum = V.Add(V.Add(s0, s1), V.Add(s2, s3));
                    V.StoreFirst(sum, target + ih * pw + j, pw - j);
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

        // tile[p, k] = bias[k] + Σ_t weights[t, k] * plane[p's input + offsets[t]], by blocks of
        // two rows (the last pair overlapping the one before for an odd height) by one column
        // block, for the unit's Vectors sub-tiles at once.
        private void ForwardTile(float* plane, float* weights, float* bias, float* tile, int subTile, int* offsets, int* starts, int taps, int pw)
        {
            int outH = g.OutH, outW = g.OutW, blocks = kernel.columnStarts.Length - 1;
            var start = bias is null ? V.Zero : V.Load(bias);
            var start1 = bias is null || Vectors == 1 ? V.Zero : V.Load(bias + Lanes);
            for (int r = 0; r < outH; r += 2)
            {
                int row = Math.Min(r, outH - 2);
                for (int i = 0; i < blocks; i++)
                {
                    int col = starts[i], at = (row * outW + col) * Lanes;
                    if (Vectors == 1)
                        ForwardBlock<V, TVec>(starts[i + 1] - col, plane + row * pw + col, weights, offsets, taps, pw, start, tile + at, outW * Lanes);
                    else
                        ForwardPair<V, TVec>(starts[i + 1] - col, plane + row * pw + col, weights, offsets, taps, pw, start, start1,
                            tile + at, tile + subTile + at, outW * Lanes);
                }
            }
        }

        // dWeights[t, k] += Σ_p dOutput[k, p] * plane[p's input + offsets[t]]; dBias[k] += Σ_p dOutput[k, p],
        // for the unit's Vectors x W channels.
        private void WeightGradient(float* plane, float* dOutputs, float* tile, int subTile, int* offsets, int* starts, int taps, int pw,
            float* dWeights, float* dBias)
        {
            int outH = g.OutH, outW = g.OutW, planeOut = outH * outW, blocks = kernel.columnStarts.Length - 1;
            for (int v = 0; v < Vectors; v++)
            {
                float* sub = tile + v * subTile;
                PlanesToTile<V, TVec>(dOutputs + v * Lanes * planeOut, planeOut, sub);
                var biasSum = V.Zero;
                for (int p = 0; p < planeOut; p++) biasSum = V.Add(biasSum, V.Load(sub + p * Lanes));
                V.Store(V.Add(V.Load(dBias + v * Lanes), biasSum), dBias + v * Lanes);
            }
            for (int r = 0; r < outH; r += 2)
            {
                int row = Math.Min(r, outH - 2);
                for (int i = 0; i < blocks; i++)
                {
                    int col = starts[i], at = (row * outW + col) * Lanes;
                    if (Vectors == 1)
                        WeightBlock<V, TVec>(starts[i + 1] - col, plane + row * pw + col, tile + at, outW * Lanes,
                            skipFirstRow: row != r, offsets, taps, pw, dWeights);
                    else
                        WeightPair<V, TVec>(starts[i + 1] - col, plane + row * pw + col, tile + at, tile + subTile + at, outW * Lanes,
                            skipFirstRow: row != r, offsets, taps, pw, dWeights);
                }
            }
        }
    }
}
