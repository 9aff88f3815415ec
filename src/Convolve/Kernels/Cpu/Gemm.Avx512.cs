using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

public sealed partial class Gemm
{
    /// <summary>
    /// Transposes a block of 16 x 16 floats: <c>target[p * targetStride + r] = source[r * sourceStride + p]</c>
    /// for r &lt; 16, p &lt; 16, with source rows r &gt;= <paramref name="rows"/> taken as zero (and not
    /// read). Each target row is written as one 16-float store in increasing p, so a
    /// <paramref name="targetStride"/> below 16 works if the caller leaves 16 - targetStride floats
    /// of slack after the last row (later rows overwrite the spill of earlier ones).
    /// Packing uses it for the transposing cases (A not transposed, B transposed), which
    /// otherwise cost a scalar load and store per value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose16x16(float* source, nint sourceStride, int rows, float* target, nint targetStride)
    {
        // Rows in r0..r15; four rounds of two-source shuffles, each halving the distance between
        // values that must end up adjacent. Written out so that all 32 vectors stay in registers.
        var r0 = Vector512.Load(source);
        var r1 = 1 < rows ? Vector512.Load(source + 1 * sourceStride) : Vector512<float>.Zero;
        var r2 = 2 < rows ? Vector512.Load(source + 2 * sourceStride) : Vector512<float>.Zero;
        var r3 = 3 < rows ? Vector512.Load(source + 3 * sourceStride) : Vector512<float>.Zero;
        var r4 = 4 < rows ? Vector512.Load(source + 4 * sourceStride) : Vector512<float>.Zero;
        var r5 = 5 < rows ? Vector512.Load(source + 5 * sourceStride) : Vector512<float>.Zero;
        var r6 = 6 < rows ? Vector512.Load(source + 6 * sourceStride) : Vector512<float>.Zero;
        var r7 = 7 < rows ? Vector512.Load(source + 7 * sourceStride) : Vector512<float>.Zero;
        var r8 = 8 < rows ? Vector512.Load(source + 8 * sourceStride) : Vector512<float>.Zero;
        var r9 = 9 < rows ? Vector512.Load(source + 9 * sourceStride) : Vector512<float>.Zero;
        var r10 = 10 < rows ? Vector512.Load(source + 10 * sourceStride) : Vector512<float>.Zero;
        var r11 = 11 < rows ? Vector512.Load(source + 11 * sourceStride) : Vector512<float>.Zero;
        var r12 = 12 < rows ? Vector512.Load(source + 12 * sourceStride) : Vector512<float>.Zero;
        var r13 = 13 < rows ? Vector512.Load(source + 13 * sourceStride) : Vector512<float>.Zero;
        var r14 = 14 < rows ? Vector512.Load(source + 14 * sourceStride) : Vector512<float>.Zero;
        var r15 = 15 < rows ? Vector512.Load(source + 15 * sourceStride) : Vector512<float>.Zero;

        // Round 1, within 128-bit lanes, pairs of rows interleaved: in lane L, t(2i) holds
        // (2i, 4L), (2i+1, 4L), (2i, 4L+1), (2i+1, 4L+1) as (row, column); t(2i+1) columns 4L+2, 4L+3.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        // Round 2: r(4g + j) holds, in lane L, column 4L + j of rows 4g .. 4g+3.
        r0 = Avx512F.Shuffle(t0, t2, 0x44); r1 = Avx512F.Shuffle(t0, t2, 0xEE);
        r2 = Avx512F.Shuffle(t1, t3, 0x44); r3 = Avx512F.Shuffle(t1, t3, 0xEE);
        r4 = Avx512F.Shuffle(t4, t6, 0x44); r5 = Avx512F.Shuffle(t4, t6, 0xEE);
        r6 = Avx512F.Shuffle(t5, t7, 0x44); r7 = Avx512F.Shuffle(t5, t7, 0xEE);
        r8 = Avx512F.Shuffle(t8, t10, 0x44); r9 = Avx512F.Shuffle(t8, t10, 0xEE);
        r10 = Avx512F.Shuffle(t9, t11, 0x44); r11 = Avx512F.Shuffle(t9, t11, 0xEE);
        r12 = Avx512F.Shuffle(t12, t14, 0x44); r13 = Avx512F.Shuffle(t12, t14, 0xEE);
        r14 = Avx512F.Shuffle(t13, t15, 0x44); r15 = Avx512F.Shuffle(t13, t15, 0xEE);

        // Round 3, whole lanes: t(8h + j) = columns j and 8+j of row groups 2h, 2h+1;
        // t(8h + 4 + j) the same for columns 4+j and 12+j.
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD);
        t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD);
        t3 = Avx512F.Shuffle4x128(r3, r7, 0x88); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD);
        t9 = Avx512F.Shuffle4x128(r9, r13, 0x88); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD);
        t11 = Avx512F.Shuffle4x128(r11, r15, 0x88); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);

        // Round 4: whole columns, stored in column order.
        Avx512F.Shuffle4x128(t0, t8, 0x88).Store(target + 0 * targetStride);
        Avx512F.Shuffle4x128(t1, t9, 0x88).Store(target + 1 * targetStride);
        Avx512F.Shuffle4x128(t2, t10, 0x88).Store(target + 2 * targetStride);
        Avx512F.Shuffle4x128(t3, t11, 0x88).Store(target + 3 * targetStride);
        Avx512F.Shuffle4x128(t4, t12, 0x88).Store(target + 4 * targetStride);
        Avx512F.Shuffle4x128(t5, t13, 0x88).Store(target + 5 * targetStride);
        Avx512F.Shuffle4x128(t6, t14, 0x88).Store(target + 6 * targetStride);
        Avx512F.Shuffle4x128(t7, t15, 0x88).Store(target + 7 * targetStride);
        Avx512F.Shuffle4x128(t0, t8, 0xDD).Store(target + 8 * targetStride);
        Avx512F.Shuffle4x128(t1, t9, 0xDD).Store(target + 9 * targetStride);
        Avx512F.Shuffle4x128(t2, t10, 0xDD).Store(target + 10 * targetStride);
        Avx512F.Shuffle4x128(t3, t11, 0xDD).Store(target + 11 * targetStride);
        Avx512F.Shuffle4x128(t4, t12, 0xDD).Store(target + 12 * targetStride);
        Avx512F.Shuffle4x128(t5, t13, 0xDD).Store(target + 13 * targetStride);
        Avx512F.Shuffle4x128(t6, t14, 0xDD).Store(target + 14 * targetStride);
        Avx512F.Shuffle4x128(t7, t15, 0xDD).Store(target + 15 * targetStride);
    }
}
