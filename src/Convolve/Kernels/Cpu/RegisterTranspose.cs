using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Square blocks of floats transposed in registers, shared by <see cref="Gemm"/>'s packing (A or B
/// stored the other way round) and <see cref="Conv2DChannelVector"/>'s moves between NCHW planes
/// and tiles of channels:
/// <c>target[j * targetStride + i] = source[i * sourceStride + j]</c> for i, j below the side S.
/// Source rows i &gt;= <c>rows</c> and columns j &gt;= <c>columns</c> are taken as zero and not
/// read; only the first <c>storeCount</c> values of each target row are written, each rectified
/// (<c>max(0, v)</c>) if asked. With <c>storeCount</c> = S each target row is one S-float store,
/// so a <c>targetStride</c> below S works if the caller leaves S - targetStride floats of slack
/// after the last row (later rows overwrite the spill of earlier ones). The blocks are calls (too
/// large to inline into the packing loops); <c>TEdges</c> = <see cref="WholeRows"/>
/// compiles the whole-row case apart, so the packing pays no tests for masks it never uses.
/// </summary>
internal static unsafe class RegisterTranspose
{
    /// <summary>16 x 16 with AVX-512: 32-bit, then 64-bit interleaves within 128-bit lanes, then lanes moved in two rounds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block16<TEdges>(float* source, nint sourceStride, int rows, int columns, float* target, nint targetStride,
        int storeCount = 16, bool rectify = false) where TEdges : struct, ITransposeEdges
    {
        if (TEdges.Whole) (columns, storeCount, rectify) = (16, 16, false);
        var loadMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns)).AsSingle();
        // Rows in r0..r15, written out so that all 32 vectors stay in registers.
        var r0 = Row16(source, 0, sourceStride, rows, columns, loadMask);
        var r1 = Row16(source, 1, sourceStride, rows, columns, loadMask);
        var r2 = Row16(source, 2, sourceStride, rows, columns, loadMask);
        var r3 = Row16(source, 3, sourceStride, rows, columns, loadMask);
        var r4 = Row16(source, 4, sourceStride, rows, columns, loadMask);
        var r5 = Row16(source, 5, sourceStride, rows, columns, loadMask);
        var r6 = Row16(source, 6, sourceStride, rows, columns, loadMask);
        var r7 = Row16(source, 7, sourceStride, rows, columns, loadMask);
        var r8 = Row16(source, 8, sourceStride, rows, columns, loadMask);
        var r9 = Row16(source, 9, sourceStride, rows, columns, loadMask);
        var r10 = Row16(source, 10, sourceStride, rows, columns, loadMask);
        var r11 = Row16(source, 11, sourceStride, rows, columns, loadMask);
        var r12 = Row16(source, 12, sourceStride, rows, columns, loadMask);
        var r13 = Row16(source, 13, sourceStride, rows, columns, loadMask);
        var r14 = Row16(source, 14, sourceStride, rows, columns, loadMask);
        var r15 = Row16(source, 15, sourceStride, rows, columns, loadMask);

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
        var storeMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(storeCount)).AsSingle();
        Put16(target + 0 * targetStride, Avx512F.Shuffle4x128(t0, t8, 0x88), storeCount, storeMask, rectify);
        Put16(target + 1 * targetStride, Avx512F.Shuffle4x128(t1, t9, 0x88), storeCount, storeMask, rectify);
        Put16(target + 2 * targetStride, Avx512F.Shuffle4x128(t2, t10, 0x88), storeCount, storeMask, rectify);
        Put16(target + 3 * targetStride, Avx512F.Shuffle4x128(t3, t11, 0x88), storeCount, storeMask, rectify);
        Put16(target + 4 * targetStride, Avx512F.Shuffle4x128(t4, t12, 0x88), storeCount, storeMask, rectify);
        Put16(target + 5 * targetStride, Avx512F.Shuffle4x128(t5, t13, 0x88), storeCount, storeMask, rectify);
        Put16(target + 6 * targetStride, Avx512F.Shuffle4x128(t6, t14, 0x88), storeCount, storeMask, rectify);
        Put16(target + 7 * targetStride, Avx512F.Shuffle4x128(t7, t15, 0x88), storeCount, storeMask, rectify);
        Put16(target + 8 * targetStride, Avx512F.Shuffle4x128(t0, t8, 0xDD), storeCount, storeMask, rectify);
        Put16(target + 9 * targetStride, Avx512F.Shuffle4x128(t1, t9, 0xDD), storeCount, storeMask, rectify);
        Put16(target + 10 * targetStride, Avx512F.Shuffle4x128(t2, t10, 0xDD), storeCount, storeMask, rectify);
        Put16(target + 11 * targetStride, Avx512F.Shuffle4x128(t3, t11, 0xDD), storeCount, storeMask, rectify);
        Put16(target + 12 * targetStride, Avx512F.Shuffle4x128(t4, t12, 0xDD), storeCount, storeMask, rectify);
        Put16(target + 13 * targetStride, Avx512F.Shuffle4x128(t5, t13, 0xDD), storeCount, storeMask, rectify);
        Put16(target + 14 * targetStride, Avx512F.Shuffle4x128(t6, t14, 0xDD), storeCount, storeMask, rectify);
        Put16(target + 15 * targetStride, Avx512F.Shuffle4x128(t7, t15, 0xDD), storeCount, storeMask, rectify);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row16(float* source, int i, nint stride, int rows, int columns, Vector512<float> mask) =>
        i >= rows ? Vector512<float>.Zero
        : columns >= 16 ? Vector512.Load(source + i * stride)
        : Avx512F.MaskLoad(source + i * stride, mask, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put16(float* target, Vector512<float> column, int storeCount, Vector512<float> mask, bool rectify)
    {
        if (rectify) column = Vector512.Max(column, Vector512<float>.Zero);
        if (storeCount < 16) Avx512F.MaskStore(target, mask, column);
        else column.Store(target);
    }

    /// <summary>
    /// 8 x 8 with AVX: 32-bit, then 64-bit interleaves within 128-bit halves, then the halves joined. The rounds of
    /// <see cref="Block16"/> on another register type, written out so that every vector stays a register.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block8<TEdges>(float* source, nint sourceStride, int rows, int columns, float* target, nint targetStride,
        int storeCount = 8, bool rectify = false) where TEdges : struct, ITransposeEdges
    {
        if (TEdges.Whole) (columns, storeCount, rectify) = (8, 8, false);
        var loadMask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(columns)).AsSingle();
        var r0 = Row8(source, 0, sourceStride, rows, columns, loadMask);
        var r1 = Row8(source, 1, sourceStride, rows, columns, loadMask);
        var r2 = Row8(source, 2, sourceStride, rows, columns, loadMask);
        var r3 = Row8(source, 3, sourceStride, rows, columns, loadMask);
        var r4 = Row8(source, 4, sourceStride, rows, columns, loadMask);
        var r5 = Row8(source, 5, sourceStride, rows, columns, loadMask);
        var r6 = Row8(source, 6, sourceStride, rows, columns, loadMask);
        var r7 = Row8(source, 7, sourceStride, rows, columns, loadMask);

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

        // Round 3, whole lanes: low lanes give columns 0-3, high lanes columns 4-7, stored in column order.
        var storeMask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(storeCount)).AsSingle();
        Put8(target + 0 * targetStride, Avx.Permute2x128(r0, r4, 0x20), storeCount, storeMask, rectify);
        Put8(target + 1 * targetStride, Avx.Permute2x128(r1, r5, 0x20), storeCount, storeMask, rectify);
        Put8(target + 2 * targetStride, Avx.Permute2x128(r2, r6, 0x20), storeCount, storeMask, rectify);
        Put8(target + 3 * targetStride, Avx.Permute2x128(r3, r7, 0x20), storeCount, storeMask, rectify);
        Put8(target + 4 * targetStride, Avx.Permute2x128(r0, r4, 0x31), storeCount, storeMask, rectify);
        Put8(target + 5 * targetStride, Avx.Permute2x128(r1, r5, 0x31), storeCount, storeMask, rectify);
        Put8(target + 6 * targetStride, Avx.Permute2x128(r2, r6, 0x31), storeCount, storeMask, rectify);
        Put8(target + 7 * targetStride, Avx.Permute2x128(r3, r7, 0x31), storeCount, storeMask, rectify);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row8(float* source, int i, nint stride, int rows, int columns, Vector256<float> mask) =>
        i >= rows ? Vector256<float>.Zero
        : columns >= 8 ? Vector256.Load(source + i * stride)
        : Avx.MaskLoad(source + i * stride, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put8(float* target, Vector256<float> column, int storeCount, Vector256<float> mask, bool rectify)
    {
        if (rectify) column = Vector256.Max(column, Vector256<float>.Zero);
        if (storeCount < 8) Avx.MaskStore(target, mask, column);
        else column.Store(target);
    }
}

/// <summary>
/// Whether a <see cref="RegisterTranspose"/> call reads whole rows and writes whole rows unrectified
/// (<see cref="WholeRows"/>: the JIT compiles that case apart, without the masks' tests) or takes its
/// columns, store count and rectification from the arguments (<see cref="PartialRows"/>).
/// </summary>
internal interface ITransposeEdges
{
    static abstract bool Whole { get; }
}

internal readonly struct WholeRows : ITransposeEdges
{
    public static bool Whole => true;
}

internal readonly struct PartialRows : ITransposeEdges
{
    public static bool Whole => false;
}
