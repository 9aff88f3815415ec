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
        // values that must end up adjacent. In comments, (row, column) of the source.
        var r = stackalloc Vector512<float>[16];
        for (int i = 0; i < 16; i++) r[i] = i < rows ? Vector512.Load(source + i * sourceStride) : Vector512<float>.Zero;

        // Round 1, within 128-bit lanes: pairs of rows interleaved, t[2i] = (2i, 4L), (2i+1, 4L), (2i, 4L+1), (2i+1, 4L+1).
        var t = stackalloc Vector512<float>[16];
        for (int i = 0; i < 16; i += 2)
        {
            t[i] = Avx512F.UnpackLow(r[i], r[i + 1]);
            t[i + 1] = Avx512F.UnpackHigh(r[i], r[i + 1]);
        }
        // Round 2: u[4g + j] holds, in lane L, column 4L + j of rows 4g .. 4g+3.
        for (int g = 0; g < 16; g += 4)
        {
            r[g] = Avx512F.Shuffle(t[g], t[g + 2], 0x44);
            r[g + 1] = Avx512F.Shuffle(t[g], t[g + 2], 0xEE);
            r[g + 2] = Avx512F.Shuffle(t[g + 1], t[g + 3], 0x44);
            r[g + 3] = Avx512F.Shuffle(t[g + 1], t[g + 3], 0xEE);
        }
        // Round 3, whole lanes: t[8h + j] = columns j and 8+j of row groups 2h, 2h+1;
        // t[8h + 4 + j] the same for columns 4+j and 12+j.
        for (int h = 0; h < 16; h += 8)
        for (int j = 0; j < 4; j++)
        {
            t[h + j] = Avx512F.Shuffle4x128(r[h + j], r[h + 4 + j], 0x88);
            t[h + 4 + j] = Avx512F.Shuffle4x128(r[h + j], r[h + 4 + j], 0xDD);
        }
        // Round 4: whole columns, stored in column order.
        for (int j = 0; j < 4; j++)
        {
            r[j] = Avx512F.Shuffle4x128(t[j], t[8 + j], 0x88);
            r[8 + j] = Avx512F.Shuffle4x128(t[j], t[8 + j], 0xDD);
            r[4 + j] = Avx512F.Shuffle4x128(t[4 + j], t[12 + j], 0x88);
            r[12 + j] = Avx512F.Shuffle4x128(t[4 + j], t[12 + j], 0xDD);
        }
        for (int p = 0; p < 16; p++) r[p].Store(target + p * targetStride);
    }
}
