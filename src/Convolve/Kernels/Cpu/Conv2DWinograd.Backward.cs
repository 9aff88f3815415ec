using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

// The gradients: dOutput's blocks transformed once by A dY Aᵀ, then the weight gradient's sums
// (Conv2DWinograd.Sums.cs) and the input gradient's multiply and B (·) Bᵀ patches.
internal sealed partial class Conv2DWinograd
{
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
        {
            float* xs = weights ? x : null, gates = rectifiedOutput.IsEmpty ? null : gate, us = inputs ? u : null, dxs = inputs ? dx : null;
            switch (width)
            {
                case SimdWidth.Vector512:
                    ParallelParts.Run(parts, parts, new BackwardJob<V512, Vector512<float>>(this, g, plan, parts, xs, dy, gates, us, dxs, length));
                    break;
                case SimdWidth.Vector256:
                    ParallelParts.Run(parts, parts, new BackwardJob<V256, Vector256<float>>(this, g, plan, parts, xs, dy, gates, us, dxs, length));
                    break;
                default:
                    ParallelParts.Run(parts, parts, new BackwardJob<V128, Vector128<float>>(this, g, plan, parts, xs, dy, gates, us, dxs, length));
                    break;
            }
        }
        if (weights) AddWeightGradient(g, parts, dWeight, dBias);
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

    /// <summary>
    /// The gradients for a contiguous range of images: the weight gradient when <c>x</c> (the
    /// input) is given, the input gradient when <c>dx</c> is. The input's transform and the
    /// multiplies are <see cref="Job{V, TVec}"/>'s.
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
                    TransformGradient(w, d, row0, row1, nr, wPlane);
                    if (x is not null)
                    {
                        // The weight gradient, V[ξ][c, t] and W[ξ][k, t] summed over the unit's tiles,
                        // on the panels (zero past the last tile) that the input gradient multiplies too.
                        long vPlane = (long)panels * c * nr + Skew;
                        job.Pad(x + n * inputImage, padded, row0, row1);
                        job.TransformInput(padded, v, row0, row1, nr, vPlane);
                        ClearTail(v, vPlane, c, tiles, nr);
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
                        AddPatches(products, dx + n * inputImage, row0, row1, stride, pPlane);
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

        /// <summary>
        /// w = (A y Aᵀ)[ξ] for the 2x2 block y of dOutput under each tile t of the unit (0 past
        /// the bottom and right edges; <c>A y Aᵀ</c> spreads the block over the 4x4 points of the
        /// input transform), in the panels of <see cref="Job{V, TVec}.TransformInput"/>:
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
                        var tiles = new Tiles<V, TVec>(s, s + panel - nr, plane, split, count);
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
                        var m00 = Load(s, inside); var m01 = Load(s + plane, inside);
                        var m02 = Load(s + 2 * plane, inside); var m03 = Load(s + 3 * plane, inside);
                        s += 4 * plane;
                        var m10 = Load(s, inside); var m11 = Load(s + plane, inside);
                        var m12 = Load(s + 2 * plane, inside); var m13 = Load(s + 3 * plane, inside);
                        s += 4 * plane;
                        var m20 = Load(s, inside); var m21 = Load(s + plane, inside);
                        var m22 = Load(s + 2 * plane, inside); var m23 = Load(s + 3 * plane, inside);
                        s += 4 * plane;
                        var m30 = Load(s, inside); var m31 = Load(s + plane, inside);
                        var m32 = Load(s + 2 * plane, inside); var m33 = Load(s + 3 * plane, inside);
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
}
