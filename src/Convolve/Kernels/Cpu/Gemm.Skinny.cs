using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Multiplies with one tiny side, where packing costs more than it saves: a dense layer with 10
/// outputs multiplies [64, 5408] by [5408, 10] forward, and [10, 64] by [64, 5408] for its
/// weight gradient. Two unpacked AVX-512 kernels take these:
/// <list type="bullet">
/// <item>Row combinations (B not transposed, M or K at most <see cref="Skinny"/>): each row of C is a
/// combination of B's rows, <c>C[i, :] += sum over p of A(i, p) * B[p, :]</c>; four rows of C and
/// 32 columns are in registers while p runs, each B load feeding four multiply-adds.</item>
/// <item>Dot products (A plain, B transposed, N at most <see cref="Skinny"/>): <c>C[i, j] = A[i, :] . B[j, :]</c>,
/// both rows contiguous; two rows of A against four of B, eight sums in registers.</item>
/// </list>
/// Sums over p still run in order 0..k-1 per vector lane; the dot products add their 16 lanes at
/// the end (so their rounding differs from the packed path's, within the tests' tolerance).
/// </summary>
public sealed partial class Gemm
{
    /// <summary>The largest "tiny" side the unpacked kernels take.</summary>
    internal const int Skinny = 16;

    // Which unpacked kernel takes a problem, if any (AVX-512 machines only).
    private static SkinnyKind SkinnyKindOf(GemmPath path, bool transA, bool transB, int m, int n, int k)
    {
        if (path != GemmPath.Vector512) return SkinnyKind.None;
        if (!transB && (m <= Skinny || k <= Skinny) && n >= 16) return SkinnyKind.RowCombinations;
        if (!transA && transB && n <= Skinny && k >= 64) return SkinnyKind.Dots;
        return SkinnyKind.None;
    }

    private enum SkinnyKind { None, RowCombinations, Dots }

    private static unsafe void RunSkinny(SkinnyKind kind, in Problem problem, int threads)
    {
        // Row combinations split C's columns (in 32s), dot products C's rows (in pairs). Only
        // AVX-512 machines come here (Avx512F's masked loads and stores, see SkinnyKindOf).
        int units = kind == SkinnyKind.RowCombinations ? (problem.N + 31) / 32 : (problem.M + 1) / 2;
        int parts = Math.Max(1, Math.Min(threads, units));
        ParallelParts.Run(parts, parts, new SkinnyJob(kind, problem, parts, units));
    }

    private readonly unsafe struct SkinnyJob(SkinnyKind kind, Problem problem, int parts, int units) : IParallelPart
    {
        public void Run(int part)
        {
            int from = (int)((long)units * part / parts), to = (int)((long)units * (part + 1) / parts);
            if (kind == SkinnyKind.RowCombinations) RowCombinations(problem, from * 32, Math.Min(problem.N, to * 32));
            else Dots(problem, from * 2, Math.Min(problem.M, to * 2));
        }
    }

    // A(i, p): A is [M, K], or [K, M] when transposed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float* AAt(in Problem q, int i, int p) => q.TransA ? q.A + (long)p * q.M + i : q.A + (long)i * q.K + p;

    /// <summary>C[:, n0..n1] = A * B[:, n0..n1] (+ C), B plain [K, N].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowCombinations(in Problem q, int n0, int n1)
    {
        int m = q.M, n = q.N, k = q.K;
        // Step between A(i, p) and A(i, p + 1), and between A(i, p) and A(i + 1, p).
        long pStep = q.TransA ? m : 1, iStep = q.TransA ? 1 : k;
        int j = n0;
        for (; j + 32 <= n1; j += 32)
        {
            for (int i = 0; i < m; i += 4)
            {
                // The last block of rows repeats rows when m is not a multiple of 4; repeated
                // rows are computed and not stored.
                int rows = Math.Min(4, m - i);
                float* a0 = AAt(q, i, 0), a1 = a0 + (rows > 1 ? iStep : 0), a2 = a0 + (rows > 2 ? 2 * iStep : 0), a3 = a0 + (rows > 3 ? 3 * iStep : 0);
                Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default,
                    c20 = default, c21 = default, c30 = default, c31 = default;
                float* b = q.B + j;
                for (int p = 0; p < k; p++, b += n)
                {
                    var b0 = Vector512.Load(b);
                    var b1 = Vector512.Load(b + 16);
                    long o = p * pStep;
                    var x = Vector512.Create(a0[o]);
                    c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
                    c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                    x = Vector512.Create(a1[o]);
                    c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
                    c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                    x = Vector512.Create(a2[o]);
                    c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
                    c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                    x = Vector512.Create(a3[o]);
                    c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
                    c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                }
                float* c = q.C + (long)i * n + j;
                StorePair(c, c00, c01, q.Accumulate);
                if (rows > 1) StorePair(c + n, c10, c11, q.Accumulate);
                if (rows > 2) StorePair(c + 2 * n, c20, c21, q.Accumulate);
                if (rows > 3) StorePair(c + 3 * n, c30, c31, q.Accumulate);
            }
        }
        // Columns left over (fewer than 32): 16 at a time, the last vector masked.
        for (; j < n1; j += 16)
        {
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n1 - j)).AsSingle();
            for (int i = 0; i < m; i += 4)
            {
                int rows = Math.Min(4, m - i);
                float* a0 = AAt(q, i, 0), a1 = a0 + (rows > 1 ? iStep : 0), a2 = a0 + (rows > 2 ? 2 * iStep : 0), a3 = a0 + (rows > 3 ? 3 * iStep : 0);
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
                float* b = q.B + j;
                for (int p = 0; p < k; p++, b += n)
                {
                    var b0 = Avx512F.MaskLoad(b, mask, Vector512<float>.Zero);
                    long o = p * pStep;
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[o]), b0, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[o]), b0, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[o]), b0, c2);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[o]), b0, c3);
                }
                float* c = q.C + (long)i * n + j;
                StoreMasked(c, c0, mask, q.Accumulate);
                if (rows > 1) StoreMasked(c + n, c1, mask, q.Accumulate);
                if (rows > 2) StoreMasked(c + 2 * n, c2, mask, q.Accumulate);
                if (rows > 3) StoreMasked(c + 3 * n, c3, mask, q.Accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreMasked(float* c, Vector512<float> value, Vector512<float> mask, bool accumulate)
    {
        if (accumulate) value += Avx512F.MaskLoad(c, mask, Vector512<float>.Zero);
        Avx512F.MaskStore(c, mask, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePair(float* c, Vector512<float> low, Vector512<float> high, bool accumulate)
    {
        if (accumulate)
        {
            low += Vector512.Load(c);
            high += Vector512.Load(c + 16);
        }
        low.Store(c);
        high.Store(c + 16);
    }

    /// <summary>C[m0..m1, :] = A[m0..m1, :] * B^T (+ C), B [N, K] (transposed), N small.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dots(in Problem q, int m0, int m1)
    {
        int n = q.N, k = q.K, vectorK = k / 16 * 16;
        Span<float> sums = stackalloc float[8];
        for (int i = m0; i < m1; i += 2)
        {
            bool twoRows = i + 1 < m1;
            float* a0 = q.A + (long)i * k, a1 = twoRows ? a0 + k : a0;
            for (int j = 0; j < n; j += 4)
            {
                // Columns past n repeat column j and are not stored.
                int columns = Math.Min(4, n - j);
                float* b0 = q.B + (long)j * k, b1 = b0 + (columns > 1 ? k : 0), b2 = b0 + (columns > 2 ? 2 * k : 0), b3 = b0 + (columns > 3 ? 3 * k : 0);
                Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default,
                    s10 = default, s11 = default, s12 = default, s13 = default;
                for (int p = 0; p < vectorK; p += 16)
                {
                    var x0 = Vector512.Load(a0 + p);
                    var x1 = Vector512.Load(a1 + p);
                    var y = Vector512.Load(b0 + p);
                    s00 = Vector512.FusedMultiplyAdd(x0, y, s00);
                    s10 = Vector512.FusedMultiplyAdd(x1, y, s10);
                    y = Vector512.Load(b1 + p);
                    s01 = Vector512.FusedMultiplyAdd(x0, y, s01);
                    s11 = Vector512.FusedMultiplyAdd(x1, y, s11);
                    y = Vector512.Load(b2 + p);
                    s02 = Vector512.FusedMultiplyAdd(x0, y, s02);
                    s12 = Vector512.FusedMultiplyAdd(x1, y, s12);
                    y = Vector512.Load(b3 + p);
                    s03 = Vector512.FusedMultiplyAdd(x0, y, s03);
                    s13 = Vector512.FusedMultiplyAdd(x1, y, s13);
                }
                sums[0] = Vector512.Sum(s00); sums[1] = Vector512.Sum(s01); sums[2] = Vector512.Sum(s02); sums[3] = Vector512.Sum(s03);
                sums[4] = Vector512.Sum(s10); sums[5] = Vector512.Sum(s11); sums[6] = Vector512.Sum(s12); sums[7] = Vector512.Sum(s13);
                for (int r = 0; r < (twoRows ? 2 : 1); r++)
                {
                    float* a = r == 0 ? a0 : a1;
                    for (int col = 0; col < columns; col++)
                    {
                        float sum = sums[r * 4 + col];
                        float* b = q.B + (long)(j + col) * k;
                        for (int p = vectorK; p < k; p++) sum = MathF.FusedMultiplyAdd(a[p], b[p], sum);
                        float* c = q.C + (long)(i + r) * n + j + col;
                        *c = q.Accumulate ? *c + sum : sum;
                    }
                }
            }
        }
    }
}
