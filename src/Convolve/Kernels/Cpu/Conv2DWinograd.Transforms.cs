using System.Runtime.CompilerServices;

namespace Convolve.Kernels.Cpu;

public sealed partial class Conv2DWinograd
{
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
                var tiles = new Tiles(s, s + panel - nr, plane, split, count); // lane l of the second part lands at l - nr + offset in the next panel
                tiles.Store(0, V.Subtract(t00, t02)); tiles.Store(1, V.Add(t01, t02)); tiles.Store(2, V.Subtract(t02, t01)); tiles.Store(3, V.Subtract(t01, t03));
                tiles.Store(4, V.Subtract(t10, t12)); tiles.Store(5, V.Add(t11, t12)); tiles.Store(6, V.Subtract(t12, t11)); tiles.Store(7, V.Subtract(t11, t13));
                tiles.Store(8, V.Subtract(t20, t22)); tiles.Store(9, V.Add(t21, t22)); tiles.Store(10, V.Subtract(t22, t21)); tiles.Store(11, V.Subtract(t21, t23));
                tiles.Store(12, V.Subtract(t30, t32)); tiles.Store(13, V.Add(t31, t32)); tiles.Store(14, V.Subtract(t32, t31)); tiles.Store(15, V.Subtract(t31, t33));
            }
        }

        /// <summary>
        /// Where one vector of V transformed tiles goes, for each position ξ: lanes [0, split)
        /// from <c>first</c>, lanes [split, count) from <c>second</c> (the next panel), in the
        /// part's own scratch (see <see cref="Lanes{V, TVec}.BlendStore"/>).
        /// </summary>
        private readonly ref struct Tiles
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

        /// <summary>
        /// w = (A y Aᵀ)[ξ] for the 2x2 block y of dOutput under each tile t of the unit (0 past
        /// the bottom and right edges; <c>A y Aᵀ</c> spreads the block over the 4x4 points of the
        /// input transform), in the panels of <see cref="TransformInput"/>:
        /// <c>[ξ][t / nr][k][t % nr]</c>, V tiles of a row at a time. The last panel's columns
        /// past the unit's tiles are set to 0. Both gradients read them from there.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TransformGradient(float* w, float* dOutput, int row0, int row1, int nr, long plane)
        {
            int lanes = V.Count, tilesW = plan.TilesW, outH = g.OutH, outW = g.OutW, count = Math.Min(tilesW, lanes), k = g.OutChannels;
            long panel = (long)k * nr; // floats per panel
            for (int ch = 0; ch < k; ch++)
            {
                float* plane0 = dOutput + (long)ch * outH * outW;
                for (int row = row0; row < row1; row++)
                for (int tile = 0; tile < tilesW; tile += lanes)
                {
                    int at = tilesW >= lanes ? Math.Min(tile, tilesW - lanes) : 0;
                    // The 2V columns from 2 * at of the block's two rows; past the edges, zeros.
                    int columns = outW - 2 * at;
                    float* top = plane0 + (long)2 * row * outW + 2 * at;
                    TVec a0, a1, b0 = V.Zero, b1 = V.Zero;
                    bool below = 2 * row + 1 < outH;
                    if (columns >= 2 * lanes)
                    {
                        a0 = V.Load(top); a1 = V.Load(top + lanes);
                        if (below) { b0 = V.Load(top + outW); b1 = V.Load(top + outW + lanes); }
                    }
                    else
                    {
                        var low = Lanes<V, TVec>.Below(columns);
                        var high = Lanes<V, TVec>.Below(columns - lanes);
                        a0 = Lanes<V, TVec>.MaskLoad(top, low); a1 = Lanes<V, TVec>.MaskLoad(top + lanes, high);
                        if (below) { b0 = Lanes<V, TVec>.MaskLoad(top + outW, low); b1 = Lanes<V, TVec>.MaskLoad(top + outW + lanes, high); }
                    }
                    Lanes<V, TVec>.Deinterleave(a0, a1, out var y00, out var y01);
                    Lanes<V, TVec>.Deinterleave(b0, b1, out var y10, out var y11);
                    // y Aᵀ: each row's two values spread over four.
                    var u00 = y00; var u01 = V.Add(y00, y01); var u02 = V.Subtract(y00, y01); var u03 = Lanes<V, TVec>.Negate(y01);
                    var u10 = y10; var u11 = V.Add(y10, y11); var u12 = V.Subtract(y10, y11); var u13 = Lanes<V, TVec>.Negate(y11);
                    // A (y Aᵀ): the two rows spread over four, stored by position.
                    var w4 = V.Add(u00, u10); var w5 = V.Add(u01, u11); var w6 = V.Add(u02, u12); var w7 = V.Add(u03, u13);
                    var w8 = V.Subtract(u00, u10); var w9 = V.Subtract(u01, u11); var w10 = V.Subtract(u02, u12); var w11 = V.Subtract(u03, u13);
                    var w12 = Lanes<V, TVec>.Negate(u10); var w13 = Lanes<V, TVec>.Negate(u11);
                    var w14 = Lanes<V, TVec>.Negate(u12); var w15 = Lanes<V, TVec>.Negate(u13);
                    int t = (row - row0) * tilesW + at, offset = t % nr, split = Math.Min(count, nr - offset);
                    float* s = w + t / nr * panel + ch * nr + offset;
                    var tiles = new Tiles(s, s + panel - nr, plane, split, count);
                    tiles.Store(0, u00); tiles.Store(1, u01); tiles.Store(2, u02); tiles.Store(3, u03);
                    tiles.Store(4, w4); tiles.Store(5, w5); tiles.Store(6, w6); tiles.Store(7, w7);
                    tiles.Store(8, w8); tiles.Store(9, w9); tiles.Store(10, w10); tiles.Store(11, w11);
                    tiles.Store(12, w12); tiles.Store(13, w13); tiles.Store(14, w14); tiles.Store(15, w15);
                }
            }
            ClearTail(w, plane, k, (row1 - row0) * tilesW, nr);
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
            int lanes = V.Count, tilesW = plan.TilesW, inH = g.InH, inW = g.InW;
            for (int ch = 0; ch < g.InChannels; ch++)
            {
                float* image = dInput + (long)ch * inH * inW;
                for (int row = row0; row < row1; row++)
                for (int tile = 0; tile < tilesW; tile += lanes)
                {
                    int count = Math.Min(lanes, tilesW - tile);
                    // Lanes past the row's last tile are 0 (the products hold a vector's slack past their end).
                    var inside = Lanes<V, TVec>.Below(count);
                    float* s = products + (long)ch * stride + (row - row0) * tilesW + tile;
                    var m00 = Load(s, inside); var m01 = Load(s + plane, inside); var m02 = Load(s + 2 * plane, inside); var m03 = Load(s + 3 * plane, inside);
                    s += 4 * plane;
                    var m10 = Load(s, inside); var m11 = Load(s + plane, inside); var m12 = Load(s + 2 * plane, inside); var m13 = Load(s + 3 * plane, inside);
                    s += 4 * plane;
                    var m20 = Load(s, inside); var m21 = Load(s + plane, inside); var m22 = Load(s + 2 * plane, inside); var m23 = Load(s + 3 * plane, inside);
                    s += 4 * plane;
                    var m30 = Load(s, inside); var m31 = Load(s + plane, inside); var m32 = Load(s + 2 * plane, inside); var m33 = Load(s + 3 * plane, inside);
                    // B m: rows combined.
                    var x10 = V.Add(V.Subtract(m10, m20), m30); var x11 = V.Add(V.Subtract(m11, m21), m31);
                    var x12 = V.Add(V.Subtract(m12, m22), m32); var x13 = V.Add(V.Subtract(m13, m23), m33);
                    var x20 = V.Subtract(V.Add(m10, m20), m00); var x21 = V.Subtract(V.Add(m11, m21), m01);
                    var x22 = V.Subtract(V.Add(m12, m22), m02); var x23 = V.Subtract(V.Add(m13, m23), m03);
                    var x30 = Lanes<V, TVec>.Negate(m30); var x31 = Lanes<V, TVec>.Negate(m31);
                    var x32 = Lanes<V, TVec>.Negate(m32); var x33 = Lanes<V, TVec>.Negate(m33);
                    int column = 2 * tile - g.PadLeft, top = 2 * row - g.PadTop;
                    AddRow(image, top, column, m00, m01, m02, m03, count);
                    AddRow(image, top + 1, column, x10, x11, x12, x13, count);
                    AddRow(image, top + 2, column, x20, x21, x22, x23, count);
                    AddRow(image, top + 3, column, x30, x31, x32, x33, count);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVec Load(float* source, TVec inside) => V.BitwiseAnd(V.Load(source), inside);

        // One patch row of V tiles, (x B)ᵀ-combined: columns z0..z3 of each tile, the tiles 2 apart.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void AddRow(float* image, int row, int column, TVec x0, TVec x1, TVec x2, TVec x3, int count)
        {
            if (row < 0 || row >= g.InH) return;
            // (x) Bᵀ: columns combined.
            var z0 = x0; var z1 = V.Add(V.Subtract(x1, x2), x3); var z2 = V.Subtract(V.Add(x1, x2), x0); var z3 = Lanes<V, TVec>.Negate(x3);
            // Column 2l takes z0 of tile l and z2 of tile l - 1; column 2l + 1, z1 and z3.
            var even = V.Add(z0, Lanes<V, TVec>.ShiftUp(z2));
            var odd = V.Add(z1, Lanes<V, TVec>.ShiftUp(z3));
            Lanes<V, TVec>.Interleave(even, odd, out var first, out var second);
            float* target = image + (long)row * g.InW;
            int lanes = V.Count;
            AddColumns(target, column, first, g.InW);
            AddColumns(target, column + lanes, second, g.InW);
            if (count == lanes)
            {
                // The last tile's two right columns, past the 2V.
                int last = column + 2 * lanes;
                if (last >= 0 && last < g.InW) target[last] += Lanes<V, TVec>.Last(z2);
                if (last + 1 >= 0 && last + 1 < g.InW) target[last + 1] += Lanes<V, TVec>.Last(z3);
            }
        }

        // target[column + i] += values[i] for the columns inside [0, width).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddColumns(float* target, int column, TVec values, int width)
        {
            float* p = target + column;
            if (column >= 0 && column + V.Count <= width)
            {
                V.Store(V.Add(V.Load(p), values), p);
                return;
            }
            // Lanes [-column, width - column) lie inside the row.
            var inside = V.BitwiseAnd(V.LanesFrom(-column), Lanes<V, TVec>.Below(width - column));
            Lanes<V, TVec>.MaskStore(p, inside, V.Add(Lanes<V, TVec>.MaskLoad(p, inside), values));
        }
    }

    /// <summary>
    /// The gradients for a contiguous range of images: the weight gradient when <c>x</c> (the
    /// input) is given, the input gradient when <c>dx</c> is.
    /// </summary>
    private readonly unsafe struct BackwardJob<V, TVec>(Conv2DWinograd kernel, Conv2DGeometry g, Plan plan, int parts,
        float* x, float* dy, float* gate, float* u, float* dx, int gatedOffset) : IParallelPart
        where V : struct, IVector<TVec> where TVec : struct
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
            var job = new Job<V, TVec>(kernel, g, plan, parts, x, u, null, dy, Output.Plain);
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
                    job.TransformGradient(w, d, row0, row1, nr, wPlane);
                    if (x is not null)
                    {
                        // The weight gradient, V[ξ][c, t] and W[ξ][k, t] summed over the unit's tiles,
                        // on the panels (zero past the last tile) that the input gradient multiplies too.
                        long vPlane = (long)panels * c * nr + Skew;
                        job.Pad(x + n * inputImage, padded, row0, row1);
                        job.TransformInput(padded, v, row0, row1, nr, vPlane);
                        Job<V, TVec>.ClearTail(v, vPlane, c, tiles, nr);
                        for (int position = 0; position < Positions; position++)
                            Sums<V, TVec>.Add(w + position * wPlane, v + position * vPlane, k, c, panels, nr, sums + (long)position * k * c);
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
            long i = 0;
            for (; i + V.Count <= length; i += V.Count)
            {
                var values = V.Load(d + i);
                var open = V.GreaterThan(V.Load(output + i), V.Zero);
                V.Store(Lanes<V, TVec>.Select(open, values, V.Multiply(values, V.Zero)), gated + i);
            }
            for (; i < length; i++) gated[i] = output[i] > 0 ? d[i] : d[i] * 0f;
        }
    }
}
