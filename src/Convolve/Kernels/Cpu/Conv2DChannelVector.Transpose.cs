using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

// The width-specific pieces of Conv2DChannelVector: W x W transposes between NCHW planes and
// tiles of W channels (W = 16, 8 or 4 floats per vector; the 16 and 8 ones are RegisterTranspose's,
// shared with Gemm), and loads and stores of a vector's first lanes. Each branches on the vector type, which the JIT resolves per instantiation; the
// instruction-set paths (AVX-512, AVX, SSE, AdvSimd) each have a plain fallback that computes
// the same values, so every width is correct on every CPU.
internal sealed partial class Conv2DChannelVector
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
            RegisterTranspose.Block16<PartialRows>(from, fromStride, rows: 16, columns: loadCount, to, toStride, storeCount, rectify);
        else if (typeof(TVec) == typeof(Vector256<float>) && Avx.IsSupported)
            RegisterTranspose.Block8<PartialRows>(from, fromStride, rows: 8, columns: loadCount, to, toStride, storeCount, rectify);
        else if (typeof(TVec) == typeof(Vector128<float>) && (Sse.IsSupported || AdvSimd.Arm64.IsSupported))
            Transpose4(from, fromStride, to, toStride, loadCount, storeCount, rectify);
        else
            TransposePlain(V.Count, from, fromStride, to, toStride, loadCount, storeCount, rectify);
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
