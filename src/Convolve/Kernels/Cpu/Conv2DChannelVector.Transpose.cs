using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

// The width-specific pieces of Conv2DChannelVector: W x W transposes between NCHW planes and
// tiles of W channels (W = 16, 8 or 4 floats per vector), and loads and stores of a vector's
// first lanes. Each branches on the vector type, which the JIT resolves per instantiation; the
// instruction-set paths (AVX-512, AVX, SSE, AdvSimd) each have a plain fallback that computes
// the same values, so every width is correct on every CPU.
public sealed partial class Conv2DChannelVector
{
    // planes [W, count] (rows `count` apart) = tile [count, W] transposed, rectified if asked.
    private static unsafe void TileToPlanes<V, TVec>(float* tile, float* planes, int count, bool rectify)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        int lanes = V.Count;
        for (int p = 0; p < count; p += lanes)
            Transpose<V, TVec>(tile + p * lanes, lanes, planes + p, count, loadCount: lanes, storeCount: Math.Min(lanes, count - p), rectify);
    }

    // tile [count rounded up to W, W] = planes [W, count] transposed (zeros past count).
    private static unsafe void PlanesToTile<V, TVec>(float* planes, int count, float* tile)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        int lanes = V.Count;
        for (int p = 0; p < count; p += lanes)
            Transpose<V, TVec>(planes + p, count, tile + p * lanes, lanes, loadCount: Math.Min(lanes, count - p), storeCount: lanes, rectify: false);
    }

    /// <summary>
    /// A W x W transpose: <c>to[j * toStride + i] = from[i * fromStride + j]</c>, reading the
    /// first <paramref name="loadCount"/> values of each source row (zeros after) and writing the
    /// first <paramref name="storeCount"/> of each target row, each written value rectified
    /// (<c>max(0, v)</c>) if asked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose<V, TVec>(float* from, int fromStride, float* to, int toStride, int loadCount, int storeCount, bool rectify)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
            Transpose16(from, fromStride, to, toStride, loadCount, storeCount, rectify);
        else if (typeof(TVec) == typeof(Vector256<float>) && Avx.IsSupported)
            Transpose8(from, fromStride, to, toStride, loadCount, storeCount, rectify);
        else if (typeof(TVec) == typeof(Vector128<float>) && (Sse.IsSupported || AdvSimd.Arm64.IsSupported))
            Transpose4(from, fromStride, to, toStride, loadCount, storeCount, rectify);
        else
            TransposePlain(V.Count, from, fromStride, to, toStride, loadCount, storeCount, rectify);
    }

    /// <summary>
    /// 16 x 16 (AVX-512): interleaves 32-bit, then 64-bit pairs within 128-bit lanes, then moves
    /// the lanes in two steps.
    /// </summary>
    private static unsafe void Transpose16(float* from, int fromStride, float* to, int toStride, int loadCount, int storeCount, bool rectify)
    {
        const int lanes = 16;
        var loadMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(loadCount)).AsSingle();
        bool partialLoad = loadCount < lanes;
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
            if (storeCount < lanes) Avx512F.MaskStore(to + j * toStride, storeMask, column);
            else column.Store(to + j * toStride);
        }
    }

    private static Vector512<float> Low64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    private static Vector512<float> High64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>
    /// 8 x 8 (AVX): interleaves 32-bit pairs, then picks 64-bit pairs within each 128-bit half,
    /// then joins the halves of rows 0-3 and 4-7.
    /// </summary>
    private static unsafe void Transpose8(float* from, int fromStride, float* to, int toStride, int loadCount, int storeCount, bool rectify)
    {
        const int lanes = 8;
        var loadMask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(loadCount)).AsSingle();
        bool partialLoad = loadCount < lanes;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector256<float> Row(int i) => partialLoad ? Avx.MaskLoad(from + i * fromStride, loadMask) : Vector256.Load(from + i * fromStride);
        var r0 = Row(0); var r1 = Row(1); var r2 = Row(2); var r3 = Row(3);
        var r4 = Row(4); var r5 = Row(5); var r6 = Row(6); var r7 = Row(7);
        // t: pairs of rows interleaved by 32 bits ([r0_0, r1_0, r0_1, r1_1 | r0_4, r1_4, r0_5, r1_5] ...).
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        // u[4q + e]: rows 4q .. 4q + 3 of column e (low half) and e + 4 (high half).
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        var storeMask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(storeCount)).AsSingle();
        Put(0, Avx.Permute2x128(u0, u4, 0x20)); Put(4, Avx.Permute2x128(u0, u4, 0x31));
        Put(1, Avx.Permute2x128(u1, u5, 0x20)); Put(5, Avx.Permute2x128(u1, u5, 0x31));
        Put(2, Avx.Permute2x128(u2, u6, 0x20)); Put(6, Avx.Permute2x128(u2, u6, 0x31));
        Put(3, Avx.Permute2x128(u3, u7, 0x20)); Put(7, Avx.Permute2x128(u3, u7, 0x31));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        void Put(int j, Vector256<float> column)
        {
            if (rectify) column = Vector256.Max(column, Vector256<float>.Zero);
            if (storeCount < lanes) Avx.MaskStore(to + j * toStride, storeMask, column);
            else column.Store(to + j * toStride);
        }
    }

    /// <summary>4 x 4 (SSE or AdvSimd): interleaves 32-bit pairs, then 64-bit pairs.</summary>
    private static unsafe void Transpose4(float* from, int fromStride, float* to, int toStride, int loadCount, int storeCount, bool rectify)
    {
        var r0 = V128.LoadFirst(from, loadCount);
        var r1 = V128.LoadFirst(from + fromStride, loadCount);
        var r2 = V128.LoadFirst(from + 2 * fromStride, loadCount);
        var r3 = V128.LoadFirst(from + 3 * fromStride, loadCount);
        var t0 = ZipLow32(r0, r1); var t1 = ZipHigh32(r0, r1);
        var t2 = ZipLow32(r2, r3); var t3 = ZipHigh32(r2, r3);
        Put(0, ZipLow64(t0, t2)); Put(1, ZipHigh64(t0, t2));
        Put(2, ZipLow64(t1, t3)); Put(3, ZipHigh64(t1, t3));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        void Put(int j, Vector128<float> column)
        {
            if (rectify) column = Vector128.Max(column, Vector128<float>.Zero);
            V128.StoreFirst(column, to + j * toStride, storeCount);
        }
    }

    // [a0, b0, a1, b1] and [a2, b2, a3, b3].
    private static Vector128<float> ZipLow32(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.UnpackLow(a, b) : AdvSimd.Arm64.ZipLow(a, b);

    private static Vector128<float> ZipHigh32(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.UnpackHigh(a, b) : AdvSimd.Arm64.ZipHigh(a, b);

    // [a0, a1, b0, b1] and [a2, a3, b2, b3].
    private static Vector128<float> ZipLow64(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.MoveLowToHigh(a, b) : AdvSimd.Arm64.ZipLow(a.AsDouble(), b.AsDouble()).AsSingle();

    private static Vector128<float> ZipHigh64(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.MoveHighToLow(b, a) : AdvSimd.Arm64.ZipHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    // The transpose with plain loops, for a width whose instructions this CPU lacks.
    private static unsafe void TransposePlain(int lanes, float* from, int fromStride, float* to, int toStride, int loadCount, int storeCount, bool rectify)
    {
        for (int j = 0; j < lanes; j++)
        for (int i = 0; i < storeCount; i++)
        {
            float value = j < loadCount ? from[i * fromStride + j] : 0f;
            to[j * toStride + i] = rectify ? (value > 0f || float.IsNaN(value) ? value : 0f) : value;
        }
    }

    /// <summary>Lanes l with <paramref name="low"/> &lt;= l &lt; <paramref name="high"/> all ones, the others zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec LanesBetween<V, TVec>(int low, int high)
        where V : struct, IVector<TVec> where TVec : unmanaged
    {
        if (typeof(TVec) == typeof(Vector512<float>))
            return Unsafe.BitCast<Vector512<float>, TVec>((Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(low))
                & Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(high))).AsSingle());
        if (typeof(TVec) == typeof(Vector256<float>))
            return Unsafe.BitCast<Vector256<float>, TVec>((Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(low))
                & Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(high))).AsSingle());
        return Unsafe.BitCast<Vector128<float>, TVec>((Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create(low))
            & Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(high))).AsSingle());
    }
}
