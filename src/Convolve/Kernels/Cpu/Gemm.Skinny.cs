using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Multiplies with one tiny side, where packing costs more than it saves: a dense layer with 10
/// outputs multiplies [64, 5408] by [5408, 10] forward, and [10, 64] by [64, 5408] for its
/// weight gradient; a single image through a dense layer is [1, 9216] by [128, 9216]^T. Two
/// unpacked kernels, written once for any vector width (<see cref="IVector{TVec}"/>), take these:
/// <list type="bullet">
/// <item>Row combinations (B not transposed, M or K at most <see cref="Skinny"/>; see
/// <see cref="SkinnyKindOf"/>): each row of C is a combination of B's rows,
/// <c>C[i, :] += sum over p of A(i, p) * B[p, :]</c>; four rows of C and two vectors of columns
/// are in registers while p runs, each B load feeding four multiply-adds. Columns past the last
/// full vector: one vector with only the first lanes loaded and stored. A single row of A
/// streams B instead (<see cref="RowCombinationsStreaming{V, TVec}"/>).</item>
/// <item>Dot products (A plain, B transposed, N at most <see cref="Skinny"/> or M at most 4):
/// <c>C[i, j] = A[i, :] . B[j, :]</c>, both rows contiguous; two rows of A against four of B,
/// eight vector sums in registers (11 registers with the loads: fits AVX2's 16).</item>
/// </list>
/// Sums over p still run in order 0..k-1 per vector lane; the dot products add their lanes at
/// the end and the last k % lanes terms one at a time (so their rounding differs from the packed
/// path's, within the tests' tolerance).
/// </summary>
internal sealed partial class Gemm
{
    /// <summary>The largest "tiny" side the unpacked kernels take.</summary>
    internal const int Skinny = 16;

    /// <summary>Rows of A (at most) the dot products take against any number of B's rows.</summary>
    internal const int DotRows = 4;

    /// <summary>
    /// Which unpacked kernel takes a problem, if any: only on the width-generic paths
    /// (<see cref="SkinnyWidthOf"/>), never on the forced AVX-512 tiles.
    /// </summary>
    private static SkinnyKind SkinnyKindOf(GemmPath path, bool transA, bool transB, int m, int n, int k)
    {
        if (SkinnyWidthOf(path) is not SimdWidth width) return SkinnyKind.None;
        int lanes = (int)width;
        // Row combinations read B's rows in place, n floats apart. Rows a multiple of 4 KB apart
        // (n a multiple of 1024) fall in the same L1 cache sets and pages, so re-reading a strip
        // of B for each block of four rows of A misses; a vector packed path wins there unless
        // one block of rows (m <= 4) or a very shallow B (k <= 8) leaves little to re-read. The
        // scalar packed path (all the 128-bit path has) never does.
        bool aliased = n % 1024 == 0 && PackedKernelOf(path, m, n) != GemmPath.Scalar;
        if (!transB && n >= lanes
            && (m <= DotRows || k <= 8 || (!aliased && (m <= Skinny || k <= Skinny))))
            return SkinnyKind.RowCombinations;
        // Dot products also for a few rows of A against any B: a single image through a dense
        // layer reads each weight once instead of packing them all.
        if (!transA && transB && (n <= Skinny || m <= DotRows) && k >= 4 * lanes) return SkinnyKind.Dots;
        return SkinnyKind.None;
    }

    /// <summary>The vector width the unpacked kernels run at on a path, or null where they do not run.</summary>
    private static SimdWidth? SkinnyWidthOf(GemmPath path) => path switch
    {
        GemmPath.Vector512 => SimdWidth.Vector512,
        GemmPath.Vector256 => SimdWidth.Vector256,
        GemmPath.Vector128 => SimdWidth.Vector128,
        _ => null,
    };

    private enum SkinnyKind { None, RowCombinations, Dots }

    private static void RunSkinny(SkinnyKind kind, GemmPath path, in Problem problem, int threads)
    {
        switch (SkinnyWidthOf(path))
        {
            case SimdWidth.Vector512: RunSkinny<V512, Vector512<float>>(kind, problem, threads); break;
            case SimdWidth.Vector256: RunSkinny<V256, Vector256<float>>(kind, problem, threads); break;
            default: RunSkinny<V128, Vector128<float>>(kind, problem, threads); break;
        }
    }

    private static void RunSkinny<V, TVec>(SkinnyKind kind, in Problem problem, int threads)
        where V : struct, IVector<TVec> where TVec : struct
    {
        // Row combinations split C's columns (in blocks of two vectors), dot products C's rows
        // (in pairs), or their columns (in fours) when there are fewer row pairs than threads.
        // Every part but the last starts and ends on a whole block, so each value of C is
        // computed by the same kind of block whatever the split.
        bool dotColumns = kind == SkinnyKind.Dots && (problem.M + 1) / 2 < threads;
        int block = 2 * V.Count;
        int units = kind == SkinnyKind.RowCombinations ? (problem.N + block - 1) / block
            : dotColumns ? (problem.N + 3) / 4 : (problem.M + 1) / 2;
        int parts = Math.Max(1, Math.Min(threads, units));
        ParallelParts.Run(parts, parts, new SkinnyJob<V, TVec>(kind, dotColumns, problem, parts, units));
    }

    private readonly struct SkinnyJob<V, TVec>(SkinnyKind kind, bool dotColumns, Problem problem, int parts, int units) : IParallelPart
        where V : struct, IVector<TVec> where TVec : struct
    {
        public void Run(int part)
        {
            int from = (int)((long)units * part / parts), to = (int)((long)units * (part + 1) / parts);
            int block = 2 * V.Count;
            if (kind == SkinnyKind.RowCombinations) RowCombinations<V, TVec>(problem, from * block, Math.Min(problem.N, to * block));
            else if (dotColumns) Dots<V, TVec>(problem, 0, problem.M, from * 4, Math.Min(problem.N, to * 4));
            else Dots<V, TVec>(problem, from * 2, Math.Min(problem.M, to * 2), 0, problem.N);
        }
    }

    // A(i, p): A is [M, K], or [K, M] when transposed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float* AAt(in Problem q, int i, int p) => q.TransA ? q.A + (long)p * q.M + i : q.A + (long)i * q.K + p;

    /// <summary>
    /// C[:, n0..n1] = A * B[:, n0..n1] (+ C), B plain [K, N], in blocks of four rows and two
    /// vectors of columns (one vector, or its first lanes, at the right edge).
    /// </summary>
    private static void RowCombinations<V, TVec>(in Problem q, int n0, int n1)
        where V : struct, IVector<TVec> where TVec : struct
    {
        int m = q.M, block = 2 * V.Count;
        if (q.K <= Skinny)
        {
            // Few rows of B: they stay in cache, so walk C in its own order, four whole rows at a
            // time (a strip of columns at a time would write each C row a few lines at a time,
            // a page or more apart).
            for (int i = 0; i < m; i += 4) RowCombinationRows<V, TVec>(q, i, n0, n1);
            return;
        }
        // One row of A (a single image's input gradient): read B in its own order; with more
        // rows the strips below keep the sums in registers and win.
        if (m == 1)
        {
            RowCombinationsStreaming<V, TVec>(q, n0, n1);
            return;
        }
        // Many rows of B, few of A: read B once, a strip of columns at a time.
        for (int j = n0; j < n1; j += block)
            for (int i = 0; i < m; i += 4)
                RowCombinationRows<V, TVec>(q, i, j, Math.Min(n1, j + block));
    }

    /// <summary>
    /// C[0, n0..n1] for a one-row A, B read in its own order, four rows of B at a time: the sums
    /// run in a per-thread scratch row (from zero, in order over p, as in registers, so the bits
    /// are those of the strips), added to C at the end. A strip of columns read in place takes
    /// each of its k values from a different line, pages apart, where the prefetchers do not
    /// follow; this order streams B, for a load and a store of the scratch per four multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowCombinationsStreaming<V, TVec>(in Problem q, int n0, int n1)
        where V : struct, IVector<TVec> where TVec : struct
    {
        int n = q.N, k = q.K, lanes = V.Count;
        int width = n1 - n0, full = width / lanes * lanes, stride = (width + lanes - 1) / lanes * lanes;
        long pStep = q.TransA ? q.M : 1;
        float* sums = PackBuffer.Get(stride);
        new Span<float>(sums, stride).Clear();
        float* a = AAt(q, 0, 0);
        float* b = q.B + n0;
        int p = 0;
        for (; p + 4 <= k; p += 4, b += 4 * n)
        {
            TVec x0 = V.Create(a[p * pStep]), x1 = V.Create(a[(p + 1) * pStep]),
                x2 = V.Create(a[(p + 2) * pStep]), x3 = V.Create(a[(p + 3) * pStep]);
            float* b1 = b + n, b2 = b + 2 * n, b3 = b + 3 * n;
            int j = 0;
            for (; j < full; j += lanes)
            {
                var sum = V.MultiplyAdd(x0, V.Load(b + j), V.Load(sums + j));
                sum = V.MultiplyAdd(x1, V.Load(b1 + j), sum);
                sum = V.MultiplyAdd(x2, V.Load(b2 + j), sum);
                V.Store(V.MultiplyAdd(x3, V.Load(b3 + j), sum), sums + j);
            }
            if (j < width)
            {
                var sum = V.MultiplyAdd(x0, V.LoadFirst(b + j, width - j), V.Load(sums + j));
                sum = V.MultiplyAdd(x1, V.LoadFirst(b1 + j, width - j), sum);
                sum = V.MultiplyAdd(x2, V.LoadFirst(b2 + j, width - j), sum);
                V.Store(V.MultiplyAdd(x3, V.LoadFirst(b3 + j, width - j), sum), sums + j);
            }
        }
        for (; p < k; p++, b += n)
        {
            TVec x = V.Create(a[p * pStep]);
            for (int j = 0; j < stride; j += lanes)
            {
                var y = j < full ? V.Load(b + j) : V.LoadFirst(b + j, width - j);
                V.Store(V.MultiplyAdd(x, y, V.Load(sums + j)), sums + j);
            }
        }
        float* c = q.C + n0;
        for (int j = 0; j < width; j += lanes)
            StoreFirst<V, TVec>(c + j, V.Load(sums + j), Math.Min(lanes, width - j), q.Accumulate);
    }

    /// <summary>
    /// Rows i..i+3 (those inside C) of C[:, j0..j1]: two vectors of columns at a time, then one
    /// vector, then the first lanes of one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowCombinationRows<V, TVec>(in Problem q, int i, int j0, int j1)
        where V : struct, IVector<TVec> where TVec : struct
    {
        int m = q.M, n = q.N, k = q.K, lanes = V.Count;
        bool accumulate = q.Accumulate;
        // Step between A(i, p) and A(i, p + 1), and between A(i, p) and A(i + 1, p). The last
        // block of rows repeats row i when m is not a multiple of 4; repeated rows are computed
        // and not stored.
        long pStep = q.TransA ? m : 1, iStep = q.TransA ? 1 : k;
        int rows = Math.Min(4, m - i);
        float* a0 = AAt(q, i, 0), a1 = a0 + (rows > 1 ? iStep : 0), a2 = a0 + (rows > 2 ? 2 * iStep : 0), a3 = a0 + (rows > 3 ? 3 * iStep : 0);
        float* cRow = q.C + (long)i * n;
        int j = j0;
        for (; j + 2 * lanes <= j1; j += 2 * lanes)
        {
            TVec c00 = V.Zero, c01 = V.Zero, c10 = V.Zero, c11 = V.Zero,
                c20 = V.Zero, c21 = V.Zero, c30 = V.Zero, c31 = V.Zero;
            float* b = q.B + j;
            for (long o = 0, end = k * pStep; o < end; o += pStep, b += n)
            {
                var b0 = V.Load(b);
                var b1 = V.Load(b + lanes);
                var x = V.Create(a0[o]);
                c00 = V.MultiplyAdd(x, b0, c00);
                c01 = V.MultiplyAdd(x, b1, c01);
                x = V.Create(a1[o]);
                c10 = V.MultiplyAdd(x, b0, c10);
                c11 = V.MultiplyAdd(x, b1, c11);
                x = V.Create(a2[o]);
                c20 = V.MultiplyAdd(x, b0, c20);
                c21 = V.MultiplyAdd(x, b1, c21);
                x = V.Create(a3[o]);
                c30 = V.MultiplyAdd(x, b0, c30);
                c31 = V.MultiplyAdd(x, b1, c31);
            }
            float* c = cRow + j;
            if (accumulate)
            {
                // All loads of C before any store: rows a multiple of 4 KB apart would otherwise
                // make each load wait for the previous row's store (4K aliasing).
                c00 = V.Add(c00, V.Load(c)); c01 = V.Add(c01, V.Load(c + lanes));
                if (rows > 1) { c10 = V.Add(c10, V.Load(c + n)); c11 = V.Add(c11, V.Load(c + n + lanes)); }
                if (rows > 2) { c20 = V.Add(c20, V.Load(c + 2 * n)); c21 = V.Add(c21, V.Load(c + 2 * n + lanes)); }
                if (rows > 3) { c30 = V.Add(c30, V.Load(c + 3 * n)); c31 = V.Add(c31, V.Load(c + 3 * n + lanes)); }
            }
            V.Store(c00, c); V.Store(c01, c + lanes);
            if (rows > 1) { V.Store(c10, c + n); V.Store(c11, c + n + lanes); }
            if (rows > 2) { V.Store(c20, c + 2 * n); V.Store(c21, c + 2 * n + lanes); }
            if (rows > 3) { V.Store(c30, c + 3 * n); V.Store(c31, c + 3 * n + lanes); }
        }
        for (; j < j1; j += lanes)
        {
            int count = Math.Min(lanes, j1 - j);
            TVec c0 = V.Zero, c1 = V.Zero, c2 = V.Zero, c3 = V.Zero;
            float* b = q.B + j;
            for (long o = 0, end = k * pStep; o < end; o += pStep, b += n)
            {
                var b0 = count == lanes ? V.Load(b) : V.LoadFirst(b, count);
                c0 = V.MultiplyAdd(V.Create(a0[o]), b0, c0);
                c1 = V.MultiplyAdd(V.Create(a1[o]), b0, c1);
                c2 = V.MultiplyAdd(V.Create(a2[o]), b0, c2);
                c3 = V.MultiplyAdd(V.Create(a3[o]), b0, c3);
            }
            float* c = cRow + j;
            StoreFirst<V, TVec>(c, c0, count, accumulate);
            if (rows > 1) StoreFirst<V, TVec>(c + n, c1, count, accumulate);
            if (rows > 2) StoreFirst<V, TVec>(c + 2 * n, c2, count, accumulate);
            if (rows > 3) StoreFirst<V, TVec>(c + 3 * n, c3, count, accumulate);
        }
    }

    // The first `count` lanes of `value` to c (added to what is there when accumulating).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreFirst<V, TVec>(float* c, TVec value, int count, bool accumulate)
        where V : struct, IVector<TVec> where TVec : struct
    {
        if (count == V.Count)
        {
            if (accumulate) value = V.Add(value, V.Load(c));
            V.Store(value, c);
            return;
        }
        if (accumulate) value = V.Add(value, V.LoadFirst(c, count));
        V.StoreFirst(value, c, count);
    }

    /// <summary>C[m0..m1, n0..n1] = A[m0..m1, :] * B[n0..n1, :]^T (+ C), B [N, K] (transposed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dots<V, TVec>(in Problem q, int m0, int m1, int n0, int n1)
        where V : struct, IVector<TVec> where TVec : struct
    {
        int n = q.N, k = q.K, lanes = V.Count, vectorK = k / lanes * lanes;
        Span<float> sums = stackalloc float[8];
        for (int i = m0; i < m1; i += 2)
        {
            bool twoRows = i + 1 < m1;
            float* a0 = q.A + (long)i * k, a1 = twoRows ? a0 + k : a0;
            for (int j = n0; j < n1; j += 4)
            {
                // Columns past n1 repeat column j and are not stored.
                int columns = Math.Min(4, n1 - j);
                float* b0 = q.B + (long)j * k, b1 = b0 + (columns > 1 ? k : 0), b2 = b0 + (columns > 2 ? 2 * k : 0), b3 = b0 + (columns > 3 ? 3 * k : 0);
                TVec s00 = V.Zero, s01 = V.Zero, s02 = V.Zero, s03 = V.Zero,
                    s10 = V.Zero, s11 = V.Zero, s12 = V.Zero, s13 = V.Zero;
                for (int p = 0; p < vectorK; p += lanes)
                {
                    var x0 = V.Load(a0 + p);
                    var x1 = V.Load(a1 + p);
                    var y = V.Load(b0 + p);
                    s00 = V.MultiplyAdd(x0, y, s00);
                    s10 = V.MultiplyAdd(x1, y, s10);
                    y = V.Load(b1 + p);
                    s01 = V.MultiplyAdd(x0, y, s01);
                    s11 = V.MultiplyAdd(x1, y, s11);
                    y = V.Load(b2 + p);
                    s02 = V.MultiplyAdd(x0, y, s02);
                    s12 = V.MultiplyAdd(x1, y, s12);
                    y = V.Load(b3 + p);
                    s03 = V.MultiplyAdd(x0, y, s03);
                    s13 = V.MultiplyAdd(x1, y, s13);
                }
                sums[0] = V.Sum(s00); sums[1] = V.Sum(s01); sums[2] = V.Sum(s02); sums[3] = V.Sum(s03);
                sums[4] = V.Sum(s10); sums[5] = V.Sum(s11); sums[6] = V.Sum(s12); sums[7] = V.Sum(s13);
                for (int r = 0; r < (twoRows ? 2 : 1); r++)
                {
                    float* a = r == 0 ? a0 : a1;
                    for (int col = 0; col < columns; col++)
                    {
                        float sum = sums[r * 4 + col];
                        float* b = q.B + (long)(j + col) * k;
                        for (int p = vectorK; p < k; p++) sum = float.MultiplyAddEstimate(a[p], b[p], sum);
                        float* c = q.C + (long)(i + r) * n + j + col;
                        *c = q.Accumulate ? *c + sum : sum;
                    }
                }
            }
        }
    }
}
