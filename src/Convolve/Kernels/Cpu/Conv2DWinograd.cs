using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// <item>Forward: input tiles transformed one vector at a time along a row of tiles (one tile
/// per lane: 16 on AVX-512, 8 on AVX2, 4 on 128-bit vectors; even and odd columns split with
/// lane shuffles), written straight into the packed panels of <see cref="Gemm"/>'s micro-kernel
/// for that width (<see cref="Gemm.TileFor"/>; no packing copies, no edge tiles), the 16
/// multiplies, then the output transform adds the bias,
/// and optionally rectifies, or rectifies and takes the 2x2 maximum (a tile is exactly one
/// pooling window), while the values are still in registers.</item>
/// <item>The gradients run the same algorithm transposed, per tile: dOutput's 2x2 block is
/// spread by <c>A dY Aᵀ</c> (once, for both gradients). The input gradient multiplies it by the
/// transformed filters summed over output channels and turns the result back into a 4x4
/// patch with <c>B (·) Bᵀ</c>, added where the forward pass read it (patches overlap by two
/// rows and columns). The weight gradient sums <c>(A dY Aᵀ) ⊙ (Bᵀ d B)</c> over every tile
/// (16 multiplies whose depth is the tiles, as dot products along the tiles on the operands as
/// transformed, <c>Conv2DWinograd.Sums.cs</c>) and turns each 4x4 sum back into a 3x3 filter with
/// <c>Gᵀ (·) G</c>. <see cref="Backward"/> does both in one pass over the batch, behind a fused
/// ReLU if there is one.</item>
/// <item>Every geometry this path does not take goes to another kernel (<see cref="Conv2DDispatch"/>).</item>
/// <item>Every transform is written once over the vector type (<see cref="Job{V, TVec}"/> in
/// <c>Conv2DWinograd.Forward.cs</c>, <see cref="BackwardJob{V, TVec}"/> in <c>Conv2DWinograd.Backward.cs</c>;
/// the lane shuffles and masked accesses, one body per width and instruction set, in
/// <c>Conv2DWinograd.Lanes.cs</c>) and instantiated for the kernel's width: 512, 256 or 128 bits.</item>
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
internal sealed partial class Conv2DWinograd : IConv2DKernel, IConv2DPooledForward, IConv2DFusedBackward
{
    /// <summary>Fewer channels than this on either side leave the multiplies too small to pay for the transforms.</summary>
    public const int MinChannels = 8;

    // One cache line between the 16 planes of transformed tiles (and of products): planes
    // a multiple of 4 KiB apart would put the 16 values of a tile in one L1 set, more than its ways.
    private const int Skew = 16;
    private const int Positions = 16; // 4 x 4 transformed values per tile
    // Transformed inputs and products of one unit: about this many floats (2 MiB, the L2
    // cache here; a 28 x 28 image with 32 and 64 channels is one unit).
    private const int UnitBudget = 1 << 19;
    // Below this many multiply-adds (of the direct sum) one thread does the whole pass.
    private const long ParallelThreshold = 1L << 20;

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
    /// the pooled one for an even output size; at every vector width (128, 256 and 512 bits;
    /// rows of tiles narrower than a vector are stored under masks), not without vectors.
    /// </summary>
    public static bool Supports(Conv2DPass pass, in Conv2DGeometry g, SimdWidth width)
    {
        bool geometry = width is SimdWidth.Vector512 or SimdWidth.Vector256 or SimdWidth.Vector128
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
            throw new ArgumentException(
                $"Conv2DWinograd.ForwardRectifiedPooled: expected a pooled output of {g.OutputLength / 4} values, got {pooled.Length}.");
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
    /// at the kernel's width (<see cref="Gemm.TileFor"/>: on AVX-512 12 x 32 or 8 x 48, whichever
    /// pads a unit's multiplies less; 6 x 16 on AVX2; 6 x 8 on 128-bit vectors). For the backward passes
    /// (<c>backward</c>) the multiply producing values per tile is the input gradient's, whose
    /// rows are input channels; the transformed dOutput blocks take the same panels.
    /// </summary>
    private readonly struct Plan
    {
        public readonly int TilesH, TilesW, RowsPerUnit, UnitsPerImage, Units, PaddedWidth, PaddedRows;
        public readonly int TileRows, TileColumns, RowPanels, TilePanels, Threads;

        public readonly int VectorWidth; // floats per vector

        public Plan(in Conv2DGeometry g, int threads, bool backward, SimdWidth width)
        {
            Threads = threads;
            VectorWidth = (int)width;
            TilesH = (g.OutH + 1) / 2;
            TilesW = (g.OutW + 1) / 2;
            int perTile = Positions * (g.InChannels + g.OutChannels + (backward ? g.InChannels : 0));
            RowsPerUnit = Math.Clamp(UnitBudget / (perTile * TilesW), 1, TilesH);
            // A batch smaller than the thread count: cut the images so every thread has work
            // (forward; backward, threads take whole images, and longer units make deeper sums).
            if (!backward && g.Batch < threads) RowsPerUnit = Math.Min(RowsPerUnit, (TilesH + threads - 1) / threads);
            UnitsPerImage = (TilesH + RowsPerUnit - 1) / RowsPerUnit;
            Units = g.Batch * UnitsPerImage;
            // A vector of V tiles reads 2V + 2 columns from its first tile's.
            // Rounded up to whole vectors, which the padding copies (the columns past are never read).
            PaddedWidth = (2 * Math.Max(TilesW, VectorWidth) + 2 + VectorWidth - 1) / VectorWidth * VectorWidth;
            PaddedRows = 2 * RowsPerUnit + 2;
            int rows = backward ? g.InChannels : g.OutChannels;
            (TileRows, TileColumns) = Gemm.TileFor(width, rows, RowsPerUnit * TilesW);
            RowPanels = (rows + TileRows - 1) / TileRows;
            TilePanels = (RowsPerUnit * TilesW + TileColumns - 1) / TileColumns;
        }

        public int PaddedLength(in Conv2DGeometry g) => g.InChannels * PaddedRows * PaddedWidth;

        public int TransformedLength(in Conv2DGeometry g) => Positions * (TilePanels * g.InChannels * TileColumns + Skew);

        // Products; plus a vector's slack: the output transform reads V tiles from the last row's first.
        public int ProductLength => Positions * (RowPanels * TileRows * TilePanels * TileColumns + Skew) + VectorWidth;

        // Transformed dOutput blocks (backward).
        public int GradientLength(in Conv2DGeometry g) => Positions * (TilePanels * g.OutChannels * TileColumns + Skew);

        public int ForwardLength(in Conv2DGeometry g) => PaddedLength(g) + TransformedLength(g) + ProductLength;

        public int BackwardLength(in Conv2DGeometry g) => PaddedLength(g) + TransformedLength(g) + GradientLength(g) + ProductLength;
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
        return new Plan(g, work < ParallelThreshold ? 1 : maxThreads, backward, width);
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
}
