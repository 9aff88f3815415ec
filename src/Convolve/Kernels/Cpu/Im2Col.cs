using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// The copy between one group of one input image and its column matrix (see
/// <see cref="Conv2DIm2ColGemm"/>): <c>col[(c*kH + kh)*kW + kw, oh*W_out + ow] = x[c, ih, iw]</c> with
/// <c>ih = oh*sH - padTop + kh*dH</c>, <c>iw = ow*sW - padLeft + kw*dW</c>, and 0 where (ih, iw) is
/// in the padding.
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>Fills col [C/groups * kH * kW, H_out * W_out] from x [C/groups, H, W].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(in Conv2DGeometry g, float* x, float* col) => Pack(g, x, col, 0, g.InChannelsPerGroup);

    /// <summary>
    /// <see cref="Pack(in Conv2DGeometry, float*, float*)"/> on up to <paramref name="threads"/>
    /// threads, each packing the rows of a range of input channels (for a single image, where the
    /// batch gives nothing to split).
    /// </summary>
    public static void PackParallel(in Conv2DGeometry g, float* x, float* col, int threads)
    {
        int channels = g.InChannelsPerGroup;
        long work = (long)channels * g.KernelH * g.KernelW * g.OutH * g.OutW;
        int parts = work < 1 << 16 ? 1 : Math.Min(threads, channels);
        if (parts <= 1) Pack(g, x, col);
        else ParallelParts.Run(parts, parts, new PackJob(g, x, col, parts));
    }

    private readonly struct PackJob(Conv2DGeometry g, float* x, float* col, int parts) : IParallelPart
    {
        public void Run(int part)
        {
            int channels = g.InChannelsPerGroup;
            Pack(g, x, col, channels * part / parts, channels * (part + 1) / parts);
        }
    }

    // The col rows of input channels cFirst .. cLast - 1.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack(in Conv2DGeometry g, float* x, float* col, int cFirst, int cLast)
    {
        int outH = g.OutH, outW = g.OutW;
        for (int c = cFirst; c < cLast; c++)
            for (int kh = 0; kh < g.KernelH; kh++)
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    float* row = col + ((long)(c * g.KernelH + kh) * g.KernelW + kw) * outH * outW;
                    var (owFirst, owEnd, iwFirst) = Columns(g, kw);
                    for (int oh = 0; oh < outH; oh++)
                    {
                        float* target = row + (long)oh * outW;
                        int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                        if (ih < 0 || ih >= g.InH)
                        {
                            new Span<float>(target, outW).Clear();
                            continue;
                        }
                        if (owFirst > 0) new Span<float>(target, owFirst).Clear();
                        if (owEnd < outW) new Span<float>(target + owEnd, outW - owEnd).Clear();
                        float* source = x + ((long)c * g.InH + ih) * g.InW + iwFirst;
                        int count = owEnd - owFirst;
                        if (g.StrideW == 1)
                            CopyShort(source, target + owFirst, count);
                        else
                            for (int i = 0; i < count; i++) target[owFirst + i] = source[(long)i * g.StrideW];
                    }
                }
    }

    /// <summary>
    /// The adjoint of <see cref="Pack(in Conv2DGeometry, float*, float*)"/>: x [C/groups, H, W] = 0, then every col value is added to
    /// the input position it was copied from (padding positions are dropped). Overwrites x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unpack(in Conv2DGeometry g, float* col, float* x)
    {
        int outH = g.OutH, outW = g.OutW;
        new Span<float>(x, g.InChannelsPerGroup * g.InH * g.InW).Clear();
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int kh = 0; kh < g.KernelH; kh++)
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    float* row = col + ((long)(c * g.KernelH + kh) * g.KernelW + kw) * outH * outW;
                    var (owFirst, owEnd, iwFirst) = Columns(g, kw);
                    int count = owEnd - owFirst;
                    for (int oh = 0; oh < outH; oh++)
                    {
                        int ih = oh * g.StrideH - g.PadTop + kh * g.DilationH;
                        if (ih < 0 || ih >= g.InH) continue;
                        float* source = row + (long)oh * outW + owFirst;
                        float* target = x + ((long)c * g.InH + ih) * g.InW + iwFirst;
                        if (g.StrideW == 1)
                            AddShort(source, target, count);
                        else
                            for (int i = 0; i < count; i++) target[(long)i * g.StrideW] += source[i];
                    }
                }
    }

    /// <summary>
    /// Copies <paramref name="count"/> floats. Image rows are short (tens of floats), where a call
    /// to memmove costs more than the copy: the widest vectors the row holds, the last one ending
    /// exactly at <paramref name="count"/> (overlapping the one before; the ranges do not overlap
    /// each other); with AVX-512 a masked load and store below 16 floats; single values where the
    /// row is narrower than every vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(float* source, float* target, int count)
    {
        if (Vector512.IsHardwareAccelerated && count >= 16) CopyOverlapped<V512, Vector512<float>>(source, target, count);
        else if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
        {
            // One masked load and store (rows of narrow outputs, e.g. 10 wide).
            if (count == 0) return;
            var mask = Mask(count);
            Avx512F.MaskStore(target, mask, Avx512F.MaskLoad(source, mask, Vector512<float>.Zero));
        }
        else if (Vector256.IsHardwareAccelerated && count >= 8) CopyOverlapped<V256, Vector256<float>>(source, target, count);
        else if (Vector128.IsHardwareAccelerated && count >= 4) CopyOverlapped<V128, Vector128<float>>(source, target, count);
        else for (int i = 0; i < count; i++) target[i] = source[i];
    }

    // count >= Count: whole vectors, the last one ending at count.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyOverlapped<V, TVec>(float* source, float* target, int count)
        where V : struct, IVector<TVec> where TVec : struct
    {
        int n = V.Count;
        for (int i = 0; i < count - n; i += n) V.Store(V.Load(source + i), target + i);
        V.Store(V.Load(source + count - n), target + count - n);
    }

    /// <summary>
    /// <c>target[i] += source[i]</c> for i &lt; count: the widest vectors, then narrower ones
    /// (with AVX-512 one masked add), then single values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddShort(float* source, float* target, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            i = AddVectors<V512, Vector512<float>>(source, target, count, i);
            if (Avx512F.IsSupported && i < count)
            {
                var mask = Mask(count - i);
                var sum = Avx512F.MaskLoad(target + i, mask, Vector512<float>.Zero) + Avx512F.MaskLoad(source + i, mask, Vector512<float>.Zero);
                Avx512F.MaskStore(target + i, mask, sum);
                return;
            }
        }
        if (Vector256.IsHardwareAccelerated) i = AddVectors<V256, Vector256<float>>(source, target, count, i);
        if (Vector128.IsHardwareAccelerated) i = AddVectors<V128, Vector128<float>>(source, target, count, i);
        for (; i < count; i++) target[i] += source[i];
    }

    // Whole vectors from i on; returns the first index left.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AddVectors<V, TVec>(float* source, float* target, int count, int i)
        where V : struct, IVector<TVec> where TVec : struct
    {
        int n = V.Count;
        for (; i + n <= count; i += n) V.Store(V.Add(V.Load(target + i), V.Load(source + i)), target + i);
        return i;
    }

    // The first `count` (1..16) lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    /// <summary>
    /// For kernel column kw: the output columns [owFirst, owEnd) whose input column
    /// <c>iw = ow*sW - padLeft + kw*dW</c> lies inside [0, W), and the iw of owFirst.
    /// </summary>
    private static (int OwFirst, int OwEnd, int IwFirst) Columns(in Conv2DGeometry g, int kw)
    {
        int offset = kw * g.DilationW - g.PadLeft; // iw of ow = 0
        // Smallest ow with ow*s + offset >= 0, and one past the largest with ow*s + offset <= W - 1.
        int first = Math.Clamp(CeilDiv(-offset, g.StrideW), 0, g.OutW);
        int end = Math.Clamp(FloorDiv(g.InW - 1 - offset, g.StrideW) + 1, first, g.OutW);
        return (first, end, first * g.StrideW + offset);
    }

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static int CeilDiv(int a, int b) => -FloorDiv(-a, b);
}
