using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Convolution as matrix multiplies (the im2col scheme Caffe made common), on the blocked
/// <see cref="Gemm"/>. For one batch item and one group, with <c>CKK = C/groups * kH * kW</c> and
/// <c>P = H_out * W_out</c>:
/// <list type="bullet">
/// <item>im2col copies the input into <c>col[CKK, P]</c>, <c>col[(c*kH + kh)*kW + kw, oh*W_out + ow] =
/// input[c, oh*sH - padTop + kh*dH, ow*sW - padLeft + kw*dW]</c> (0 in the padding);</item>
/// <item>Forward: <c>output[K/groups, P] = weight[K/groups, CKK] * col + bias</c>;</item>
/// <item>BackwardInput: <c>dCol = weight^T * dOutput</c>, then col2im adds each <c>dCol</c> value back
/// to the input position it was copied from;</item>
/// <item>BackwardWeight: <c>dWeight += dOutput * col^T</c>, <c>dBias += row sums of dOutput</c>.</item>
/// </list>
/// A 1x1 kernel with stride 1 and no padding needs no im2col: the input plane is already
/// <c>col</c> (<c>[C/groups, H*W]</c>), so each pass is one multiply straight on the tensors.
/// <para>
/// Trade-offs: almost all the work is in the multiply, which runs at a large fraction of the
/// machine's peak, but im2col writes kH*kW copies of the input (memory traffic, and a scratch
/// buffer of CKK x P floats per thread); tiny images with few channels (P and K/groups far
/// below the multiply's 12 x 32 tile) gain least. Measured figures: bench/Convolve.Benchmarks.
/// </para>
/// <para>
/// Threads: batch items are split into one contiguous range per thread; each range writes its
/// own output (or dInput) items, and BackwardWeight sums each range's weight gradient into its
/// own buffer, added to dWeight in range order afterwards. So results depend on the thread count
/// (through the ranges) but never on scheduling. With a single item the multiplies themselves
/// use all threads. The instance keeps its scratch buffers between calls: one per layer, not
/// thread-safe.
/// </para>
/// </summary>
internal sealed class Conv2DIm2ColGemm : IConv2DKernel
{
    private readonly Gemm serialGemm, parallelGemm;
    private readonly int maxThreads;
    private float[][] columns = [];

    // The im2col matrices of the last ForwardTraining, one per image and group, and what
    // they were made from; BackwardWeight reuses them for the same geometry and input.
    private const long KeepBudget = 1L << 22; // floats (16 MiB)
    private float[] kept = [];
    private Conv2DGeometry keptGeometry;
    private nint keptInput;
    private bool keptValid;
    private float[][] partialWeights = [];

    /// <summary>A kernel on the fastest multiply path, using up to <paramref name="maxThreads"/> threads (0: all cores).</summary>
    public Conv2DIm2ColGemm(int maxThreads = 0) : this(Gemm.BestPath, maxThreads) { }

    internal Conv2DIm2ColGemm(GemmPath path, int maxThreads = 0)
    {
        parallelGemm = new Gemm(path, maxThreads);
        serialGemm = new Gemm(path, 1);
        this.maxThreads = parallelGemm.MaxThreads;
    }

    /// <summary>Whether <paramref name="g"/> is a 1x1, stride-1, unpadded convolution (a plain multiply).</summary>
    public static bool IsPointwise(in Conv2DGeometry g) =>
        g.KernelH == 1 && g.KernelW == 1 && g.StrideH == 1 && g.StrideW == 1
        && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;

    public void Forward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => RunForward(g, input, weight, bias, output, rectify: false, keep: false);

    public void ForwardRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => RunForward(g, input, weight, bias, output, rectify: true, keep: false);

    /// <summary>
    /// <see cref="Forward"/> (or <see cref="ForwardRectified"/>) for a training step: each image's
    /// im2col matrix is kept, when all of them fit in 16 MiB, so that the next
    /// <see cref="BackwardWeight"/> on the same input and geometry skips packing them again.
    /// </summary>
    public void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify) =>
        RunForward(g, input, weight, bias, output, rectify, keep: !IsPointwise(g) && (long)g.Batch * g.Groups * ColumnLength(g) <= KeepBudget);

    private unsafe void RunForward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify, bool keep)
    {
        string pass = rectify ? nameof(ForwardRectified) : nameof(Forward);
        Check(g, pass, input.Length, "input", g.InputLength, weight.Length, output.Length, "output", g.OutputLength);
        if (!bias.IsEmpty && bias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DIm2ColGemm.{pass}: bias needs {g.OutChannels} values (one per output channel), got {bias.Length}.");
        keptValid = false; // a plain forward pass: the next weight gradient may be for this input
        int length = keep ? g.Batch * g.Groups * ColumnLength(g) : 0;
        if (kept.Length < length) kept = GC.AllocateUninitializedArray<float>(length, pinned: true);
        fixed (float* x = input, w = weight, b = bias, y = output, k = kept)
        {
            RunParts(new Job(this, rectify ? Pass.ForwardRectified : Pass.Forward, g, x, w, b, y, keep ? k : null), g);
            if (!keep) return;
            keptGeometry = g;
            keptInput = (nint)x;
            keptValid = true;
        }
    }

    public unsafe void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight,
        Span<float> dInput)
    {
        Check(g, nameof(BackwardInput), dOutput.Length, "dOutput", g.OutputLength, weight.Length, dInput.Length, "dInput", g.InputLength);
        fixed (float* dy = dOutput, w = weight, dx = dInput)
            RunParts(new Job(this, Pass.BackwardInput, g, dx, w, null, dy), g);
    }

    public unsafe void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias)
    {
        Check(g, nameof(BackwardWeight), input.Length, "input", g.InputLength, dWeight.Length, dOutput.Length, "dOutput", g.OutputLength);
        if (!dBias.IsEmpty && dBias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DIm2ColGemm.BackwardWeight: dBias needs {g.OutChannels} values (one per output channel), got {dBias.Length}.");
        int parts = Parts(g);
        fixed (float* x = input, dw = dWeight, db = dBias, dy = dOutput, k = kept)
        {
            float* reuse = keptValid && keptGeometry == g && keptInput == (nint)x ? k : null;
            if (parts == 1)
            {
                RunParts(new Job(this, Pass.BackwardWeight, g, x, dw, db, dy, reuse), g);
                return;
            }
            // Each range of items sums into its own zeroed buffer: weights, then biases.
            PartialSums.Prepare(ref partialWeights, parts, g.WeightLength + g.OutChannels);
            RunParts(new Job(this, Pass.BackwardWeight, g, x, null, null, dy, reuse), g);
            PartialSums.AddInto(partialWeights, parts, dWeight, g.WeightLength, dBias, g.OutChannels);
        }
    }

    private static void Check(in Conv2DGeometry g, string pass, int firstLength, string firstName, int firstExpected,
        int weightLength, int lastLength, string lastName, int lastExpected)
    {
        if (g.Groups <= 0 || g.InChannels % g.Groups != 0 || g.OutChannels % g.Groups != 0)
            throw new ArgumentException($"Conv2DIm2ColGemm.{pass}: groups ({g.Groups}) must divide input channels ({g.InChannels}) " +
                $"and output channels ({g.OutChannels}).");
        if (g.OutH <= 0 || g.OutW <= 0)
            throw new ArgumentException($"Conv2DIm2ColGemm.{pass}: output would be {g.OutH}x{g.OutW} for {g}.");
        if (firstLength < firstExpected || weightLength < g.WeightLength || lastLength < lastExpected)
            throw new ArgumentException($"Conv2DIm2ColGemm.{pass}: expected {firstName} of {firstExpected}, weight of {g.WeightLength} " +
                $"and {lastName} of {lastExpected} values; got {firstLength}, {weightLength} and {lastLength}.");
    }

    private int Parts(in Conv2DGeometry g) => Math.Min(maxThreads, g.Batch);

    private static int ColumnLength(in Conv2DGeometry g) =>
        g.InChannelsPerGroup * g.KernelH * g.KernelW * g.OutH * g.OutW;

    private void RunParts(in Job job, in Conv2DGeometry g)
    {
        int parts = Parts(g);
        if (columns.Length < parts) Array.Resize(ref columns, parts);
        if (!IsPointwise(g))
        {
            int length = ColumnLength(g);
            for (int part = 0; part < parts; part++)
                if (columns[part] is null || columns[part].Length < length)
                    columns[part] = GC.AllocateUninitializedArray<float>(length, pinned: true);
        }
        ParallelParts.Run(parts, parts, job);
    }

    private enum Pass { Forward, ForwardRectified, BackwardInput, BackwardWeight }

    /// <summary>
    /// One pass over a contiguous range of batch items. <c>x</c> is input (or dInput), <c>w</c>
    /// weight (or dWeight, null when the part sums into its own buffer), <c>b</c> bias (or dBias),
    /// <c>y</c> output (or dOutput).
    /// </summary>
    private readonly unsafe struct Job(Conv2DIm2ColGemm kernel, Pass pass, Conv2DGeometry g,
        float* x, float* w, float* b, float* y, float* keptColumns = null) : IParallelPart
    {
        public void Run(int part)
        {
            int parts = kernel.Parts(g);
            int first = (int)((long)g.Batch * part / parts), last = (int)((long)g.Batch * (part + 1) / parts);
            var gemm = parts == 1 ? kernel.parallelGemm : kernel.serialGemm;
            bool pointwise = IsPointwise(g);
            float[]? column = pointwise ? null : kernel.columns[part];
            float* dw = w, db = b;
            if (pass == Pass.BackwardWeight && w is null)
            {
                // Pinned arrays (see BackwardWeight): the address stays valid after the fixed block.
                fixed (float* partial = kernel.partialWeights[part])
                {
                    dw = partial;
                    db = partial + g.WeightLength;
                }
            }
            fixed (float* col = column) // pinned too (see RunParts)
            {
                for (int n = first; n < last; n++)
                    for (int group = 0; group < g.Groups; group++)
                    {
                        // Kept matrices: packed by the forward pass, read by the weight gradient.
                        float* own = keptColumns is null ? col : keptColumns + ((long)n * g.Groups + group) * ColumnLength(g);
                        RunGroup(gemm, n, group, pointwise ? null : own, dw, db, pack: keptColumns is null || pass != Pass.BackwardWeight);
                    }
            }
        }

        private void RunGroup(Gemm gemm, int n, int group, float* col, float* dw, float* db, bool pack)
        {
            int cPerGroup = g.InChannelsPerGroup, kPerGroup = g.OutChannelsPerGroup;
            int planeIn = g.InH * g.InW, planeOut = g.OutH * g.OutW;
            int ckk = cPerGroup * g.KernelH * g.KernelW;
            float* xGroup = x + ((long)n * g.InChannels + group * cPerGroup) * planeIn;
            float* yGroup = y + ((long)n * g.OutChannels + group * kPerGroup) * planeOut;
            long weightOffset = (long)group * kPerGroup * ckk;
            var yMatrix = new Span<float>(yGroup, kPerGroup * planeOut);
            // The im2col matrix [ckk, planeOut]; for a pointwise convolution, the input plane itself.
            var colMatrix = new Span<float>(col is null ? xGroup : col, ckk * planeOut);
            switch (pass)
            {
                case Pass.Forward:
                case Pass.ForwardRectified:
                    {
                        if (col is not null && pack)
                        {
                            // A single part (one image): the packing is split over threads too.
                            if (kernel.Parts(g) == 1) Im2Col.PackParallel(g, xGroup, col, kernel.maxThreads);
                            else Im2Col.Pack(g, xGroup, col);
                        }
                        var weightMatrix = new ReadOnlySpan<float>(w + weightOffset, kPerGroup * ckk);
                        if (b is not null)
                            for (int k = 0; k < kPerGroup; k++)
                                yMatrix.Slice(k * planeOut, planeOut).Fill(b[group * kPerGroup + k]);
                        gemm.Multiply(false, false, kPerGroup, planeOut, ckk, weightMatrix, colMatrix, yMatrix, accumulate: b is not null);
                        // Rectified while this item's outputs are still in cache.
                        if (pass == Pass.ForwardRectified) TensorPrimitives.Max(yMatrix, 0f, yMatrix);
                        break;
                    }
                case Pass.BackwardInput:
                    {
                        var weightMatrix = new ReadOnlySpan<float>(w + weightOffset, kPerGroup * ckk);
                        gemm.Multiply(true, false, ckk, planeOut, kPerGroup, weightMatrix, yMatrix, colMatrix, accumulate: false);
                        if (col is not null) Im2Col.Unpack(g, col, xGroup);
                        break;
                    }
                default:
                    {
                        if (col is not null && pack) Im2Col.Pack(g, xGroup, col);
                        var dWeightMatrix = new Span<float>(dw + weightOffset, kPerGroup * ckk);
                        gemm.Multiply(false, true, kPerGroup, ckk, planeOut, yMatrix, colMatrix, dWeightMatrix, accumulate: true);
                        if (db is not null)
                            for (int k = 0; k < kPerGroup; k++)
                                db[group * kPerGroup + k] += TensorPrimitives.Sum<float>(yMatrix.Slice(k * planeOut, planeOut));
                        break;
                    }
            }
        }
    }
}
