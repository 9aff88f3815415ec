using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

// The forward pass: input tiles transformed by Bᵀ d B, the 16 multiplies, the output transform Aᵀ m A.
internal sealed partial class Conv2DWinograd
{
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

    private unsafe void Run(in Conv2DGeometry g, in Plan plan, float* x, float* u, float* bias, float* y, Output mode)
    {
        int parts = Math.Min(plan.Threads, plan.Units);
        Reserve(parts, plan.ForwardLength(g));
        switch (width)
        {
            case SimdWidth.Vector512: ParallelParts.Run(parts, parts, new Job<V512, Vector512<float>>(this, g, plan, parts, x, u, bias, y, mode)); break;
            case SimdWidth.Vector256: ParallelParts.Run(parts, parts, new Job<V256, Vector256<float>>(this, g, plan, parts, x, u, bias, y, mode)); break;
            default: ParallelParts.Run(parts, parts, new Job<V128, Vector128<float>>(this, g, plan, parts, x, u, bias, y, mode)); break;
        }
    }

    /// <summary>
    /// The forward pass over a contiguous range of units, and the transforms that the backward
    /// passes share, on vectors of V floats (<typeparamref name="V"/>): every transform handles
    /// V tiles of one tile row at a time, one tile per lane.
    /// </summary>
    private readonly unsafe struct Job<V, TVec>(Conv2DWinograd kernel, Conv2DGeometry g, Plan plan, int parts,
        float* x, float* u, float* bias, float* y, Output mode) : IParallelPart
        where V : struct, IVector<TVec> where TVec : struct
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
                        Gemm.MultiplyTile(V.Width, mr, depth, weights + (long)rowPanel * mr * depth, tiles + (long)panel * depth * nr,
                            product + (long)rowPanel * mr * stride + panel * nr, stride, accumulate: false);
            }
        }

        /// <summary>
        /// Copies the input rows under tile rows [row0, row1) of one image into a zero-bordered
        /// buffer: padded[ch, r, col] = input[ch, 2 * row0 - padTop + r, col - padLeft], 0 outside.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Pad(float* image, float* padded, int row0, int row1)
        {
            int lanes = V.Count, width = plan.PaddedWidth, rows = 2 * (row1 - row0) + 2, left = g.PadLeft, inW = g.InW;
            for (int ch = 0; ch < g.InChannels; ch++)
                for (int r = 0; r < rows; r++)
                {
                    float* target = padded + ((long)ch * plan.PaddedRows + r) * width;
                    int source = 2 * row0 - g.PadTop + r;
                    if (source < 0 || source >= g.InH)
                    {
                        for (int j = 0; j < width; j += lanes) V.Store(V.Zero, target + j);
                        continue;
                    }
                    // A vector at a time (the width is whole vectors): the input where it lies under
                    // the row, read under a mask at its ends, zeros around it.
                    float* from = image + ((long)ch * g.InH + source) * inW - left;
                    for (int j = 0; j < width; j += lanes)
                    {
                        if (j >= left && j + lanes <= left + inW)
                            V.Store(V.Load(from + j), target + j);
                        else
                            V.Store(Lanes<V, TVec>.MaskLoad(from + j, V.BitwiseAnd(V.LanesFrom(left - j), Lanes<V, TVec>.Below(left + inW - j))), target + j);
                    }
                }
        }

        /// <summary>
        /// v = (Bᵀ d B)[ξ] for each tile t of the unit (numbered row-major over its tile rows),
        /// stored at <c>[ξ][t / nr][ch][t % nr]</c> (panels of <paramref name="nr"/> tiles), V
        /// tiles of a row at a time: a row narrower
        /// than V tiles is stored under a mask, a wider one ends with a vector placed to end at
        /// the row's end (overlapping the one before, which writes the same values twice), and
        /// a vector crossing into the next panel is stored in two masked parts.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TransformInput(float* padded, float* v, int row0, int row1, int nr, long plane)
        {
            int lanes = V.Count, tilesW = plan.TilesW, width = plan.PaddedWidth, count = Math.Min(tilesW, lanes);
            long panel = (long)g.InChannels * nr; // floats per panel
            // Channel by channel: consecutive tile rows reuse two of their four input rows, and
            // store into the same panel lines.
            for (int ch = 0; ch < g.InChannels; ch++)
                for (int row = row0; row < row1; row++)
                    for (int tile = 0; tile < tilesW; tile += lanes)
                    {
                        int at = tilesW >= lanes ? Math.Min(tile, tilesW - lanes) : 0;
                        int t = (row - row0) * tilesW + at, offset = t % nr;
                        // Lanes [0, split) go to panel t / nr from offset, lanes [split, count) to the next from 0.
                        int split = Math.Min(count, nr - offset);
                        float* p = padded + ((long)ch * plan.PaddedRows + 2 * (row - row0)) * width + 2 * at;
                        // d[i, j] for V tiles: row i of each patch, column j.
                        Row(p, out var d00, out var d01, out var d02, out var d03);
                        Row(p + width, out var d10, out var d11, out var d12, out var d13);
                        Row(p + 2 * width, out var d20, out var d21, out var d22, out var d23);
                        Row(p + 3 * width, out var d30, out var d31, out var d32, out var d33);
                        // Bᵀ d: rows combined.
                        var t00 = V.Subtract(d00, d20); var t01 = V.Subtract(d01, d21); var t02 = V.Subtract(d02, d22); var t03 = V.Subtract(d03, d23);
                        var t10 = V.Add(d10, d20); var t11 = V.Add(d11, d21); var t12 = V.Add(d12, d22); var t13 = V.Add(d13, d23);
                        var t20 = V.Subtract(d20, d10); var t21 = V.Subtract(d21, d11); var t22 = V.Subtract(d22, d12); var t23 = V.Subtract(d23, d13);
                        var t30 = V.Subtract(d10, d30); var t31 = V.Subtract(d11, d31); var t32 = V.Subtract(d12, d32); var t33 = V.Subtract(d13, d33);
                        // (Bᵀ d) B: columns combined, stored by position.
                        float* s = v + t / nr * panel + ch * nr + offset;
                        // Lane l of the second part lands at l - nr + offset in the next panel.
                        var tiles = new Tiles<V, TVec>(s, s + panel - nr, plane, split, count);
                        tiles.Store(0, V.Subtract(t00, t02)); tiles.Store(1, V.Add(t01, t02));
                        tiles.Store(2, V.Subtract(t02, t01)); tiles.Store(3, V.Subtract(t01, t03));
                        tiles.Store(4, V.Subtract(t10, t12)); tiles.Store(5, V.Add(t11, t12));
                        tiles.Store(6, V.Subtract(t12, t11)); tiles.Store(7, V.Subtract(t11, t13));
                        tiles.Store(8, V.Subtract(t20, t22)); tiles.Store(9, V.Add(t21, t22));
                        tiles.Store(10, V.Subtract(t22, t21)); tiles.Store(11, V.Subtract(t21, t23));
                        tiles.Store(12, V.Subtract(t30, t32)); tiles.Store(13, V.Add(t31, t32));
                        tiles.Store(14, V.Subtract(t32, t31)); tiles.Store(15, V.Subtract(t31, t33));
                    }
        }

        // Columns 2t, 2t + 1, 2t + 2, 2t + 3 of one padded row for the V tiles t from p.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row(float* p, out TVec d0, out TVec d1, out TVec d2, out TVec d3)
        {
            Lanes<V, TVec>.Deinterleave(V.Load(p), V.Load(p + V.Count), out d0, out d1);
            Lanes<V, TVec>.Deinterleave(V.Load(p + 2), V.Load(p + 2 + V.Count), out d2, out d3);
        }

        /// <summary>
        /// Y = Aᵀ m A for each tile and output channel, plus the bias; then written as it is,
        /// rectified, or rectified and pooled to one value per tile. The 2 x 2 outputs of V
        /// tiles are interleaved back into two rows of 2V columns, stored under a mask at the
        /// right edge and skipped below the bottom edge.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void TransformOutput(float* m, float* output, int row0, int row1, int stride, long plane)
        {
            int lanes = V.Count, tilesW = plan.TilesW, outH = g.OutH, outW = g.OutW;
            bool pooled = mode == Output.RectifiedPooled, rectify = mode != Output.Plain;
            for (int ch = 0; ch < g.OutChannels; ch++)
            {
                var b = V.Create(bias is null ? 0f : bias[ch]);
                float* plain = output + (long)ch * outH * outW;
                float* pool = output + (long)ch * plan.TilesH * tilesW;
                for (int row = row0; row < row1; row++)
                    for (int tile = 0; tile < tilesW; tile += lanes)
                    {
                        int at = tilesW >= lanes ? Math.Min(tile, tilesW - lanes) : 0;
                        float* s = m + (long)ch * stride + (row - row0) * tilesW + at;
                        // Aᵀ m: the four rows of m combined into two.
                        var m00 = V.Load(s); var m01 = V.Load(s + plane);
                        var m02 = V.Load(s + 2 * plane); var m03 = V.Load(s + 3 * plane);
                        s += 4 * plane;
                        var m10 = V.Load(s); var m11 = V.Load(s + plane);
                        var m12 = V.Load(s + 2 * plane); var m13 = V.Load(s + 3 * plane);
                        s += 4 * plane;
                        var m20 = V.Load(s); var m21 = V.Load(s + plane);
                        var m22 = V.Load(s + 2 * plane); var m23 = V.Load(s + 3 * plane);
                        s += 4 * plane;
                        var m30 = V.Load(s); var m31 = V.Load(s + plane);
                        var m32 = V.Load(s + 2 * plane); var m33 = V.Load(s + 3 * plane);
                        var s0 = V.Add(V.Add(m00, m10), m20); var s1 = V.Add(V.Add(m01, m11), m21);
                        var s2 = V.Add(V.Add(m02, m12), m22); var s3 = V.Add(V.Add(m03, m13), m23);
                        var r0 = V.Subtract(V.Subtract(m10, m20), m30); var r1 = V.Subtract(V.Subtract(m11, m21), m31);
                        var r2 = V.Subtract(V.Subtract(m12, m22), m32); var r3 = V.Subtract(V.Subtract(m13, m23), m33);
                        // (Aᵀ m) A: the four columns combined into two.
                        var y00 = V.Add(V.Add(V.Add(s0, s1), s2), b); var y01 = V.Add(V.Subtract(V.Subtract(s1, s2), s3), b);
                        var y10 = V.Add(V.Add(V.Add(r0, r1), r2), b); var y11 = V.Add(V.Subtract(V.Subtract(r1, r2), r3), b);
                        if (rectify)
                        {
                            y00 = V.Max(y00, V.Zero); y01 = V.Max(y01, V.Zero);
                            y10 = V.Max(y10, V.Zero); y11 = V.Max(y11, V.Zero);
                        }
                        if (pooled)
                        {
                            var best = V.Max(V.Max(y00, y01), V.Max(y10, y11));
                            float* target = pool + (long)row * tilesW + at;
                            if (tilesW >= lanes) V.Store(best, target);
                            else Lanes<V, TVec>.MaskStore(target, Lanes<V, TVec>.Below(tilesW), best);
                            continue;
                        }
                        int columns = Math.Min(2 * lanes, outW - 2 * at); // outputs of this vector inside the row
                        float* top = plain + (long)2 * row * outW + 2 * at;
                        StoreRow(top, y00, y01, columns);
                        if (2 * row + 1 < outH) StoreRow(top + outW, y10, y11, columns);
                    }
            }
        }

        // Interleaves left and right outputs of V tiles into 2V columns; stores the first `columns`.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(float* target, TVec left, TVec right, int columns)
        {
            Lanes<V, TVec>.Interleave(left, right, out var first, out var second);
            int lanes = V.Count;
            if (columns >= 2 * lanes)
            {
                V.Store(first, target);
                V.Store(second, target + lanes);
                return;
            }
            Lanes<V, TVec>.MaskStore(target, Lanes<V, TVec>.Below(columns), first);
            Lanes<V, TVec>.MaskStore(target + lanes, Lanes<V, TVec>.Below(columns - lanes), second);
        }
    }

    /// <summary>
    /// Where one vector of V transformed tiles goes, for each position ξ: lanes [0, split)
    /// from <c>first</c>, lanes [split, count) from <c>second</c> (the next panel), in the
    /// part's own scratch (see <see cref="Lanes{V, TVec}.BlendStore"/>).
    /// </summary>
    private readonly unsafe ref struct Tiles<V, TVec> where V : struct, IVector<TVec> where TVec : struct
    {
        private readonly float* first, second;
        private readonly long plane;
        private readonly TVec firstMask, secondMask;
        private readonly bool whole, twoParts;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Tiles(float* first, float* second, long plane, int split, int count)
        {
            this.first = first;
            this.second = second;
            this.plane = plane;
            whole = split == V.Count;
            twoParts = count > split;
            firstMask = Lanes<V, TVec>.Below(split);
            secondMask = V.BitwiseAnd(V.LanesFrom(split), Lanes<V, TVec>.Below(count));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int position, TVec value)
        {
            if (whole)
            {
                V.Store(value, first + position * plane);
                return;
            }
            Lanes<V, TVec>.BlendStore(first + position * plane, firstMask, value);
            if (twoParts) Lanes<V, TVec>.BlendStore(second + position * plane, secondMask, value);
        }
    }
}
