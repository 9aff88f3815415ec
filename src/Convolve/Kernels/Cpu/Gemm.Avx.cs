using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

public sealed partial class Gemm
{
    /// <summary>
    /// Transposes a block of 8 x 8 floats with AVX shuffles: <c>target[p * targetStride + r] = source[r * sourceStride + p]</c>
    /// for r &lt; 8, p &lt; 8, with source rows r &gt;= <paramref name="rows"/> taken as zero (and not
    /// read). Each target row is written as one 8-float store in increasing p, so a
    /// <paramref name="targetStride"/> below 8 works if the caller leaves 8 - targetStride floats
    /// of slack after the last row (later rows overwrite the spill of earlier ones). The AVX2
    /// micro-kernel's packing uses it where A or B is stored the other way round, as
    /// <see cref="Transpose16x16"/> serves the AVX-512 kernels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(float* source, nint sourceStride, int rows, float* target, nint targetStride)
    {
        var r0 = Vector256.Load(source);
        var r1 = 1 < rows ? Vector256.Load(source + 1 * sourceStride) : Vector256<float>.Zero;
        var r2 = 2 < rows ? Vector256.Load(source + 2 * sourceStride) : Vector256<float>.Zero;
        var r3 = 3 < rows ? Vector256.Load(source + 3 * sourceStride) : Vector256<float>.Zero;
        var r4 = 4 < rows ? Vector256.Load(source + 4 * sourceStride) : Vector256<float>.Zero;
        var r5 = 5 < rows ? Vector256.Load(source + 5 * sourceStride) : Vector256<float>.Zero;
        var r6 = 6 < rows ? Vector256.Load(source + 6 * sourceStride) : Vector256<float>.Zero;
        var r7 = 7 < rows ? Vector256.Load(source + 7 * sourceStride) : Vector256<float>.Zero;

        // Round 1, within 128-bit lanes, pairs of rows interleaved: in lane L, t(2i) holds
        // (2i, 4L), (2i+1, 4L), (2i, 4L+1), (2i+1, 4L+1) as (row, column); t(2i+1) columns 4L+2, 4L+3.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);

        // Round 2: r(4g + j) holds, in lane L, column 4L + j of rows 4g .. 4g+3.
        r0 = Avx.Shuffle(t0, t2, 0x44); r1 = Avx.Shuffle(t0, t2, 0xEE);
        r2 = Avx.Shuffle(t1, t3, 0x44); r3 = Avx.Shuffle(t1, t3, 0xEE);
        r4 = Avx.Shuffle(t4, t6, 0x44); r5 = Avx.Shuffle(t4, t6, 0xEE);
        r6 = Avx.Shuffle(t5, t7, 0x44); r7 = Avx.Shuffle(t5, t7, 0xEE);

        // Round 3, whole lanes: low lanes give columns 0-3, high lanes columns 4-7, stored in
        // column order.
        Avx.Permute2x128(r0, r4, 0x20).Store(target + 0 * targetStride);
        Avx.Permute2x128(r1, r5, 0x20).Store(target + 1 * targetStride);
        Avx.Permute2x128(r2, r6, 0x20).Store(target + 2 * targetStride);
        Avx.Permute2x128(r3, r7, 0x20).Store(target + 3 * targetStride);
        Avx.Permute2x128(r0, r4, 0x31).Store(target + 4 * targetStride);
        Avx.Permute2x128(r1, r5, 0x31).Store(target + 5 * targetStride);
        Avx.Permute2x128(r2, r6, 0x31).Store(target + 6 * targetStride);
        Avx.Permute2x128(r3, r7, 0x31).Store(target + 7 * targetStride);
    }
}
