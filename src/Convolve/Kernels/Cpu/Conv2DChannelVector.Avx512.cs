using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

// The AVX-512 pieces of Conv2DChannelVector: the register-blocked micro-kernels (one compiled
// copy per column count), BackwardInput's dCol kernel, and the 16 x 16 transposes between NCHW
// planes and tiles of 16 channels.
public sealed partial class Conv2DChannelVector
{
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
