using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

internal sealed partial class Conv2DWinograd
{
    /// <summary>
    /// The lane moves and masked memory accesses the transforms need beyond <see cref="IVector{TVec}"/>,
    /// one body per width: the JIT keeps only the branch of the instantiated width (the
    /// <c>typeof</c> tests are constants) and the instruction set's branch within it. Each
    /// says in scalar terms what it computes; the last branch is a plain loop for CPUs without
    /// the instructions (never taken where the width is accelerated, except the masked accesses
    /// of 128-bit vectors without AVX, used only at the edges of rows).
    /// </summary>
    private static unsafe class Lanes<V, TVec> where V : struct, IVector<TVec> where TVec : struct
    {
        /// <summary>Lanes below <paramref name="count"/> all ones, the others zero.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Below(int count)
        {
            if (typeof(TVec) == typeof(Vector512<float>))
                return As(Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle());
            if (typeof(TVec) == typeof(Vector256<float>))
                return As(Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle());
            return As(Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle());
        }

        /// <summary>mask ? left : right, bit by bit.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Select(TVec mask, TVec left, TVec right)
        {
            if (typeof(TVec) == typeof(Vector512<float>))
                return As(Vector512.ConditionalSelect(To512(mask), To512(left), To512(right)));
            if (typeof(TVec) == typeof(Vector256<float>))
                return As(Vector256.ConditionalSelect(To256(mask), To256(left), To256(right)));
            return As(Vector128.ConditionalSelect(To128(mask), To128(left), To128(right)));
        }

        /// <summary>-value, lane by lane (the sign flipped, so 0 gives -0).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Negate(TVec value)
        {
            if (typeof(TVec) == typeof(Vector512<float>)) return As(-To512(value));
            if (typeof(TVec) == typeof(Vector256<float>)) return As(-To256(value));
            return As(-To128(value));
        }

        /// <summary>The last lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Last(TVec value)
        {
            if (typeof(TVec) == typeof(Vector512<float>)) return To512(value).GetElement(15);
            if (typeof(TVec) == typeof(Vector256<float>)) return To256(value).GetElement(7);
            return To128(value).GetElement(3);
        }

        /// <summary>
        /// even[i] = x[2i], odd[i] = x[2i + 1], for x the 2V floats of <paramref name="low"/>
        /// followed by <paramref name="high"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Deinterleave(TVec low, TVec high, out TVec even, out TVec odd)
        {
            if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
            {
                var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                even = As(Avx512F.PermuteVar16x32x2(To512(low), evens, To512(high)));
                odd = As(Avx512F.PermuteVar16x32x2(To512(low), evens + Vector512<int>.One, To512(high)));
                return;
            }
            if (typeof(TVec) == typeof(Vector256<float>) && Avx2.IsSupported)
            {
                // Within each 128-bit half, then the 64-bit pairs put in order: [0, 2, 1, 3].
                var e = Avx.Shuffle(To256(low), To256(high), 0b10_00_10_00);
                var o = Avx.Shuffle(To256(low), To256(high), 0b11_01_11_01);
                even = As(Avx2.Permute4x64(e.AsDouble(), 0b11_01_10_00).AsSingle());
                odd = As(Avx2.Permute4x64(o.AsDouble(), 0b11_01_10_00).AsSingle());
                return;
            }
            if (typeof(TVec) == typeof(Vector128<float>) && Sse.IsSupported)
            {
                even = As(Sse.Shuffle(To128(low), To128(high), 0b10_00_10_00));
                odd = As(Sse.Shuffle(To128(low), To128(high), 0b11_01_11_01));
                return;
            }
            if (typeof(TVec) == typeof(Vector128<float>) && AdvSimd.Arm64.IsSupported)
            {
                even = As(AdvSimd.Arm64.UnzipEven(To128(low), To128(high)));
                odd = As(AdvSimd.Arm64.UnzipOdd(To128(low), To128(high)));
                return;
            }
            DeinterleaveLoop(low, high, out even, out odd);
        }

        /// <summary>
        /// first = [left[0], right[0], left[1], right[1], ...] over the lower half of the lanes,
        /// second the same over the upper half.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Interleave(TVec left, TVec right, out TVec first, out TVec second)
        {
            if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
            {
                var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
                first = As(Avx512F.PermuteVar16x32x2(To512(left), low, To512(right)));
                second = As(Avx512F.PermuteVar16x32x2(To512(left), low + Vector512.Create(8), To512(right)));
                return;
            }
            if (typeof(TVec) == typeof(Vector256<float>) && Avx.IsSupported)
            {
                // Within each 128-bit half, then the halves regrouped.
                var low = Avx.UnpackLow(To256(left), To256(right));
                var high = Avx.UnpackHigh(To256(left), To256(right));
                first = As(Avx.Permute2x128(low, high, 0x20));
                second = As(Avx.Permute2x128(low, high, 0x31));
                return;
            }
            if (typeof(TVec) == typeof(Vector128<float>) && Sse.IsSupported)
            {
                first = As(Sse.UnpackLow(To128(left), To128(right)));
                second = As(Sse.UnpackHigh(To128(left), To128(right)));
                return;
            }
            if (typeof(TVec) == typeof(Vector128<float>) && AdvSimd.Arm64.IsSupported)
            {
                first = As(AdvSimd.Arm64.ZipLow(To128(left), To128(right)));
                second = As(AdvSimd.Arm64.ZipHigh(To128(left), To128(right)));
                return;
            }
            InterleaveLoop(left, right, out first, out second);
        }

        /// <summary>Lane l - 1 into lane l, 0 into lane 0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec ShiftUp(TVec value)
        {
            if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
            {
                var up = Vector512.Create(16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
                return As(Avx512F.PermuteVar16x32x2(To512(value), up, Vector512<float>.Zero));
            }
            if (typeof(TVec) == typeof(Vector256<float>) && Avx2.IsSupported)
            {
                var moved = Avx2.PermuteVar8x32(To256(value), Vector256.Create(0, 0, 1, 2, 3, 4, 5, 6));
                return As(Avx.Blend(moved, Vector256<float>.Zero, 1));
            }
            if (typeof(TVec) == typeof(Vector128<float>) && Sse2.IsSupported)
                return As(Sse2.ShiftLeftLogical128BitLane(To128(value).AsInt32(), 4).AsSingle());
            if (typeof(TVec) == typeof(Vector128<float>) && AdvSimd.IsSupported)
                return As(AdvSimd.ExtractVector128(Vector128<float>.Zero, To128(value), 3));
            return ShiftUpLoop(value);
        }

        /// <summary>[Σ a, Σ b, Σ c, Σ d], each the sum of its lanes (by pairwise additions).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Sum4(TVec a, TVec b, TVec c, TVec d)
        {
            if (typeof(TVec) == typeof(Vector512<float>) && Avx.IsSupported)
                return Sum4Of256(To512(a).GetLower() + To512(a).GetUpper(), To512(b).GetLower() + To512(b).GetUpper(),
                    To512(c).GetLower() + To512(c).GetUpper(), To512(d).GetLower() + To512(d).GetUpper());
            if (typeof(TVec) == typeof(Vector256<float>) && Avx.IsSupported)
                return Sum4Of256(To256(a), To256(b), To256(c), To256(d));
            if (typeof(TVec) == typeof(Vector128<float>) && Sse3.IsSupported)
                return Sse3.HorizontalAdd(Sse3.HorizontalAdd(To128(a), To128(b)), Sse3.HorizontalAdd(To128(c), To128(d)));
            if (typeof(TVec) == typeof(Vector128<float>) && AdvSimd.Arm64.IsSupported)
                return AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(To128(a), To128(b)), AdvSimd.Arm64.AddPairwise(To128(c), To128(d)));
            return Vector128.Create(V.Sum(a), V.Sum(b), V.Sum(c), V.Sum(d));
        }

        // Pairs added within 128-bit halves, twice, then the halves added.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Sum4Of256(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
        {
            var sums = Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d));
            return sums.GetLower() + sums.GetUpper();
        }

        /// <summary>
        /// Lanes of <paramref name="mask"/> (all ones or zero) read from <paramref name="source"/>,
        /// the others 0; memory under the other lanes is not touched.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec MaskLoad(float* source, TVec mask)
        {
            if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
                return As(Avx512F.MaskLoad(source, To512(mask), Vector512<float>.Zero));
            if (typeof(TVec) == typeof(Vector256<float>) && Avx.IsSupported)
                return As(Avx.MaskLoad(source, To256(mask)));
            if (typeof(TVec) == typeof(Vector128<float>) && Avx.IsSupported)
                return As(Avx.MaskLoad(source, To128(mask)));
            return MaskLoadLoop(source, mask);
        }

        /// <summary>
        /// The lanes of <paramref name="mask"/> (all ones or zero) stored to
        /// <paramref name="target"/>; memory under the other lanes is not touched.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void MaskStore(float* target, TVec mask, TVec value)
        {
            if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
                Avx512F.MaskStore(target, To512(mask), To512(value));
            else if (typeof(TVec) == typeof(Vector256<float>) && Avx.IsSupported)
                Avx.MaskStore(target, To256(mask), To256(value));
            else if (typeof(TVec) == typeof(Vector128<float>) && Avx.IsSupported)
                Avx.MaskStore(target, To128(mask), To128(value));
            else
                MaskStoreLoop(target, mask, value);
        }

        /// <summary>
        /// The lanes of <paramref name="mask"/> stored to <paramref name="target"/>, in scratch
        /// that this thread alone uses, readable and writable for a whole vector: where masked
        /// stores cost more than a load and a blend (AVX and earlier), the vector is read, blended and
        /// written back, which leaves the other lanes' values as they were.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void BlendStore(float* target, TVec mask, TVec value)
        {
            if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
                Avx512F.MaskStore(target, To512(mask), To512(value));
            else
                V.Store(Select(mask, value, V.Load(target)), target);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void DeinterleaveLoop(TVec low, TVec high, out TVec even, out TVec odd)
        {
            int n = V.Count;
            float* x = stackalloc float[2 * n];
            float* e = stackalloc float[n];
            float* o = stackalloc float[n];
            V.Store(low, x);
            V.Store(high, x + n);
            for (int i = 0; i < n; i++) (e[i], o[i]) = (x[2 * i], x[2 * i + 1]);
            even = V.Load(e);
            odd = V.Load(o);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void InterleaveLoop(TVec left, TVec right, out TVec first, out TVec second)
        {
            int n = V.Count;
            float* l = stackalloc float[n];
            float* r = stackalloc float[n];
            float* x = stackalloc float[2 * n];
            V.Store(left, l);
            V.Store(right, r);
            for (int i = 0; i < n; i++) (x[2 * i], x[2 * i + 1]) = (l[i], r[i]);
            first = V.Load(x);
            second = V.Load(x + n);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static TVec ShiftUpLoop(TVec value)
        {
            int n = V.Count;
            float* x = stackalloc float[n + 1];
            x[0] = 0;
            V.Store(value, x + 1);
            return V.Load(x);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static TVec MaskLoadLoop(float* source, TVec mask)
        {
            int n = V.Count;
            int* m = stackalloc int[n];
            float* x = stackalloc float[n];
            V.Store(mask, (float*)m);
            for (int i = 0; i < n; i++) x[i] = m[i] != 0 ? source[i] : 0;
            return V.Load(x);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void MaskStoreLoop(float* target, TVec mask, TVec value)
        {
            int n = V.Count;
            int* m = stackalloc int[n];
            float* x = stackalloc float[n];
            V.Store(mask, (float*)m);
            V.Store(value, x);
            for (int i = 0; i < n; i++)
                if (m[i] != 0) target[i] = x[i];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TVec As<T>(T value) where T : struct => Unsafe.BitCast<T, TVec>(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] private static Vector512<float> To512(TVec value) => Unsafe.BitCast<TVec, Vector512<float>>(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] private static Vector256<float> To256(TVec value) => Unsafe.BitCast<TVec, Vector256<float>>(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] private static Vector128<float> To128(TVec value) => Unsafe.BitCast<TVec, Vector128<float>>(value);
    }
}
