using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Lane operations the pooling and direct-convolution kernels need beyond <see cref="IVector{TVec}"/>,
/// generic over the register type: each branches on <c>typeof(TVec)</c>, which the JIT folds
/// away per instantiation, and uses the instruction the CPU has (AVX-512, AVX2, SSE, AdvSimd),
/// with a plain lane-by-lane form where it has none (correct, not fast: no kernel is sent there).
/// Integer lanes (argmax indices) travel in float registers as their bits.
/// </summary>
internal static unsafe class SimdLanes
{
    /// <summary>
    /// even = the even lanes of <paramref name="low"/> then those of <paramref name="high"/>, odd
    /// the same for the odd lanes: with Count lanes each, even[i] = (low ++ high)[2i].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave<TVec>(TVec low, TVec high, out TVec even, out TVec odd) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>))
        {
            var l = As<TVec, Vector512<float>>(low);
            var h = As<TVec, Vector512<float>>(high);
            var evenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            if (Avx512F.IsSupported)
            {
                even = As<Vector512<float>, TVec>(Avx512F.PermuteVar16x32x2(l, evenIndex, h));
                odd = As<Vector512<float>, TVec>(Avx512F.PermuteVar16x32x2(l, evenIndex + Vector512<int>.One, h));
                return;
            }
        }
        else if (typeof(TVec) == typeof(Vector256<float>))
        {
            if (Avx512F.VL.IsSupported)
            {
                // AVX-512's two-source permute on 256-bit registers: one instruction each.
                var evenIndex = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
                var l = As<TVec, Vector256<float>>(low);
                var h = As<TVec, Vector256<float>>(high);
                even = As<Vector256<float>, TVec>(Avx512F.VL.PermuteVar8x32x2(l, evenIndex, h));
                odd = As<Vector256<float>, TVec>(Avx512F.VL.PermuteVar8x32x2(l, evenIndex + Vector256<int>.One, h));
                return;
            }
            if (Avx2.IsSupported)
            {
                // In-lane shuffles give [l0 l2 h0 h2 | l4 l6 h4 h6]; a 64-bit permute orders them.
                var l = As<TVec, Vector256<float>>(low);
                var h = As<TVec, Vector256<float>>(high);
                var e = Avx.Shuffle(l, h, 0b10_00_10_00).AsDouble();
                var o = Avx.Shuffle(l, h, 0b11_01_11_01).AsDouble();
                even = As<Vector256<float>, TVec>(Avx2.Permute4x64(e, 0b11_01_10_00).AsSingle());
                odd = As<Vector256<float>, TVec>(Avx2.Permute4x64(o, 0b11_01_10_00).AsSingle());
                return;
            }
        }
        else if (typeof(TVec) == typeof(Vector128<float>))
        {
            var l = As<TVec, Vector128<float>>(low);
            var h = As<TVec, Vector128<float>>(high);
            if (Sse.IsSupported)
            {
                even = As<Vector128<float>, TVec>(Sse.Shuffle(l, h, 0b10_00_10_00));
                odd = As<Vector128<float>, TVec>(Sse.Shuffle(l, h, 0b11_01_11_01));
                return;
            }
            if (AdvSimd.Arm64.IsSupported)
            {
                even = As<Vector128<float>, TVec>(AdvSimd.Arm64.UnzipEven(l, h));
                odd = As<Vector128<float>, TVec>(AdvSimd.Arm64.UnzipOdd(l, h));
                return;
            }
        }
        DeinterleaveLanes(low, high, out even, out odd);
    }

    private static void DeinterleaveLanes<TVec>(TVec low, TVec high, out TVec even, out TVec odd) where TVec : struct
    {
        int count = Unsafe.SizeOf<TVec>() / sizeof(float);
        float* both = stackalloc float[2 * count];
        Unsafe.WriteUnaligned(both, low);
        Unsafe.WriteUnaligned(both + count, high);
        float* e = stackalloc float[count], o = stackalloc float[count];
        for (int i = 0; i < count; i++)
        {
            e[i] = both[2 * i];
            o[i] = both[2 * i + 1];
        }
        even = Unsafe.ReadUnaligned<TVec>(e);
        odd = Unsafe.ReadUnaligned<TVec>(o);
    }

    /// <summary>Stores the lower half of the lanes at <paramref name="low"/> and the upper half at <paramref name="high"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreHalves<TVec>(TVec value, float* low, float* high) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>))
        {
            var v = As<TVec, Vector512<float>>(value);
            v.GetLower().Store(low);
            v.GetUpper().Store(high);
        }
        else if (typeof(TVec) == typeof(Vector256<float>))
        {
            var v = As<TVec, Vector256<float>>(value);
            v.GetLower().Store(low);
            v.GetUpper().Store(high);
        }
        else if (typeof(TVec) == typeof(Vector128<float>))
        {
            var v = As<TVec, Vector128<float>>(value).AsDouble();
            *(double*)low = v.ToScalar();
            *(double*)high = v.GetElement(1);
        }
        else
        {
            int half = Unsafe.SizeOf<TVec>() / sizeof(float) / 2;
            float* lanes = stackalloc float[2 * half];
            Unsafe.WriteUnaligned(lanes, value);
            for (int i = 0; i < half; i++)
            {
                low[i] = lanes[i];
                high[i] = lanes[half + i];
            }
        }
    }

    /// <summary>Lanes where <paramref name="mask"/> is set from <paramref name="whereSet"/>, the others from <paramref name="otherwise"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Select<TVec>(TVec mask, TVec whereSet, TVec otherwise) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>))
            return As<Vector512<float>, TVec>(Vector512.ConditionalSelect(As<TVec, Vector512<float>>(mask),
                As<TVec, Vector512<float>>(whereSet), As<TVec, Vector512<float>>(otherwise)));
        if (typeof(TVec) == typeof(Vector256<float>))
            return As<Vector256<float>, TVec>(Vector256.ConditionalSelect(As<TVec, Vector256<float>>(mask),
                As<TVec, Vector256<float>>(whereSet), As<TVec, Vector256<float>>(otherwise)));
        if (typeof(TVec) == typeof(Vector128<float>))
            return As<Vector128<float>, TVec>(Vector128.ConditionalSelect(As<TVec, Vector128<float>>(mask),
                As<TVec, Vector128<float>>(whereSet), As<TVec, Vector128<float>>(otherwise)));
        throw new NotSupportedException(typeof(TVec).Name);
    }

    /// <summary>
    /// Lanes where <paramref name="value"/> replaces <paramref name="best"/> in a maximum that
    /// carries NaN: value &gt; best, or value is NaN (the reference pooling's rule).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Wins<TVec>(TVec value, TVec best) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>))
        {
            var v = As<TVec, Vector512<float>>(value);
            return As<Vector512<float>, TVec>(Vector512.GreaterThan(v, As<TVec, Vector512<float>>(best)) | ~Vector512.Equals(v, v));
        }
        if (typeof(TVec) == typeof(Vector256<float>))
        {
            var v = As<TVec, Vector256<float>>(value);
            return As<Vector256<float>, TVec>(Vector256.GreaterThan(v, As<TVec, Vector256<float>>(best)) | ~Vector256.Equals(v, v));
        }
        if (typeof(TVec) == typeof(Vector128<float>))
        {
            var v = As<TVec, Vector128<float>>(value);
            return As<Vector128<float>, TVec>(Vector128.GreaterThan(v, As<TVec, Vector128<float>>(best)) | ~Vector128.Equals(v, v));
        }
        throw new NotSupportedException(typeof(TVec).Name);
    }

    /// <summary>Lane i = <paramref name="start"/> + <paramref name="step"/> * i, as 32-bit integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec IntSeries<TVec>(int start, int step) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>))
            return As<Vector512<float>, TVec>((Vector512<int>.Indices * step + Vector512.Create(start)).AsSingle());
        if (typeof(TVec) == typeof(Vector256<float>))
            return As<Vector256<float>, TVec>((Vector256<int>.Indices * step + Vector256.Create(start)).AsSingle());
        if (typeof(TVec) == typeof(Vector128<float>))
            return As<Vector128<float>, TVec>((Vector128<int>.Indices * step + Vector128.Create(start)).AsSingle());
        throw new NotSupportedException(typeof(TVec).Name);
    }

    /// <summary>Lane-wise sum of two vectors of 32-bit integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec AddInt<TVec>(TVec left, TVec right) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>))
            return As<Vector512<int>, TVec>(As<TVec, Vector512<int>>(left) + As<TVec, Vector512<int>>(right));
        if (typeof(TVec) == typeof(Vector256<float>))
            return As<Vector256<int>, TVec>(As<TVec, Vector256<int>>(left) + As<TVec, Vector256<int>>(right));
        if (typeof(TVec) == typeof(Vector128<float>))
            return As<Vector128<int>, TVec>(As<TVec, Vector128<int>>(left) + As<TVec, Vector128<int>>(right));
        throw new NotSupportedException(typeof(TVec).Name);
    }

    /// <summary>Every lane the 32-bit integer <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec CreateInt<TVec>(int value) where TVec : struct => IntSeries<TVec>(value, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TTo As<TFrom, TTo>(TFrom value) => Unsafe.As<TFrom, TTo>(ref value);
}
