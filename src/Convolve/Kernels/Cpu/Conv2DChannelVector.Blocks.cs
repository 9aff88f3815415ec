using System.Runtime.CompilerServices;

namespace Convolve.Kernels.Cpu;

// The register-blocked micro-kernels of Conv2DChannelVector, written once for every vector
// width W (V.Count floats: one channel group): the forward and weight-gradient blocks (one
// compiled copy per column count and width) and BackwardInput's dCol kernel.
internal sealed partial class Conv2DChannelVector
{
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

    private static unsafe void ForwardBlock<V, TVec>(int columns, float* origin, float* weights, int* offsets, int taps, int pw, TVec start, float* tile,
        int tileRow)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        switch (columns)
        {
            case 1: ForwardBlock<V, TVec, Columns1>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 2: ForwardBlock<V, TVec, Columns2>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 3: ForwardBlock<V, TVec, Columns3>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 4: ForwardBlock<V, TVec, Columns4>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 5: ForwardBlock<V, TVec, Columns5>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 6: ForwardBlock<V, TVec, Columns6>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 7: ForwardBlock<V, TVec, Columns7>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 8: ForwardBlock<V, TVec, Columns8>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 9: ForwardBlock<V, TVec, Columns9>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 10: ForwardBlock<V, TVec, Columns10>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            case 11: ForwardBlock<V, TVec, Columns11>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
            default: ForwardBlock<V, TVec, Columns12>(origin, weights, offsets, taps, pw, start, tile, tileRow); break;
        }
    }

    // Two rows of TColumns outputs of W channels, from `origin` (the block's first input):
    // start plus, for each tap t, weights[t] times the input at offsets[t], broadcast; stored to
    // the tile (rows tileRow apart).
    [SkipLocalsInit]
    private static unsafe void ForwardBlock<V, TVec, TColumns>(float* origin, float* weights, int* offsets, int taps, int pw, TVec start, float* tile,
        int tileRow)
        where V : struct, IVector<TVec> where TVec : unmanaged where TColumns : struct, IColumns
    {
        int n = TColumns.Count, L = V.Count;
        TVec a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start, a6 = start, a7 = start, a8 = start, a9 = start, a10 = start, a11 = start;
        TVec b0 = start, b1 = start, b2 = start, b3 = start, b4 = start, b5 = start, b6 = start, b7 = start, b8 = start, b9 = start, b10 = start, b11 = start;
        for (int t = 0; t < taps; t++)
        {
            var w = V.Load(weights + t * L);
            float* p = origin + offsets[t], q = p + pw;
            { a0 = V.MultiplyAdd(w, V.Create(p[0]), a0); b0 = V.MultiplyAdd(w, V.Create(q[0]), b0); }
            if (n > 1) { a1 = V.MultiplyAdd(w, V.Create(p[1]), a1); b1 = V.MultiplyAdd(w, V.Create(q[1]), b1); }
            if (n > 2) { a2 = V.MultiplyAdd(w, V.Create(p[2]), a2); b2 = V.MultiplyAdd(w, V.Create(q[2]), b2); }
            if (n > 3) { a3 = V.MultiplyAdd(w, V.Create(p[3]), a3); b3 = V.MultiplyAdd(w, V.Create(q[3]), b3); }
            if (n > 4) { a4 = V.MultiplyAdd(w, V.Create(p[4]), a4); b4 = V.MultiplyAdd(w, V.Create(q[4]), b4); }
            if (n > 5) { a5 = V.MultiplyAdd(w, V.Create(p[5]), a5); b5 = V.MultiplyAdd(w, V.Create(q[5]), b5); }
            if (n > 6) { a6 = V.MultiplyAdd(w, V.Create(p[6]), a6); b6 = V.MultiplyAdd(w, V.Create(q[6]), b6); }
            if (n > 7) { a7 = V.MultiplyAdd(w, V.Create(p[7]), a7); b7 = V.MultiplyAdd(w, V.Create(q[7]), b7); }
            if (n > 8) { a8 = V.MultiplyAdd(w, V.Create(p[8]), a8); b8 = V.MultiplyAdd(w, V.Create(q[8]), b8); }
            if (n > 9) { a9 = V.MultiplyAdd(w, V.Create(p[9]), a9); b9 = V.MultiplyAdd(w, V.Create(q[9]), b9); }
            if (n > 10) { a10 = V.MultiplyAdd(w, V.Create(p[10]), a10); b10 = V.MultiplyAdd(w, V.Create(q[10]), b10); }
            if (n > 11) { a11 = V.MultiplyAdd(w, V.Create(p[11]), a11); b11 = V.MultiplyAdd(w, V.Create(q[11]), b11); }
        }
        { V.Store(a0, tile + 0 * L); V.Store(b0, tile + tileRow + 0 * L); }
        if (n > 1) { V.Store(a1, tile + 1 * L); V.Store(b1, tile + tileRow + 1 * L); }
        if (n > 2) { V.Store(a2, tile + 2 * L); V.Store(b2, tile + tileRow + 2 * L); }
        if (n > 3) { V.Store(a3, tile + 3 * L); V.Store(b3, tile + tileRow + 3 * L); }
        if (n > 4) { V.Store(a4, tile + 4 * L); V.Store(b4, tile + tileRow + 4 * L); }
        if (n > 5) { V.Store(a5, tile + 5 * L); V.Store(b5, tile + tileRow + 5 * L); }
        if (n > 6) { V.Store(a6, tile + 6 * L); V.Store(b6, tile + tileRow + 6 * L); }
        if (n > 7) { V.Store(a7, tile + 7 * L); V.Store(b7, tile + tileRow + 7 * L); }
        if (n > 8) { V.Store(a8, tile + 8 * L); V.Store(b8, tile + tileRow + 8 * L); }
        if (n > 9) { V.Store(a9, tile + 9 * L); V.Store(b9, tile + tileRow + 9 * L); }
        if (n > 10) { V.Store(a10, tile + 10 * L); V.Store(b10, tile + tileRow + 10 * L); }
        if (n > 11) { V.Store(a11, tile + 11 * L); V.Store(b11, tile + tileRow + 11 * L); }
    }

    private static unsafe void ForwardPair<V, TVec>(int columns, float* origin, float* weights, int* offsets, int taps, int pw, TVec start0, TVec start1,
        float* tile0, float* tile1, int tileRow)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        switch (columns)
        {
            case 1: ForwardPair<V, TVec, Columns1>(origin, weights, offsets, taps, pw, start0, start1, tile0, tile1, tileRow); break;
            case 2: ForwardPair<V, TVec, Columns2>(origin, weights, offsets, taps, pw, start0, start1, tile0, tile1, tileRow); break;
            default: ForwardPair<V, TVec, Columns3>(origin, weights, offsets, taps, pw, start0, start1, tile0, tile1, tileRow); break;
        }
    }

    // ForwardBlock for two vectors of channels (two channel groups of W, weights packed one after
    // the other, taps x W each) at up to three columns: each broadcast input feeds both vectors.
    // The first vector's outputs go to tile0, the second's to tile1.
    [SkipLocalsInit]
    private static unsafe void ForwardPair<V, TVec, TColumns>(float* origin, float* weights, int* offsets, int taps, int pw, TVec start0, TVec start1,
        float* tile0, float* tile1, int tileRow)
        where V : struct, IVector<TVec> where TVec : unmanaged where TColumns : struct, IColumns
    {
        int n = TColumns.Count, L = V.Count;
        TVec a0 = start0, a1 = start0, a2 = start0, b0 = start0, b1 = start0, b2 = start0;
        TVec c0 = start1, c1 = start1, c2 = start1, d0 = start1, d1 = start1, d2 = start1;
        float* weights1 = weights + taps * L;
        for (int t = 0; t < taps; t++)
        {
            var w0 = V.Load(weights + t * L);
            var w1 = V.Load(weights1 + t * L);
            float* p = origin + offsets[t], q = p + pw;
            {
                var x = V.Create(p[0]); var z = V.Create(q[0]); a0 = V.MultiplyAdd(w0, x, a0);
                c0 = V.MultiplyAdd(w1, x, c0); b0 = V.MultiplyAdd(w0, z, b0); d0 = V.MultiplyAdd(w1, z, d0);
            }
            if (n > 1)
            {
                var x = V.Create(p[1]); var z = V.Create(q[1]); a1 = V.MultiplyAdd(w0, x, a1);
                c1 = V.MultiplyAdd(w1, x, c1); b1 = V.MultiplyAdd(w0, z, b1); d1 = V.MultiplyAdd(w1, z, d1);
            }
            if (n > 2)
            {
                var x = V.Create(p[2]); var z = V.Create(q[2]); a2 = V.MultiplyAdd(w0, x, a2);
                c2 = V.MultiplyAdd(w1, x, c2); b2 = V.MultiplyAdd(w0, z, b2); d2 = V.MultiplyAdd(w1, z, d2);
            }
        }
        { V.Store(a0, tile0 + 0 * L); V.Store(b0, tile0 + tileRow + 0 * L); V.Store(c0, tile1 + 0 * L); V.Store(d0, tile1 + tileRow + 0 * L); }
        if (n > 1) { V.Store(a1, tile0 + 1 * L); V.Store(b1, tile0 + tileRow + 1 * L); V.Store(c1, tile1 + 1 * L); V.Store(d1, tile1 + tileRow + 1 * L); }
        if (n > 2) { V.Store(a2, tile0 + 2 * L); V.Store(b2, tile0 + tileRow + 2 * L); V.Store(c2, tile1 + 2 * L); V.Store(d2, tile1 + tileRow + 2 * L); }
    }

    private static unsafe void WeightPair<V, TVec>(int columns, float* origin, float* dys0, float* dys1, int tileRow, bool skipFirstRow, int* offsets, int taps,
        int pw, float* dWeights)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        switch (columns)
        {
            case 1: WeightPair<V, TVec, Columns1>(origin, dys0, dys1, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 2: WeightPair<V, TVec, Columns2>(origin, dys0, dys1, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            default: WeightPair<V, TVec, Columns3>(origin, dys0, dys1, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
        }
    }

    // WeightBlock for two vectors of channels (dOutput tiles dys0 and dys1; gradients packed one
    // after the other, taps x W each) at up to three columns: each broadcast input feeds both,
    // one sum per vector (the taps' sums are independent, so their latencies overlap).
    [SkipLocalsInit]
    private static unsafe void WeightPair<V, TVec, TColumns>(float* origin, float* dys0, float* dys1, int tileRow, bool skipFirstRow, int* offsets, int taps,
        int pw, float* dWeights)
        where V : struct, IVector<TVec> where TVec : unmanaged where TColumns : struct, IColumns
    {
        int n = TColumns.Count, L = V.Count;
        var keep = skipFirstRow ? V.Zero : V.LanesFrom(0);
        TVec a0 = default, a1 = default, a2 = default, b0 = default, b1 = default, b2 = default;
        TVec c0 = default, c1 = default, c2 = default, d0 = default, d1 = default, d2 = default;
        {
            a0 = V.BitwiseAnd(V.Load(dys0 + 0 * L), keep); b0 = V.Load(dys0 + tileRow + 0 * L);
            c0 = V.BitwiseAnd(V.Load(dys1 + 0 * L), keep); d0 = V.Load(dys1 + tileRow + 0 * L);
        }
        if (n > 1)
        {
            a1 = V.BitwiseAnd(V.Load(dys0 + 1 * L), keep); b1 = V.Load(dys0 + tileRow + 1 * L);
            c1 = V.BitwiseAnd(V.Load(dys1 + 1 * L), keep); d1 = V.Load(dys1 + tileRow + 1 * L);
        }
        if (n > 2)
        {
            a2 = V.BitwiseAnd(V.Load(dys0 + 2 * L), keep); b2 = V.Load(dys0 + tileRow + 2 * L);
            c2 = V.BitwiseAnd(V.Load(dys1 + 2 * L), keep); d2 = V.Load(dys1 + tileRow + 2 * L);
        }
        float* dWeights1 = dWeights + taps * L;
        for (int t = 0; t < taps; t++)
        {
            float* p = origin + offsets[t], q = p + pw;
            var x0 = V.Create(p[0]); var z0 = V.Create(q[0]);
            var s0 = V.Multiply(a0, x0);
            var s1 = V.Multiply(c0, x0);
            s0 = V.MultiplyAdd(b0, z0, s0);
            s1 = V.MultiplyAdd(d0, z0, s1);
            if (n > 1)
            {
                var x = V.Create(p[1]); var z = V.Create(q[1]); s0 = V.MultiplyAdd(a1, x, s0);
                s1 = V.MultiplyAdd(c1, x, s1); s0 = V.MultiplyAdd(b1, z, s0); s1 = V.MultiplyAdd(d1, z, s1);
            }
            if (n > 2)
            {
                var x = V.Create(p[2]); var z = V.Create(q[2]); s0 = V.MultiplyAdd(a2, x, s0);
                s1 = V.MultiplyAdd(c2, x, s1); s0 = V.MultiplyAdd(b2, z, s0); s1 = V.MultiplyAdd(d2, z, s1);
            }
            float* d = dWeights + t * L, e = dWeights1 + t * L;
            V.Store(V.Add(V.Load(d), s0), d);
            V.Store(V.Add(V.Load(e), s1), e);
        }
    }

    private static unsafe void WeightBlock<V, TVec>(int columns, float* origin, float* dys, int tileRow, bool skipFirstRow, int* offsets, int taps, int pw,
        float* dWeights)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        switch (columns)
        {
            case 1: WeightBlock<V, TVec, Columns1>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 2: WeightBlock<V, TVec, Columns2>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 3: WeightBlock<V, TVec, Columns3>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 4: WeightBlock<V, TVec, Columns4>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 5: WeightBlock<V, TVec, Columns5>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 6: WeightBlock<V, TVec, Columns6>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 7: WeightBlock<V, TVec, Columns7>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 8: WeightBlock<V, TVec, Columns8>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 9: WeightBlock<V, TVec, Columns9>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 10: WeightBlock<V, TVec, Columns10>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            case 11: WeightBlock<V, TVec, Columns11>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
            default: WeightBlock<V, TVec, Columns12>(origin, dys, tileRow, skipFirstRow, offsets, taps, pw, dWeights); break;
        }
    }

    // For two rows of TColumns positions from `origin`, with their dOutput vectors (W channels)
    // in the tile `dys`: dWeights[t] += Σ_positions dOutput * the input at offsets[t], broadcast,
    // in four partial sums. The first row's dOutput counts as zero when skipFirstRow.
    [SkipLocalsInit]
    private static unsafe void WeightBlock<V, TVec, TColumns>(float* origin, float* dys, int tileRow, bool skipFirstRow, int* offsets, int taps, int pw,
        float* dWeights)
        where V : struct, IVector<TVec> where TVec : unmanaged where TColumns : struct, IColumns
    {
        int n = TColumns.Count, L = V.Count;
        var keep = skipFirstRow ? V.Zero : V.LanesFrom(0);
        TVec a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default,
            a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        TVec b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default,
            b6 = default, b7 = default, b8 = default, b9 = default, b10 = default, b11 = default;
        { a0 = V.BitwiseAnd(V.Load(dys + 0 * L), keep); b0 = V.Load(dys + tileRow + 0 * L); }
        if (n > 1) { a1 = V.BitwiseAnd(V.Load(dys + 1 * L), keep); b1 = V.Load(dys + tileRow + 1 * L); }
        if (n > 2) { a2 = V.BitwiseAnd(V.Load(dys + 2 * L), keep); b2 = V.Load(dys + tileRow + 2 * L); }
        if (n > 3) { a3 = V.BitwiseAnd(V.Load(dys + 3 * L), keep); b3 = V.Load(dys + tileRow + 3 * L); }
        if (n > 4) { a4 = V.BitwiseAnd(V.Load(dys + 4 * L), keep); b4 = V.Load(dys + tileRow + 4 * L); }
        if (n > 5) { a5 = V.BitwiseAnd(V.Load(dys + 5 * L), keep); b5 = V.Load(dys + tileRow + 5 * L); }
        if (n > 6) { a6 = V.BitwiseAnd(V.Load(dys + 6 * L), keep); b6 = V.Load(dys + tileRow + 6 * L); }
        if (n > 7) { a7 = V.BitwiseAnd(V.Load(dys + 7 * L), keep); b7 = V.Load(dys + tileRow + 7 * L); }
        if (n > 8) { a8 = V.BitwiseAnd(V.Load(dys + 8 * L), keep); b8 = V.Load(dys + tileRow + 8 * L); }
        if (n > 9) { a9 = V.BitwiseAnd(V.Load(dys + 9 * L), keep); b9 = V.Load(dys + tileRow + 9 * L); }
        if (n > 10) { a10 = V.BitwiseAnd(V.Load(dys + 10 * L), keep); b10 = V.Load(dys + tileRow + 10 * L); }
        if (n > 11) { a11 = V.BitwiseAnd(V.Load(dys + 11 * L), keep); b11 = V.Load(dys + tileRow + 11 * L); }
        for (int t = 0; t < taps; t++)
        {
            float* p = origin + offsets[t], q = p + pw;
            var s0 = V.Multiply(a0, V.Create(p[0]));
            var s1 = V.Multiply(b0, V.Create(q[0]));
            TVec s2 = default, s3 = default;
            if (n > 1) { s2 = V.Multiply(a1, V.Create(p[1])); s3 = V.Multiply(b1, V.Create(q[1])); }
            if (n > 2) { s0 = V.MultiplyAdd(a2, V.Create(p[2]), s0); s1 = V.MultiplyAdd(b2, V.Create(q[2]), s1); }
            if (n > 3) { s2 = V.MultiplyAdd(a3, V.Create(p[3]), s2); s3 = V.MultiplyAdd(b3, V.Create(q[3]), s3); }
            if (n > 4) { s0 = V.MultiplyAdd(a4, V.Create(p[4]), s0); s1 = V.MultiplyAdd(b4, V.Create(q[4]), s1); }
            if (n > 5) { s2 = V.MultiplyAdd(a5, V.Create(p[5]), s2); s3 = V.MultiplyAdd(b5, V.Create(q[5]), s3); }
            if (n > 6) { s0 = V.MultiplyAdd(a6, V.Create(p[6]), s0); s1 = V.MultiplyAdd(b6, V.Create(q[6]), s1); }
            if (n > 7) { s2 = V.MultiplyAdd(a7, V.Create(p[7]), s2); s3 = V.MultiplyAdd(b7, V.Create(q[7]), s3); }
            if (n > 8) { s0 = V.MultiplyAdd(a8, V.Create(p[8]), s0); s1 = V.MultiplyAdd(b8, V.Create(q[8]), s1); }
            if (n > 9) { s2 = V.MultiplyAdd(a9, V.Create(p[9]), s2); s3 = V.MultiplyAdd(b9, V.Create(q[9]), s3); }
            if (n > 10) { s0 = V.MultiplyAdd(a10, V.Create(p[10]), s0); s1 = V.MultiplyAdd(b10, V.Create(q[10]), s1); }
            if (n > 11) { s2 = V.MultiplyAdd(a11, V.Create(p[11]), s2); s3 = V.MultiplyAdd(b11, V.Create(q[11]), s3); }
            float* d = dWeights + t * L;
            V.Store(V.Add(V.Load(d), V.Add(V.Add(s0, s1), V.Add(s2, s3))), d);
        }
    }

    /// <summary>
    /// dCol[t, 0 .. W) (+)= Σ_k weights[t, k] * dOutput[k, 0 .. W) for every tap t: the W rows
    /// of dOutput (<paramref name="stride"/> apart, <paramref name="count"/> values each, zeros
    /// after) in registers, each packed weight broadcast, in four partial sums.
    /// </summary>
    [SkipLocalsInit]
    private static unsafe void InputColumns<V, TVec>(float* dy, int stride, int count, float* weights, int taps, float* columns, int columnStride,
        bool accumulate)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        int L = V.Count;
        TVec d4 = default, d5 = default, d6 = default, d7 = default, d8 = default, d9 = default, d10 = default, d11 = default;
        TVec d12 = default, d13 = default, d14 = default, d15 = default;
        var d0 = V.LoadFirst(dy, count); var d1 = V.LoadFirst(dy + stride, count);
        var d2 = V.LoadFirst(dy + 2 * stride, count); var d3 = V.LoadFirst(dy + 3 * stride, count);
        if (L > 4)
        {
            d4 = V.LoadFirst(dy + 4 * stride, count); d5 = V.LoadFirst(dy + 5 * stride, count);
            d6 = V.LoadFirst(dy + 6 * stride, count); d7 = V.LoadFirst(dy + 7 * stride, count);
        }
        if (L > 8)
        {
            d8 = V.LoadFirst(dy + 8 * stride, count); d9 = V.LoadFirst(dy + 9 * stride, count);
            d10 = V.LoadFirst(dy + 10 * stride, count); d11 = V.LoadFirst(dy + 11 * stride, count);
            d12 = V.LoadFirst(dy + 12 * stride, count); d13 = V.LoadFirst(dy + 13 * stride, count);
            d14 = V.LoadFirst(dy + 14 * stride, count); d15 = V.LoadFirst(dy + 15 * stride, count);
        }
        for (int t = 0; t < taps; t++)
        {
            float* wt = weights + t * L;
            var s0 = V.Multiply(d0, V.Create(wt[0]));
            var s1 = V.Multiply(d1, V.Create(wt[1]));
            var s2 = V.Multiply(d2, V.Create(wt[2]));
            var s3 = V.Multiply(d3, V.Create(wt[3]));
            if (L > 4)
            {
                s0 = V.MultiplyAdd(d4, V.Create(wt[4]), s0);
                s1 = V.MultiplyAdd(d5, V.Create(wt[5]), s1);
                s2 = V.MultiplyAdd(d6, V.Create(wt[6]), s2);
                s3 = V.MultiplyAdd(d7, V.Create(wt[7]), s3);
            }
            if (L > 8)
            {
                s0 = V.MultiplyAdd(d8, V.Create(wt[8]), s0);
                s1 = V.MultiplyAdd(d9, V.Create(wt[9]), s1);
                s2 = V.MultiplyAdd(d10, V.Create(wt[10]), s2);
                s3 = V.MultiplyAdd(d11, V.Create(wt[11]), s3);
                s0 = V.MultiplyAdd(d12, V.Create(wt[12]), s0);
                s1 = V.MultiplyAdd(d13, V.Create(wt[13]), s1);
                s2 = V.MultiplyAdd(d14, V.Create(wt[14]), s2);
                s3 = V.MultiplyAdd(d15, V.Create(wt[15]), s3);
            }
            var sum = V.Add(V.Add(s0, s1), V.Add(s2, s3));
            float* target = columns + t * columnStride;
            if (accumulate) sum = V.Add(sum, V.Load(target));
            V.Store(sum, target);
        }
    }
}
