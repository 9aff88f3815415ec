using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Benchmarks.Micro;

/// <summary>
/// The machine's floating-point ceiling: loops of fused multiply-adds on registers only, no
/// memory traffic. Each iteration updates <see cref="Accumulators"/> independent accumulators
/// (<c>acc[i] = acc[i] * a + b</c>), enough to cover the FMA latency (4 cycles on recent x86) on
/// two FMA ports: a core can have 8 FMAs in flight, so 16 keep it busy with margin. One FMA on
/// a vector of L lanes is 2 L flops. The values converge to b / (1 - a) = 1, so no overflow,
/// infinities or subnormals (which would slow the units down) appear however long it runs.
/// </summary>
public static class FmaPeak
{
    /// <summary>
    /// Independent accumulators per loop (16 of the 32 zmm/ymm registers AVX-512 gives; 16 of AVX2's 16 ymm would not leave room
    /// for a and b, so the Vector256 loop keeps 12).
    /// </summary>
    public const int Accumulators = 16, Accumulators256 = 12;

    /// <summary>Loop iterations per call: about 2.5 ms at 200 GFLOP/s for the Vector512 loop.</summary>
    public const int Iterations = 1 << 20;

    /// <summary>Flops of one <see cref="Vector512Loop"/> call.</summary>
    public const double Vector512Flops = 2.0 * Iterations * Accumulators * 16;

    /// <summary>Flops of one <see cref="Vector256Loop"/> call.</summary>
    public const double Vector256Flops = 2.0 * Iterations * Accumulators256 * 8;

    /// <summary>Whether the AVX-512 FMA loop can run here (<c>Avx512F.IsSupported</c>, whatever the JIT's Vector512 preference).</summary>
    public static bool HasVector512 => Avx512F.IsSupported;

    /// <summary>Whether the AVX2 FMA loop can run here.</summary>
    public static bool HasVector256 => Fma.IsSupported;

    /// <summary><see cref="Iterations"/> x 16 AVX-512 FMAs (vfmadd on zmm registers); returns a sum so the loop is not removed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Vector512Loop()
    {
        if (!Avx512F.IsSupported) throw new PlatformNotSupportedException("FmaPeak.Vector512Loop: this CPU (or DOTNET_EnableAVX512F=0) has no AVX-512F.");
        var a = Vector512.Create(0.5f);
        var b = Vector512.Create(0.5f);
        Vector512<float> c0 = Vector512.Create(0f), c1 = Vector512.Create(1f), c2 = Vector512.Create(2f), c3 = Vector512.Create(3f);
        Vector512<float> c4 = Vector512.Create(4f), c5 = Vector512.Create(5f), c6 = Vector512.Create(6f), c7 = Vector512.Create(7f);
        Vector512<float> c8 = Vector512.Create(8f), c9 = Vector512.Create(9f), c10 = Vector512.Create(10f), c11 = Vector512.Create(11f);
        Vector512<float> c12 = Vector512.Create(12f), c13 = Vector512.Create(13f), c14 = Vector512.Create(14f), c15 = Vector512.Create(15f);
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, a, b); c1 = Avx512F.FusedMultiplyAdd(c1, a, b);
            c2 = Avx512F.FusedMultiplyAdd(c2, a, b); c3 = Avx512F.FusedMultiplyAdd(c3, a, b);
            c4 = Avx512F.FusedMultiplyAdd(c4, a, b); c5 = Avx512F.FusedMultiplyAdd(c5, a, b);
            c6 = Avx512F.FusedMultiplyAdd(c6, a, b); c7 = Avx512F.FusedMultiplyAdd(c7, a, b);
            c8 = Avx512F.FusedMultiplyAdd(c8, a, b); c9 = Avx512F.FusedMultiplyAdd(c9, a, b);
            c10 = Avx512F.FusedMultiplyAdd(c10, a, b); c11 = Avx512F.FusedMultiplyAdd(c11, a, b);
            c12 = Avx512F.FusedMultiplyAdd(c12, a, b); c13 = Avx512F.FusedMultiplyAdd(c13, a, b);
            c14 = Avx512F.FusedMultiplyAdd(c14, a, b); c15 = Avx512F.FusedMultiplyAdd(c15, a, b);
        }
        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15));
        return Vector512.Sum(sum);
    }

    /// <summary><see cref="Iterations"/> x 12 AVX2 FMAs (vfmadd on ymm registers); returns a sum so the loop is not removed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Vector256Loop()
    {
        if (!Fma.IsSupported) throw new PlatformNotSupportedException("FmaPeak.Vector256Loop: this CPU (or DOTNET_EnableFMA=0) has no FMA3.");
        var a = Vector256.Create(0.5f);
        var b = Vector256.Create(0.5f);
        Vector256<float> c0 = Vector256.Create(0f), c1 = Vector256.Create(1f), c2 = Vector256.Create(2f), c3 = Vector256.Create(3f);
        Vector256<float> c4 = Vector256.Create(4f), c5 = Vector256.Create(5f), c6 = Vector256.Create(6f), c7 = Vector256.Create(7f);
        Vector256<float> c8 = Vector256.Create(8f), c9 = Vector256.Create(9f), c10 = Vector256.Create(10f), c11 = Vector256.Create(11f);
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b);
            c2 = Fma.MultiplyAdd(c2, a, b); c3 = Fma.MultiplyAdd(c3, a, b);
            c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b);
            c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b);
            c8 = Fma.MultiplyAdd(c8, a, b); c9 = Fma.MultiplyAdd(c9, a, b);
            c10 = Fma.MultiplyAdd(c10, a, b); c11 = Fma.MultiplyAdd(c11, a, b);
        }
        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector256.Sum(sum);
    }

    /// <summary>
    /// One core's peak in GFLOP/s on the widest FMA the CPU has, measured here and now: the best
    /// of about 40 runs of the loop (about 0.1 s in all), after a warm-up. The fraction-of-peak
    /// column divides by this unless CONVOLVE_PEAK_GFLOPS gives a figure (e.g. the Peak
    /// benchmark's own result on a quiet machine).
    /// </summary>
    public static double MeasurePerCoreGflops()
    {
        Func<float> loop = HasVector512 ? Vector512Loop : HasVector256 ? Vector256Loop : () => 0;
        double flops = HasVector512 ? Vector512Flops : HasVector256 ? Vector256Flops : 0;
        if (flops == 0) return double.NaN;
        for (int i = 0; i < 5; i++) loop();
        double best = double.MaxValue;
        for (int i = 0; i < 40; i++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            loop();
            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return flops / best / 1e9;
    }
}
