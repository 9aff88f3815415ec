using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// 3x3 convolutions with stride 1 by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2015): each 2x2 block of outputs of one
/// channel pair is <c>Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A</c>, where <c>g</c> is the 3x3 filter and
/// <c>d</c> the 4x4 input patch under the block. That is 16 multiplications where the direct sum
/// takes 36, so the multiply work drops by 2.25x; summed over input channels, it becomes 16
/// independent matrix multiplies, one per position <c>ξ</c> of the 4x4 transformed tile:
/// <c>M[ξ][k, t] = Σ_c U[ξ][k, c] · V[ξ][c, t]</c> with <c>U = G g Gᵀ</c> (weights) and
/// <c>V = Bᵀ d B</c> (one column per tile <c>t</c>).
/// <code>
///      Bᵀ = | 1  0 -1  0 |     G = | 1    0    0  |     Aᵀ = | 1  1  1  0 |
///           | 0  1  1  0 |         | 1/2  1/2  1/2|          | 0  1 -1 -1 |
///           | 0 -1  1  0 |         | 1/2 -1/2  1/2|
///           | 0  1  0 -1 |         | 0    0    1  |
/// </code>
/// <list type="bullet">
/// <item>Forward: input tiles transformed 16 at a time along a row of tiles (even and odd
/// columns split with <see cref="Avx512F.PermuteVar16x32x2(Vector512{float}, Vector512{int}, Vector512{float})"/>),
/// written straight into the packed panels of <see cref="Gemm"/>'s micro-kernel (no packing
/// copies, no edge tiles), the 16 multiplies, then the output transform adds the bias,
/// and optionally rectifies, or rectifies and takes the 2x2 maximum (a tile is exactly one
/// pooling window), while the values are still in registers.</item>
/// <item>The gradients run the same algorithm transposed, per tile: dOutput's 2x2 block is
/// spread by <c>A dY Aᵀ</c> (once, for both gradients). The input gradient multiplies it by the
/// transformed filters summed over output channels and turns the result back into a 4x4
/// patch with <c>B (·) Bᵀ</c>, added where the forward pass read it (patches overlap by two
/// rows and columns). The weight gradient sums <c>(A dY Aᵀ) ⊙ (Bᵀ d B)</c> over every tile
/// (16 multiplies whose depth is the tiles) and turns each 4x4 sum back into a 3x3 filter with
/// <c>Gᵀ (·) G</c>. <see cref="Backward"/> does both in one pass over the batch, behind a fused
/// ReLU if there is one.</item>
/// <item>Every geometry this path does not take goes to another kernel (<see cref="Conv2DDispatch"/>).</item>
/// </list>
/// The transforms of <c>Bᵀ</c> and <c>Aᵀ</c> are additions and subtractions only, and <c>G</c>
/// halves, which is exact in binary; so the results differ from the direct sum only by rounding
/// in another order (a few units in the last place of the larger terms, see the tests).
/// <para>
/// Work is cut into units of whole tile rows of one image, sized so that the transformed
/// inputs and products stay in the L2 cache. Forward, each thread takes a contiguous range of
/// units and writes only its own outputs, and every output is computed by the same operations
/// whatever the split, so results do not depend on the thread count. Backward, each thread
/// takes whole images (their patches overlap in dInput) and sums its weight gradient in its own
/// buffer, added in thread order: results depend on the thread count, never on scheduling.
/// </para>
/// </summary>
public sealed class Conv2DWinograd : IConv2DKernel, IConv2DPooledForward, IConv2DFusedBackward
{
    /// <summary>Fewer channels than this on either side leave the multiplies too small to pay for the transforms.</summary>
    public const int MinChannels = 8;

    private const int Lanes = 16;
    // One cache line between the 16 planes of transformed tiles (and of products): planes
    // a multiple of 4 KiB apart would put the 16 values of a tile in one L1 set, more than its ways.
    private const int Skew = 16;
    private const int Positions = 16; // 4 x 4 transformed values per tile
    // Transformed inputs and products of one unit: about this many floats (2 MiB, the L2
    // cache here; a 28 x 28 image with 32 and 64 channels is one unit).
    private const int UnitBudget = 1 << 19;
    // Below this many multiply-adds (of the direct sum) one thread does the whole pass.
    private const long ParallelThreshold = 1L << 20;

    private readonly Gemm gemm = new(maxThreads: 1);
    private readonly int maxThreads;
    private readonly SimdWidth width;
    private readonly TransformedWeights forwardWeights = new(transposed: false), transposedWeights = new(transposed: true);
    private float[][] scratch = [], partialSums = [];

    /// <summary>
    /// A kernel using up to <paramref name="maxThreads"/> threads (0: all cores) and vectors of
    /// <paramref name="width"/> (the CPU's widest unless given).
    /// </summary>
    public Conv2DWinograd(int maxThreads = 0, SimdWidth? width = null)
    {
        this.maxThreads = ThreadCount.Resolve(maxThreads);
        this.width = width ?? Simd.Best;
    }

    /// <summary>
    /// Whether this kernel computes <paramref name="pass"/> of <paramref name="g"/> at
    /// <paramref name="width"/>: a 3x3 kernel, stride and dilation 1, one group, padding at most
    /// 2 on each side, at least <see cref="MinChannels"/> input and output channels; every pass,
    /// the pooled one for an even output size.
    /// </summary>
    public static bool Supports(Conv2DPass pass, in Conv2DGeometry g, SimdWidth width)
    {
        bool geometry = width == SimdWidth.Vector512
            && g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 1 && g.StrideW == 1
            && g.DilationH == 1 && g.DilationW == 1 && g.Groups == 1
            && g.PadTop is >= 0 and <= 2 && g.PadLeft is >= 0 and <= 2 && g.PadBottom is >= 0 and <= 2 && g.PadRight is >= 0 and <= 2
            && g.InChannels >= MinChannels && g.OutChannels >= MinChannels
            && g.OutH > 0 && g.OutW > 0;
        return pass == Conv2DPass.ForwardPooled ? geometry && g.OutH % 2 == 0 && g.OutW % 2 == 0 : geometry;
    }

    private void Require(Conv2DPass pass, in Conv2DGeometry g)
    {
        if (!Supports(pass, g, width))
            throw new ArgumentException($"Conv2DWinograd: the {pass} pass of {g} is not one this kernel computes at {width}.");
    }

    public void Forward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => RunForward(g, input, weight, bias, output, Output.Plain);

    public void ForwardRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => RunForward(g, input, weight, bias, output, Output.Rectified);

    public void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify) =>
        RunForward(g, input, weight, bias, output, rectify ? Output.Rectified : Output.Plain);

    /// <summary>
    /// pooled = 2x2 max pooling (stride 2) of max(0, conv(input, weight) + bias), without writing
    /// the convolution's output (inference through a convolution, ReLU and max pooling).
    /// <paramref name="pooled"/> is [N, K, H_out / 2, W_out / 2]. Unlike the pooling layer it
    /// does not promise to carry a NaN through.
    /// </summary>
    public void ForwardRectifiedPooled(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> pooled)
    {
        if (pooled.Length * 4L < g.OutputLength)
            throw new ArgumentException($"Conv2DWinograd.ForwardRectifiedPooled: expected a pooled output of {g.OutputLength / 4} values, got {pooled.Length}.");
        RunForward(g, input, weight, bias, pooled, Output.RectifiedPooled);
    }

    /// <summary>
    /// dInput = the input gradient, by the forward pass's transforms transposed: for each tile,
    /// <c>A dY Aᵀ</c> of its 2x2 block of dOutput, multiplied by the transformed filters summed
    /// over output channels, turned back by <c>B (·) Bᵀ</c> into a 4x4 patch and added where
    /// the forward pass read it (neighbouring patches overlap by two rows and columns).
    /// </summary>
    public void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight,
        Span<float> dInput)
    {
        Require(Conv2DPass.BackwardInput, g);
        Check(g, nameof(BackwardInput), dOutput.Length, "dOutput", g.OutputLength, weight.Length, dInput.Length, "dInput", g.InputLength);
        RunBackward(g, default, dOutput, default, weight, dInput, default, default, weights: false, inputs: true);
    }

    /// <summary>
    /// dWeight += the weight gradient, by the same transforms turned around:
    /// <c>dW[k, c] = Gᵀ (Σ_t (A dY_t Aᵀ) ⊙ (Bᵀ d_t B)) G</c> over every tile t (dY_t the 2x2 block
    /// of dOutput, d_t the 4x4 input patch under it): 16 multiplies summing over tiles, then one
    /// 4x4-to-3x3 transform per filter. Thread ranges of images sum into their own buffers,
    /// added in range order.
    /// </summary>
    public void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias)
    {
        Require(Conv2DPass.BackwardWeight, g);
        Check(g, nameof(BackwardWeight), input.Length, "input", g.InputLength, dWeight.Length, dOutput.Length, "dOutput", g.OutputLength);
        if (!dBias.IsEmpty && dBias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DWinograd.BackwardWeight: dBias needs {g.OutChannels} values (one per output channel), got {dBias.Length}.");
        RunBackward(g, input, dOutput, default, default, default, dWeight, dBias, weights: true, inputs: false);
    }

    /// <summary>
    /// <see cref="BackwardWeight"/> and <see cref="BackwardInput"/> in one pass: each thread
    /// takes a range of images and, image by image, gates dOutput by the rectified output (when
    /// given) into its own buffer, transforms its blocks once for both gradients, and runs
    /// both while they are in cache. The same results as the two calls.
    /// </summary>
    public void Backward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> rectifiedOutput,
        ReadOnlySpan<float> weight, Span<float> dInput, Span<float> dWeight, Span<float> dBias)
    {
        Require(Conv2DPass.Backward, g);
        Check(g, nameof(Backward), input.Length, "input", g.InputLength, weight.Length, dOutput.Length, "dOutput", g.OutputLength);
        Check(g, nameof(Backward), dInput.Length, "dInput", g.InputLength, dWeight.Length, rectifiedOutput.IsEmpty ? g.OutputLength : rectifiedOutput.Length,
            "rectified output", g.OutputLength);
        if (!dBias.IsEmpty && dBias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DWinograd.Backward: dBias needs {g.OutChannels} values (one per output channel), got {dBias.Length}.");
        RunBackward(g, input, dOutput, rectifiedOutput, weight, dInput, dWeight, dBias, weights: true, inputs: true);
    }

    private unsafe void RunBackward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> rectifiedOutput,
        ReadOnlySpan<float> weight, Span<float> dInput, Span<float> dWeight, Span<float> dBias, bool weights, bool inputs)
    {
        var plan = PlanFor(g, backward: true);
        // Whole images per thread: the input gradient adds overlapping patches into dInput.
        int parts = Math.Min(plan.Threads, g.Batch);
        int length = plan.BackwardLength(g);
        Reserve(parts, length + (rectifiedOutput.IsEmpty ? 0 : g.OutChannels * g.OutH * g.OutW));
        if (weights) PartialSums.Prepare(ref partialSums, parts, Positions * g.OutChannels * g.InChannels + g.OutChannels);
        var transposed = inputs ? transposedWeights.Get(weight, g.OutChannels, g.InChannels, plan.TileRows) : [];
        fixed (float* x = input, dy = dOutput, gate = rectifiedOutput, u = transposed, dx = dInput)
            ParallelParts.Run(parts, parts, new BackwardJob(this, g, plan, parts, weights ? x : null, dy,
                rectifiedOutput.IsEmpty ? null : gate, inputs ? u : null, inputs ? dx : null, length));
        if (weights) AddWeightGradient(g, parts, dWeight, dBias);
    }

    /// <summary>
    /// The gradients for a contiguous range of images: the weight gradient when <c>x</c> (the
    /// input) is given, the input gradient when <c>dx</c> is.
    /// </summary>
    private readonly unsafe struct BackwardJob(Conv2DWinograd kernel, Conv2DGeometry g, Plan plan, int parts,
        float* x, float* dy, float* gate, float* u, float* dx, int gatedOffset) : IParallelPart
    {
        public void Run(int part)
        {
            int first = (int)((long)g.Batch * part / parts), last = (int)((long)g.Batch * (part + 1) / parts);
            float* own = kernel.Scratch(part, withSums: x is not null, out float* sums);
            float* gated = own + gatedOffset;
            int c = g.InChannels, k = g.OutChannels, nr = plan.TileColumns, mr = plan.TileRows;
            long inputImage = (long)c * g.InH * g.InW, outputImage = (long)k * g.OutH * g.OutW;
            float* padded = own;
            float* v = padded + plan.PaddedLength(g);
            float* w = v + plan.TransformedLength(g);
            float* products = w + plan.GradientLength(g);
            float* flat = products + plan.ProductLength;
            var job = new Job(kernel, g, plan, parts, x, u, null, dy, Output.Plain);
            for (int n = first; n < last; n++)
            {
                float* d = dy + n * outputImage;
                if (gate is not null)
                {
                    Gate(d, gate + n * outputImage, gated, outputImage);
                    d = gated;
                }
                if (dx is not null) new Span<float>(dx + n * inputImage, (int)inputImage).Clear(); // patches are added in
                for (int row0 = 0; row0 < plan.TilesH; row0 += plan.RowsPerUnit)
                {
                    int row1 = Math.Min(plan.TilesH, row0 + plan.RowsPerUnit);
                    int tiles = (row1 - row0) * plan.TilesW, panels = (tiles + nr - 1) / nr;
                    long wPlane = (long)panels * k * nr + Skew; // floats per position
                    long flatPlane = (long)k * tiles + Skew;
                    job.TransformGradient(dx is null ? null : w, d, row0, row1, nr, wPlane, x is null ? null : flat, flatPlane);
                    if (x is not null)
                    {
                        // The weight gradient on plain operands: V[ξ][c, t] and W[ξ][k, t], summed over the unit's tiles.
                        long vPlane = (long)c * tiles + Skew;
                        job.Pad(x + n * inputImage, padded, row0, row1);
                        job.TransformInput(padded, v, row0, row1, tiles, vPlane);
                        for (int position = 0; position < Positions; position++)
                            kernel.gemm.Multiply(false, true, k, c, tiles,
                                new ReadOnlySpan<float>(flat + position * flatPlane, k * tiles),
                                new ReadOnlySpan<float>(v + position * vPlane, c * tiles),
                                new Span<float>(sums + (long)position * k * c, k * c), accumulate: true);
                        float* biasSums = sums + (long)Positions * k * c;
                        int rows = Math.Min(g.OutH, 2 * row1) - 2 * row0;
                        for (int ch = 0; ch < k; ch++)
                            biasSums[ch] += System.Numerics.Tensors.TensorPrimitives.Sum<float>(
                                new ReadOnlySpan<float>(d + ((long)ch * g.OutH + 2 * row0) * g.OutW, rows * g.OutW));
                    }
                    if (dx is not null)
                    {
                        // dV[ξ][c, t] = Σ_k U[ξ][k, c] · W[ξ][k, t].
                        int stride = panels * nr;
                        long pPlane = (long)plan.RowPanels * mr * stride + Skew;
                        job.MultiplyPositions(u, k, w, wPlane, panels, products, pPlane);
                        job.AddPatches(products, dx + n * inputImage, row0, row1, stride, pPlane);
                    }
                }
            }
        }

        // The ReLU's backward pass: dOutput where the rectified output is positive (times 0 elsewhere, as ReLU.Gate).
        private static void Gate(float* d, float* output, float* gated, long length)
        {
            var zero = Vector512<float>.Zero;
            long i = 0;
            for (; i + Lanes <= length; i += Lanes)
            {
                var values = Vector512.Load(d + i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(output + i), zero), values, values * 0f).Store(gated + i);
            }
            for (; i < length; i++) gated[i] = output[i] > 0 ? d[i] : d[i] * 0f;
        }
    }

    /// <summary>
    /// The parts' sums added in part order, then each filter's 4x4 sums turned back to 3x3
    /// (in double, rounded once) and added to dWeight; the bias sums to dBias.
    /// </summary>
    private void AddWeightGradient(in Conv2DGeometry g, int parts, Span<float> dWeight, Span<float> dBias)
    {
        int sums = Positions * g.OutChannels * g.InChannels;
        var total = partialSums[0].AsSpan(0, sums + g.OutChannels);
        for (int part = 1; part < parts; part++)
            System.Numerics.Tensors.TensorPrimitives.Add(total, partialSums[part].AsSpan(0, total.Length), total);
        int plane = g.OutChannels * g.InChannels;
        Span<double> half = stackalloc double[12];
        for (int filter = 0; filter < plane; filter++)
        {
            // Gᵀ P: 3 x 4.
            for (int col = 0; col < 4; col++)
            {
                double p0 = total[col * plane + filter], p1 = total[(4 + col) * plane + filter];
                double p2 = total[(8 + col) * plane + filter], p3 = total[(12 + col) * plane + filter];
                half[col] = p0 + 0.5 * (p1 + p2);
                half[4 + col] = 0.5 * (p1 - p2);
                half[8 + col] = 0.5 * (p1 + p2) + p3;
            }
            // (Gᵀ P) G: 3 x 3.
            var target = dWeight.Slice(filter * 9, 9);
            for (int row = 0; row < 3; row++)
            {
                double h0 = half[row * 4], h1 = half[row * 4 + 1], h2 = half[row * 4 + 2], h3 = half[row * 4 + 3];
                target[row * 3] += (float)(h0 + 0.5 * (h1 + h2));
                target[row * 3 + 1] += (float)(0.5 * (h1 - h2));
                target[row * 3 + 2] += (float)(0.5 * (h1 + h2) + h3);
            }
        }
        if (!dBias.IsEmpty)
            System.Numerics.Tensors.TensorPrimitives.Add(dBias[..g.OutChannels], total.Slice(sums, g.OutChannels), dBias[..g.OutChannels]);
    }

    private unsafe void RunForward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, Output mode)
    {
        Require(mode == Output.RectifiedPooled ? Conv2DPass.ForwardPooled : Conv2DPass.Forward, g);
        int expected = mode == Output.RectifiedPooled ? g.OutputLength / 4 : g.OutputLength;
        string pass = mode switch
        {
            Output.Plain => nameof(Forward),
            Output.Rectified => nameof(ForwardRectified),
            _ => nameof(ForwardRectifiedPooled),
        };
        Check(g, pass, input.Length, "input", g.InputLength, weight.Length, output.Length, "output", expected);
        if (!bias.IsEmpty && bias.Length < g.OutChannels)
            throw new ArgumentException($"Conv2DWinograd.{pass}: bias needs {g.OutChannels} values (one per output channel), got {bias.Length}.");
        var plan = PlanFor(g);
        var transformed = forwardWeights.Get(weight, g.OutChannels, g.InChannels, plan.TileRows);
        fixed (float* x = input, u = transformed, b = bias, y = output)
            Run(g, plan, x, u, bias.IsEmpty ? null : b, y, mode);
    }

    private static void Check(in Conv2DGeometry g, string pass, int firstLength, string firstName, int firstExpected,
        int weightLength, int lastLength, string lastName, int lastExpected)
    {
        if (firstLength < firstExpected || weightLength < g.WeightLength || lastLength < lastExpected)
            throw new ArgumentException($"Conv2DWinograd.{pass}: expected {firstName} of {firstExpected}, weight of {g.WeightLength} " +
                $"and {lastName} of {lastExpected} values; got {firstLength}, {weightLength} and {lastLength}.");
    }

    /// <summary>
    /// U[ξ][o, i] = (G g Gᵀ)[ξ] for the filter g = weight[o, i] (o an output channel, i an input
    /// channel), or for the input gradient (transposed) U[ξ][i, o]. Computed in double, rounded
    /// once, and stored as the multiply's packed A panels: for each ξ and each tileRows rows,
    /// <c>[column][row % tileRows]</c>, zero past the last row. The weights it was made from are
    /// kept, and an unchanged weight tensor (inference, or every pass after the first of a training
    /// step) is not transformed again.
    /// </summary>
    private sealed class TransformedWeights(bool transposed)
    {
        private float[] values = [], source = [];
        private int k = -1, c = -1, tileRows = -1;

        public float[] Get(ReadOnlySpan<float> weight, int k, int c, int tileRows)
        {
            int length = k * c * 9;
            weight = weight[..length];
            if (k == this.k && c == this.c && tileRows == this.tileRows
                && MemoryMarshal.AsBytes(weight).SequenceEqual(MemoryMarshal.AsBytes(source.AsSpan(0, length))))
                return values;
            if (source.Length < length) source = new float[length];
            weight.CopyTo(source);
            (this.k, this.c, this.tileRows) = (k, c, tileRows);
            Transform(weight, k, c, tileRows);
            return values;
        }

        private void Transform(ReadOnlySpan<float> weight, int k, int c, int tileRows)
        {
            int rows = transposed ? c : k, columns = transposed ? k : c;
            int panels = (rows + tileRows - 1) / tileRows;
            int panel = tileRows * columns, position = panels * panel;
            int length = Positions * position;
            if (values.Length < length) values = GC.AllocateUninitializedArray<float>(length, pinned: true);
            var u = values.AsSpan(0, length);
            u.Clear();
            for (int o = 0; o < rows; o++)
            for (int i = 0; i < columns; i++)
            {
                var f = weight.Slice((transposed ? i * c + o : o * c + i) * 9, 9);
                double g00 = f[0], g01 = f[1], g02 = f[2], g10 = f[3], g11 = f[4], g12 = f[5], g20 = f[6], g21 = f[7], g22 = f[8];
                // G g: 4 x 3, by columns.
                double a0 = g00, b0 = 0.5 * (g00 + g10 + g20), c0 = 0.5 * (g00 - g10 + g20), d0 = g20;
                double a1 = g01, b1 = 0.5 * (g01 + g11 + g21), c1 = 0.5 * (g01 - g11 + g21), d1 = g21;
                double a2 = g02, b2 = 0.5 * (g02 + g12 + g22), c2 = 0.5 * (g02 - g12 + g22), d2 = g22;
                // (G g) Gᵀ: 4 x 4, row by row.
                int at = o / tileRows * panel + i * tileRows + o % tileRows;
                Row(u, at, position, a0, a1, a2);
                Row(u, at + 4 * position, position, b0, b1, b2);
                Row(u, at + 8 * position, position, c0, c1, c2);
                Row(u, at + 12 * position, position, d0, d1, d2);
            }
        }

        private static void Row(Span<float> u, int at, int position, double h0, double h1, double h2)
        {
            u[at] = (float)h0;
            u[at + position] = (float)(0.5 * (h0 + h1 + h2));
            u[at + 2 * position] = (float)(0.5 * (h0 - h1 + h2));
            u[at + 3 * position] = (float)h2;
        }
    }

    private enum Output { Plain, Rectified, RectifiedPooled }

    /// <summary>
    /// The cut of one pass into units (whole tile rows of one image) and the layout of a unit's
    /// scratch: the zero-bordered input rows, the transformed tiles as the multiply's packed B
    /// panels (<c>[ξ][tile / nr][c][tile % nr]</c>, nr the tile's columns), and the products <c>[ξ][k][tile]</c>,
    /// with channels padded to whole tile rows and tiles to whole panels of the multiply's tile
    /// (12 x 32 or 8 x 48, whichever pads a unit's multiplies less). For the backward passes
    /// (<c>backward</c>) the multiply producing values per tile is the input gradient's, whose
    /// rows are input channels; the transformed dOutput blocks take the same panels.
    /// </summary>
    private readonly struct Plan
    {
        public readonly int TilesH, TilesW, RowsPerUnit, UnitsPerImage, Units, PaddedWidth, PaddedRows;
        public readonly int TileRows, TileColumns, RowPanels, TilePanels, Threads;

        public Plan(in Conv2DGeometry g, int threads, bool backward)
        {
            Threads = threads;
            TilesH = (g.OutH + 1) / 2;
            TilesW = (g.OutW + 1) / 2;
            int perTile = Positions * (g.InChannels + g.OutChannels + (backward ? g.InChannels : 0));
            RowsPerUnit = Math.Clamp(UnitBudget / (perTile * TilesW), 1, TilesH);
            // A batch smaller than the thread count: cut the images so every thread has work.
            if (g.Batch < threads) RowsPerUnit = Math.Min(RowsPerUnit, (TilesH + threads - 1) / threads);
            UnitsPerImage = (TilesH + RowsPerUnit - 1) / RowsPerUnit;
            Units = g.Batch * UnitsPerImage;
            // A vector of 16 tiles reads 2 * 16 + 2 columns from its first tile's.
            PaddedWidth = 2 * Math.Max(TilesW, Lanes) + 2;
            PaddedRows = 2 * RowsPerUnit + 2;
            int rows = backward ? g.InChannels : g.OutChannels;
            (TileRows, TileColumns) = Gemm.TileFor(rows, RowsPerUnit * TilesW);
            RowPanels = (rows + TileRows - 1) / TileRows;
            TilePanels = (RowsPerUnit * TilesW + TileColumns - 1) / TileColumns;
        }

        public int PaddedLength(in Conv2DGeometry g) => g.InChannels * PaddedRows * PaddedWidth;

        public int TransformedLength(in Conv2DGeometry g) => Positions * (TilePanels * g.InChannels * TileColumns + Skew);

        // Products; plus a vector's slack: the output transform reads 16 tiles from the last row's first.
        public int ProductLength => Positions * (RowPanels * TileRows * TilePanels * TileColumns + Skew) + Lanes;

        // Transformed dOutput blocks (backward).
        public int GradientLength(in Conv2DGeometry g) => Positions * (TilePanels * g.OutChannels * TileColumns + Skew);

        public int ForwardLength(in Conv2DGeometry g) => PaddedLength(g) + TransformedLength(g) + ProductLength;

        public int BackwardLength(in Conv2DGeometry g) => PaddedLength(g) + TransformedLength(g) + 2 * GradientLength(g) + ProductLength;
    }

    // Scratch of at least `length` floats for each part, allocated zeroed (padding tiles stay finite).
    private void Reserve(int parts, int length)
    {
        if (scratch.Length < parts) Array.Resize(ref scratch, parts);
        for (int part = 0; part < parts; part++)
            if (scratch[part] is null || scratch[part].Length < length)
                scratch[part] = GC.AllocateArray<float>(length, pinned: true);
    }

    private Plan PlanFor(in Conv2DGeometry g, bool backward = false)
    {
        long work = (long)g.Batch * g.OutChannels * g.InChannels * 9 * g.OutH * g.OutW;
        return new Plan(g, work < ParallelThreshold ? 1 : maxThreads, backward);
    }

    private unsafe void Run(in Conv2DGeometry g, in Plan plan, float* x, float* u, float* bias, float* y, Output mode)
    {
        int parts = Math.Min(plan.Threads, plan.Units);
        Reserve(parts, plan.ForwardLength(g));
        ParallelParts.Run(parts, parts, new Job(this, g, plan, parts, x, u, bias, y, mode));
    }

    // A part's scratch and, for the weight gradient, its partial sums (pinned: the addresses
    // stay valid after the fixed blocks).
    private unsafe float* Scratch(int part, bool withSums, out float* sums)
    {
        float* own;
        sums = null;
        fixed (float* s = scratch[part]) own = s;
        if (withSums)
            fixed (float* s = partialSums[part]) sums = s;
        return own;
    }

    private readonly unsafe struct Job(Conv2DWinograd kernel, Conv2DGeometry g, Plan plan, int parts,
        float* x, float* u, float* bias, float* y, Output mode) : IParallelPart
    {
        public void Run(int part)
        {
            int first = (int)((long)plan.Units * part / parts), last = (int)((long)plan.Units * (part + 1) / parts);
            float* own = kernel.Scratch(part, withSums: false, out _);
            long inputImage = (long)g.InChannels * g.InH * g.InW;
            long outputImage = (long)g.OutChannels * (mode == Output.RectifiedPooled ? plan.TilesH * plan.TilesW : g.OutH * g.OutW);
            for (int unit = first; unit < last; unit++)
            {
                int n = unit / plan.UnitsPerImage;
                int row0 = unit % plan.UnitsPerImage * plan.RowsPerUnit;
                Unit(own, x + n * inputImage, y + n * outputImage, row0);
            }
        }

        /// <summary>The unit of tile rows from <paramref name="row0"/> of one image, from its input to its output.</summary>
        private void Unit(float* own, float* input, float* output, int row0)
        {
            int row1 = Math.Min(plan.TilesH, row0 + plan.RowsPerUnit);
            float* padded = own;
            float* v = padded + plan.PaddedLength(g);
            float* m = v + plan.TransformedLength(g);
            Pad(input, padded, row0, row1);
            ForwardUnit(padded, v, m, output, row0, row1);
        }

        private void ForwardUnit(float* padded, float* v, float* m, float* output, int row0, int row1)
        {
            int c = g.InChannels, mr = plan.TileRows, nr = plan.TileColumns;
            int panels = ((row1 - row0) * plan.TilesW + nr - 1) / nr;
            int stride = panels * nr; // products per channel row
            long vPlane = (long)panels * c * nr + Skew, mPlane = (long)plan.RowPanels * mr * stride + Skew; // floats per position
            TransformInput(padded, v, row0, row1, nr, vPlane);
            MultiplyPositions(u, c, v, vPlane, panels, m, mPlane);
            TransformOutput(m, output, row0, row1, stride, mPlane);
        }

        /// <summary>
        /// The 16 multiplies of a unit, tile by tile on packed operands: for each position ξ,
        /// products[ξ][row, t] = Σ_p a[ξ][row, p] · b[ξ][p, t] over <paramref name="depth"/> values
        /// of p, with a the transformed weights (<see cref="TransformedWeights"/> panels) and b
        /// in panels of the plan's tile columns.
        /// </summary>
        public void MultiplyPositions(float* a, int depth, float* b, long bPlane, int panels, float* products, long productPlane)
        {
            int mr = plan.TileRows, nr = plan.TileColumns, stride = panels * nr;
            for (int position = 0; position < Positions; position++)
            {
                float* weights = a + (long)position * plan.RowPanels * mr * depth;
                float* tiles = b + position * bPlane;
                float* product = products + position * productPlane;
                for (int rowPanel = 0; rowPanel < plan.RowPanels; rowPanel++)
                for (int panel = 0; panel < panels; panel++)
                    Gemm.MultiplyTile(mr, depth, weights + (long)rowPanel * mr * depth, tiles + (long)panel * depth * nr,
                        product + (long)rowPanel * mr * stride + panel * nr, stride, accumulate: false);
            }
        }

        /// <summary>
        /// w = (A y Aᵀ)[ξ] for the 2x2 block y of dOutput under each tile t of the unit (0 past
        /// the bottom and right edges; <c>A y Aᵀ</c> spreads the block over the 4x4 points of the
        /// input transform), in the panels of <see cref="TransformInput"/>:
        /// <c>[ξ][t / nr][k][t % nr]</c>, 16 tiles of a row at a time. The last panel's columns
        /// past the unit's tiles are set to 0. With <paramref name="plain"/> given, the same values
        /// are also (or, with <paramref name="w"/> null, only) stored there as <c>[ξ][k][t]</c>
        /// (the weight gradient's operand).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TransformGradient(float* w, float* dOutput, int row0, int row1, int nr, long plane, float* plain, long plainPlane)
        {
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var odd = even + Vector512<int>.One;
            var indices = Vector512<int>.Indices;
            int tilesW = plan.TilesW, outH = g.OutH, outW = g.OutW, count = Math.Min(tilesW, Lanes), k = g.OutChannels;
            long panel = (long)k * nr; // floats per panel
            for (int ch = 0; ch < k; ch++)
            {
                float* plane0 = dOutput + (long)ch * outH * outW;
                for (int row = row0; row < row1; row++)
                for (int tile = 0; tile < tilesW; tile += Lanes)
                {
                    int at = tilesW >= Lanes ? Math.Min(tile, tilesW - Lanes) : 0;
                    // The 32 columns from 2 * at of the block's two rows; past the edges, zeros.
                    int columns = outW - 2 * at;
                    var low = Vector512.LessThan(indices, Vector512.Create(columns)).AsSingle();
                    var high = Vector512.LessThan(indices, Vector512.Create(columns - Lanes)).AsSingle();
                    float* top = plane0 + (long)2 * row * outW + 2 * at;
                    var a0 = Avx512F.MaskLoad(top, low, Vector512<float>.Zero);
                    var a1 = Avx512F.MaskLoad(top + Lanes, high, Vector512<float>.Zero);
                    Vector512<float> b0 = default, b1 = default;
                    if (2 * row + 1 < outH)
                    {
                        b0 = Avx512F.MaskLoad(top + outW, low, Vector512<float>.Zero);
                        b1 = Avx512F.MaskLoad(top + outW + Lanes, high, Vector512<float>.Zero);
                    }
                    var y00 = Avx512F.PermuteVar16x32x2(a0, even, a1); var y01 = Avx512F.PermuteVar16x32x2(a0, odd, a1);
                    var y10 = Avx512F.PermuteVar16x32x2(b0, even, b1); var y11 = Avx512F.PermuteVar16x32x2(b0, odd, b1);
                    // y Aᵀ: each row's two values spread over four.
                    var u00 = y00; var u01 = y00 + y01; var u02 = y00 - y01; var u03 = -y01;
                    var u10 = y10; var u11 = y10 + y11; var u12 = y10 - y11; var u13 = -y11;
                    // A (y Aᵀ): the two rows spread over four, stored by position.
                    int t = (row - row0) * tilesW + at, offset = t % nr, split = Math.Min(count, nr - offset);
                    var firstMask = Vector512.LessThan(indices, Vector512.Create(split)).AsSingle();
                    var secondMask = Vector512.LessThan(indices, Vector512.Create(count)).AsSingle() & ~firstMask;
                    float* s = w + t / nr * panel + ch * nr + offset;
                    if (w is not null)
                    {
                        var tiles = new Tiles(s, s + panel - nr, plane, firstMask, secondMask, split == Lanes);
                        tiles.Store(0, u00); tiles.Store(1, u01); tiles.Store(2, u02); tiles.Store(3, u03);
                        tiles.Store(4, u00 + u10); tiles.Store(5, u01 + u11); tiles.Store(6, u02 + u12); tiles.Store(7, u03 + u13);
                        tiles.Store(8, u00 - u10); tiles.Store(9, u01 - u11); tiles.Store(10, u02 - u12); tiles.Store(11, u03 - u13);
                        tiles.Store(12, -u10); tiles.Store(13, -u11); tiles.Store(14, -u12); tiles.Store(15, -u13);
                    }
                    if (plain is null) continue;
                    var rowMask = Vector512.LessThan(indices, Vector512.Create(count)).AsSingle();
                    var flat = new Tiles(plain + (long)ch * (row1 - row0) * tilesW + t, null, plainPlane, rowMask, default, count == Lanes);
                    flat.Store(0, u00); flat.Store(1, u01); flat.Store(2, u02); flat.Store(3, u03);
                    flat.Store(4, u00 + u10); flat.Store(5, u01 + u11); flat.Store(6, u02 + u12); flat.Store(7, u03 + u13);
                    flat.Store(8, u00 - u10); flat.Store(9, u01 - u11); flat.Store(10, u02 - u12); flat.Store(11, u03 - u13);
                    flat.Store(12, -u10); flat.Store(13, -u11); flat.Store(14, -u12); flat.Store(15, -u13);
                }
            }
            if (w is not null) ClearTail(w, plane, k, (row1 - row0) * tilesW, nr);
        }

        // Zeros the columns past `tiles` in the last panel of each position's `rows` rows.
        public static void ClearTail(float* buffer, long plane, int rows, int tiles, int nr)
        {
            int used = tiles % nr;
            if (used == 0) return;
            float* last = buffer + (long)(tiles / nr) * rows * nr + used;
            for (int position = 0; position < Positions; position++)
            for (int row = 0; row < rows; row++)
                new Span<float>(last + position * plane + (long)row * nr, nr - used).Clear();
        }

        /// <summary>
        /// The input gradient's output transform: for each tile and input channel, the 4x4 patch
        /// <c>B dV Bᵀ</c> of the products, added to dInput where the forward pass read the patch
        /// (rows 2 * row - padTop + r, columns 2 * tile - padLeft + j; outside the image, dropped).
        /// Patches of neighbouring tiles overlap by two columns (summed in registers, the two
        /// columns past a full vector added separately) and by two rows (added in memory, tile
        /// rows in order), so every sum is in a fixed order.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void AddPatches(float* products, float* dInput, int row0, int row1, int stride, long plane)
        {
            var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            var high = low + Vector512.Create(8);
            var up = Vector512.Create(16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14); // lane l - 1 into lane l, 0 into lane 0
            var indices = Vector512<int>.Indices;
            int tilesW = plan.TilesW, inH = g.InH, inW = g.InW;
            var zero = Vector512<float>.Zero;
            for (int ch = 0; ch < g.InChannels; ch++)
            {
                float* image = dInput + (long)ch * inH * inW;
                for (int row = row0; row < row1; row++)
                for (int tile = 0; tile < tilesW; tile += Lanes)
                {
                    int count = Math.Min(Lanes, tilesW - tile);
                    var lanes = Vector512.LessThan(indices, Vector512.Create(count)).AsSingle();
                    float* s = products + (long)ch * stride + (row - row0) * tilesW + tile;
                    var m00 = Load(s, lanes); var m01 = Load(s + plane, lanes); var m02 = Load(s + 2 * plane, lanes); var m03 = Load(s + 3 * plane, lanes);
                    s += 4 * plane;
                    var m10 = Load(s, lanes); var m11 = Load(s + plane, lanes); var m12 = Load(s + 2 * plane, lanes); var m13 = Load(s + 3 * plane, lanes);
                    s += 4 * plane;
                    var m20 = Load(s, lanes); var m21 = Load(s + plane, lanes); var m22 = Load(s + 2 * plane, lanes); var m23 = Load(s + 3 * plane, lanes);
                    s += 4 * plane;
                    var m30 = Load(s, lanes); var m31 = Load(s + plane, lanes); var m32 = Load(s + 2 * plane, lanes); var m33 = Load(s + 3 * plane, lanes);
                    // B m: rows combined.
                    var x00 = m00; var x01 = m01; var x02 = m02; var x03 = m03;
                    var x10 = m10 - m20 + m30; var x11 = m11 - m21 + m31; var x12 = m12 - m22 + m32; var x13 = m13 - m23 + m33;
                    var x20 = m10 + m20 - m00; var x21 = m11 + m21 - m01; var x22 = m12 + m22 - m02; var x23 = m13 + m23 - m03;
                    var x30 = -m30; var x31 = -m31; var x32 = -m32; var x33 = -m33;
                    int column = 2 * tile - g.PadLeft, top = 2 * row - g.PadTop;
                    AddRow(image, top, column, x00, x01, x02, x03, low, high, up, count);
                    AddRow(image, top + 1, column, x10, x11, x12, x13, low, high, up, count);
                    AddRow(image, top + 2, column, x20, x21, x22, x23, low, high, up, count);
                    AddRow(image, top + 3, column, x30, x31, x32, x33, low, high, up, count);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Load(float* source, Vector512<float> lanes) => Avx512F.MaskLoad(source, lanes, Vector512<float>.Zero);

        // One patch row of 16 tiles, (x B)ᵀ-combined: columns z0..z3 of each tile, the tiles 2 apart.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void AddRow(float* image, int row, int column, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3,
            Vector512<int> low, Vector512<int> high, Vector512<int> up, int count)
        {
            if (row < 0 || row >= g.InH) return;
            // (x) Bᵀ: columns combined.
            var z0 = x0; var z1 = x1 - x2 + x3; var z2 = x1 + x2 - x0; var z3 = -x3;
            // Column 2l takes z0 of tile l and z2 of tile l - 1; column 2l + 1, z1 and z3.
            var zero = Vector512<float>.Zero;
            var even = z0 + Avx512F.PermuteVar16x32x2(z2, up, zero);
            var odd = z1 + Avx512F.PermuteVar16x32x2(z3, up, zero);
            float* target = image + (long)row * g.InW;
            AddColumns(target, column, Avx512F.PermuteVar16x32x2(even, low, odd), g.InW);
            AddColumns(target, column + Lanes, Avx512F.PermuteVar16x32x2(even, high, odd), g.InW);
            if (count == Lanes)
            {
                // The last tile's two right columns, past the 32.
                int last = column + 2 * Lanes;
                if (last >= 0 && last < g.InW) target[last] += z2.GetElement(Lanes - 1);
                if (last + 1 >= 0 && last + 1 < g.InW) target[last + 1] += z3.GetElement(Lanes - 1);
            }
        }

        // target[column + i] += values[i] for the columns inside [0, width).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddColumns(float* target, int column, Vector512<float> values, int width)
        {
            var at = Vector512<int>.Indices + Vector512.Create(column);
            var inside = (Vector512.GreaterThanOrEqual(at, Vector512<int>.Zero) & Vector512.LessThan(at, Vector512.Create(width))).AsSingle();
            float* p = target + column;
            Avx512F.MaskStore(p, inside, Avx512F.MaskLoad(p, inside, Vector512<float>.Zero) + values);
        }

        /// <summary>
        /// Copies the input rows under tile rows [row0, row1) of one image into a zero-bordered
        /// buffer: padded[ch, r, col] = input[ch, 2 * row0 - padTop + r, col - padLeft], 0 outside.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Pad(float* image, float* padded, int row0, int row1)
        {
            int width = plan.PaddedWidth, rows = 2 * (row1 - row0) + 2, left = g.PadLeft, inW = g.InW;
            var indices = Vector512<int>.Indices;
            for (int ch = 0; ch < g.InChannels; ch++)
            for (int r = 0; r < rows; r++)
            {
                float* target = padded + ((long)ch * plan.PaddedRows + r) * width;
                int source = 2 * row0 - g.PadTop + r;
                if (source < 0 || source >= g.InH)
                {
                    new Span<float>(target, width).Clear();
                    continue;
                }
                // 16 columns at a time: the input where it lies under the row, zeros around it.
                float* from = image + ((long)ch * g.InH + source) * inW - left;
                for (int j = 0; j < width; j += Lanes)
                {
                    var column = indices + Vector512.Create(j);
                    var inside = Vector512.GreaterThanOrEqual(column, Vector512.Create(left)) & Vector512.LessThan(column, Vector512.Create(left + inW));
                    var values = Avx512F.MaskLoad(from + j, inside.AsSingle(), Vector512<float>.Zero);
                    if (j + Lanes <= width) values.Store(target + j);
                    else Avx512F.MaskStore(target + j, Vector512.LessThan(column, Vector512.Create(width)).AsSingle(), values);
                }
            }
        }

        /// <summary>
        /// v = (Bᵀ d B)[ξ] for each tile t of the unit (numbered row-major over its tile rows),
        /// stored at <c>[ξ][t / nr][ch][t % nr]</c> (panels of <paramref name="nr"/> tiles; with
        /// nr the unit's tile count, plainly <c>[ξ][ch][t]</c>), 16 tiles of a row at a time: a row narrower
        /// than 16 tiles is stored under a mask, a wider one ends with a vector placed to end at
        /// the row's end (overlapping the one before, which writes the same values twice), and
        /// a vector crossing into the next panel is stored in two masked parts.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TransformInput(float* padded, float* v, int row0, int row1, int nr, long plane)
        {
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var odd = even + Vector512<int>.One;
            int tilesW = plan.TilesW, width = plan.PaddedWidth, count = Math.Min(tilesW, Lanes);
            long panel = (long)g.InChannels * nr; // floats per panel
            var indices = Vector512<int>.Indices;
            // Channel by channel: consecutive tile rows reuse two of their four input rows, and
            // store into the same panel lines.
            for (int ch = 0; ch < g.InChannels; ch++)
            for (int row = row0; row < row1; row++)
            for (int tile = 0; tile < tilesW; tile += Lanes)
            {
                int at = tilesW >= Lanes ? Math.Min(tile, tilesW - Lanes) : 0;
                int t = (row - row0) * tilesW + at, offset = t % nr;
                // Lanes [0, split) go to panel t / nr from offset, lanes [split, count) to the next from 0.
                int split = Math.Min(count, nr - offset);
                var firstMask = Vector512.LessThan(indices, Vector512.Create(split)).AsSingle();
                var secondMask = Vector512.LessThan(indices, Vector512.Create(count)).AsSingle() & ~firstMask;
                float* p = padded + ((long)ch * plan.PaddedRows + 2 * (row - row0)) * width + 2 * at;
                // d[i, j] for 16 tiles: row i of each patch, column j.
                Row(p, even, odd, out var d00, out var d01, out var d02, out var d03);
                Row(p + width, even, odd, out var d10, out var d11, out var d12, out var d13);
                Row(p + 2 * width, even, odd, out var d20, out var d21, out var d22, out var d23);
                Row(p + 3 * width, even, odd, out var d30, out var d31, out var d32, out var d33);
                // Bᵀ d: rows combined.
                var t00 = d00 - d20; var t01 = d01 - d21; var t02 = d02 - d22; var t03 = d03 - d23;
                var t10 = d10 + d20; var t11 = d11 + d21; var t12 = d12 + d22; var t13 = d13 + d23;
                var t20 = d20 - d10; var t21 = d21 - d11; var t22 = d22 - d12; var t23 = d23 - d13;
                var t30 = d10 - d30; var t31 = d11 - d31; var t32 = d12 - d32; var t33 = d13 - d33;
                // (Bᵀ d) B: columns combined, stored by position.
                float* s = v + t / nr * panel + ch * nr + offset;
                float* next = s + panel - nr; // lane l of the second part lands at l - nr + offset in the next panel
                var tiles = new Tiles(s, next, plane, firstMask, secondMask, split == Lanes);
                tiles.Store(0, t00 - t02); tiles.Store(1, t01 + t02); tiles.Store(2, t02 - t01); tiles.Store(3, t01 - t03);
                tiles.Store(4, t10 - t12); tiles.Store(5, t11 + t12); tiles.Store(6, t12 - t11); tiles.Store(7, t11 - t13);
                tiles.Store(8, t20 - t22); tiles.Store(9, t21 + t22); tiles.Store(10, t22 - t21); tiles.Store(11, t21 - t23);
                tiles.Store(12, t30 - t32); tiles.Store(13, t31 + t32); tiles.Store(14, t32 - t31); tiles.Store(15, t31 - t33);
            }
        }

        /// <summary>Where one vector of 16 transformed tiles goes, for each position ξ.</summary>
        private readonly ref struct Tiles(float* first, float* second, long plane,
            Vector512<float> firstMask, Vector512<float> secondMask, bool whole)
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Store(int position, Vector512<float> value)
            {
                if (whole)
                {
                    value.Store(first + position * plane);
                    return;
                }
                Avx512F.MaskStore(first + position * plane, firstMask, value);
                if (second is not null) Avx512F.MaskStore(second + position * plane, secondMask, value);
            }
        }

        // Columns 2t, 2t + 1, 2t + 2, 2t + 3 of one padded row for the 16 tiles t from p.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row(float* p, Vector512<int> even, Vector512<int> odd,
            out Vector512<float> d0, out Vector512<float> d1, out Vector512<float> d2, out Vector512<float> d3)
        {
            var lo = Vector512.Load(p);
            var hi = Vector512.Load(p + Lanes);
            d0 = Avx512F.PermuteVar16x32x2(lo, even, hi);
            d1 = Avx512F.PermuteVar16x32x2(lo, odd, hi);
            var lo2 = Vector512.Load(p + 2);
            var hi2 = Vector512.Load(p + 2 + Lanes);
            d2 = Avx512F.PermuteVar16x32x2(lo2, even, hi2);
            d3 = Avx512F.PermuteVar16x32x2(lo2, odd, hi2);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(float* target, Vector512<float> value, Vector512<float> mask, int tilesW)
        {
            if (tilesW >= Lanes) value.Store(target);
            else Avx512F.MaskStore(target, mask, value);
        }

        /// <summary>
        /// Y = Aᵀ m A for each tile and output channel, plus the bias; then written as it is,
        /// rectified, or rectified and pooled to one value per tile. The 2 x 2 outputs of 16
        /// tiles are interleaved back into two rows of 32 columns, stored under a mask at the
        /// right edge and skipped below the bottom edge.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void TransformOutput(float* m, float* output, int row0, int row1, int stride, long plane)
        {
            var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            var high = low + Vector512.Create(8);
            int tilesW = plan.TilesW, outH = g.OutH, outW = g.OutW;
            bool pooled = mode == Output.RectifiedPooled, rectify = mode != Output.Plain;
            var tileMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(tilesW)).AsSingle();
            for (int ch = 0; ch < g.OutChannels; ch++)
            {
                var b = Vector512.Create(bias is null ? 0f : bias[ch]);
                float* plain = output + (long)ch * outH * outW;
                float* pool = output + (long)ch * plan.TilesH * tilesW;
                for (int row = row0; row < row1; row++)
                for (int tile = 0; tile < tilesW; tile += Lanes)
                {
                    int at = tilesW >= Lanes ? Math.Min(tile, tilesW - Lanes) : 0;
                    float* s = m + (long)ch * stride + (row - row0) * tilesW + at;
                    // Aᵀ m: the four rows of m combined into two.
                    var m00 = Vector512.Load(s); var m01 = Vector512.Load(s + plane);
                    var m02 = Vector512.Load(s + 2 * plane); var m03 = Vector512.Load(s + 3 * plane);
                    s += 4 * plane;
                    var m10 = Vector512.Load(s); var m11 = Vector512.Load(s + plane);
                    var m12 = Vector512.Load(s + 2 * plane); var m13 = Vector512.Load(s + 3 * plane);
                    s += 4 * plane;
                    var m20 = Vector512.Load(s); var m21 = Vector512.Load(s + plane);
                    var m22 = Vector512.Load(s + 2 * plane); var m23 = Vector512.Load(s + 3 * plane);
                    s += 4 * plane;
                    var m30 = Vector512.Load(s); var m31 = Vector512.Load(s + plane);
                    var m32 = Vector512.Load(s + 2 * plane); var m33 = Vector512.Load(s + 3 * plane);
                    var s0 = m00 + m10 + m20; var s1 = m01 + m11 + m21; var s2 = m02 + m12 + m22; var s3 = m03 + m13 + m23;
                    var r0 = m10 - m20 - m30; var r1 = m11 - m21 - m31; var r2 = m12 - m22 - m32; var r3 = m13 - m23 - m33;
                    // (Aᵀ m) A: the four columns combined into two.
                    var y00 = s0 + s1 + s2 + b; var y01 = s1 - s2 - s3 + b;
                    var y10 = r0 + r1 + r2 + b; var y11 = r1 - r2 - r3 + b;
                    if (rectify)
                    {
                        y00 = Vector512.Max(y00, Vector512<float>.Zero); y01 = Vector512.Max(y01, Vector512<float>.Zero);
                        y10 = Vector512.Max(y10, Vector512<float>.Zero); y11 = Vector512.Max(y11, Vector512<float>.Zero);
                    }
                    if (pooled)
                    {
                        var best = Vector512.Max(Vector512.Max(y00, y01), Vector512.Max(y10, y11));
                        Store(pool + (long)row * tilesW + at, best, tileMask, tilesW);
                        continue;
                    }
                    int columns = Math.Min(2 * Lanes, outW - 2 * at); // outputs of this vector inside the row
                    float* top = plain + (long)2 * row * outW + 2 * at;
                    StoreRow(top, y00, y01, low, high, columns);
                    if (2 * row + 1 < outH) StoreRow(top + outW, y10, y11, low, high, columns);
                }
            }
        }

        // Interleaves left and right outputs of 16 tiles into 32 columns; stores the first `columns`.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(float* target, Vector512<float> left, Vector512<float> right,
            Vector512<int> low, Vector512<int> high, int columns)
        {
            var first = Avx512F.PermuteVar16x32x2(left, low, right);
            var second = Avx512F.PermuteVar16x32x2(left, high, right);
            if (columns >= 2 * Lanes)
            {
                first.Store(target);
                second.Store(target + Lanes);
                return;
            }
            var indices = Vector512<int>.Indices;
            Avx512F.MaskStore(target, Vector512.LessThan(indices, Vector512.Create(columns)).AsSingle(), first);
            Avx512F.MaskStore(target + Lanes, Vector512.LessThan(indices, Vector512.Create(columns - Lanes)).AsSingle(), second);
        }
    }
}
