using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Convolve.Kernels.Cpu;

/// <summary>The vector widths Convolve's kernels are written for, as floats per register.</summary>
internal enum SimdWidth
{
    /// <summary>No hardware vectors: plain loops (what <c>DOTNET_EnableHWIntrinsic=0</c> leaves).</summary>
    Scalar = 1,

    /// <summary>128-bit vectors, 4 floats: SSE on x86, AdvSimd (NEON) on ARM64.</summary>
    Vector128 = 4,

    /// <summary>256-bit vectors, 8 floats: AVX2 with FMA (most laptops, AMD Zen 1-3).</summary>
    Vector256 = 8,

    /// <summary>512-bit vectors, 16 floats: AVX-512 (Intel Xeon, AMD Zen 4 and later).</summary>
    Vector512 = 16,
}

/// <summary>
/// What this process's CPU offers the kernels. .NET decides at start-up which vector types are
/// hardware accelerated; <c>DOTNET_EnableAVX512=0</c> (the AVX2 path),
/// <c>DOTNET_EnableAVX=0</c> (the 128-bit path) and <c>DOTNET_EnableHWIntrinsic=0</c> (plain
/// loops) narrow it, which is how the tests run every path on one machine.
/// </summary>
internal static class Simd
{
    /// <summary>The widest vector this process accelerates.</summary>
    public static SimdWidth Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdWidth.Vector512
        : Vector256.IsHardwareAccelerated ? SimdWidth.Vector256
        : Vector128.IsHardwareAccelerated ? SimdWidth.Vector128
        : SimdWidth.Scalar;

    /// <summary>Whether <paramref name="width"/> runs on hardware here (plain loops always do).</summary>
    public static bool IsAccelerated(SimdWidth width) => width <= Best;

    /// <summary>The instruction set behind <see cref="Best"/>, in words: "AVX-512", "AVX2", "SSE", "AdvSimd" or "none".</summary>
    public static string InstructionSet => Best switch
    {
        SimdWidth.Vector512 => "AVX-512",
        SimdWidth.Vector256 => "AVX2",
        SimdWidth.Vector128 => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
            == System.Runtime.InteropServices.Architecture.Arm64 ? "AdvSimd" : "SSE",
        _ => "none",
    };

    /// <summary>The CPU's model name (from /proc/cpuinfo on Linux), or the architecture where it is not known.</summary>
    public static string CpuName { get; } = ReadCpuName();

    /// <summary>One line for reports: CPU, cores and the vector path in use.</summary>
    public static string Describe() =>
        $"{CpuName}, {Environment.ProcessorCount} cores, " +
        (Best == SimdWidth.Scalar ? "no hardware vectors (plain loops)" : $"{InstructionSet} ({Best}, {(int)Best} floats per vector)");

    private static string ReadCpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and >= 0)
                        return line[(colon + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}

/// <summary>
/// One vector register of floats, so that a kernel is written once and instantiated per width:
/// <c>Kernel&lt;V512, Vector512&lt;float&gt;&gt;</c>, <c>&lt;V256, Vector256&lt;float&gt;&gt;</c>,
/// <c>&lt;V128, Vector128&lt;float&gt;&gt;</c>. The JIT compiles each instantiation separately
/// and inlines these static members, so the generic code costs nothing over hand-written
/// intrinsics. (.NET's own <c>ISimdVector</c> does the same but is internal.)
/// </summary>
/// <typeparam name="TVec">The register type.</typeparam>
internal interface IVector<TVec> where TVec : struct
{
    /// <summary>Floats per register.</summary>
    static abstract int Count { get; }

    /// <summary>The width this implementation is.</summary>
    static abstract SimdWidth Width { get; }

    static abstract TVec Zero { get; }

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVec Create(float value);

    /// <summary>Count floats from <paramref name="source"/> (no alignment needed).</summary>
    static abstract unsafe TVec Load(float* source);

    /// <summary>Count floats to <paramref name="destination"/> (no alignment needed).</summary>
    static abstract unsafe void Store(TVec value, float* destination);

    static abstract TVec Add(TVec left, TVec right);

    static abstract TVec Subtract(TVec left, TVec right);

    static abstract TVec Multiply(TVec left, TVec right);

    /// <summary>a * b + c, fused (one rounding) where the CPU has FMA, which every AVX2, AVX-512 and ARM64 CPU does.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>Lane-wise maximum; a NaN in either lane gives NaN (IEEE 754 maximum; a few instructions on x86).</summary>
    static abstract TVec Max(TVec left, TVec right);

    /// <summary>
    /// The CPU's own maximum, one instruction: on x86 a lane where either is NaN gives
    /// <paramref name="right"/>, so put the value that may be NaN on the right to carry it
    /// (<c>MaxNative(Zero, x)</c> for a ReLU). ARM64 gives NaN either way.
    /// </summary>
    static abstract TVec MaxNative(TVec left, TVec right);

    static abstract TVec Min(TVec left, TVec right);

    /// <summary>Lanes where left &gt; right all ones, the others zero.</summary>
    static abstract TVec GreaterThan(TVec left, TVec right);

    static abstract TVec BitwiseAnd(TVec left, TVec right);

    /// <summary>The sum of the lanes.</summary>
    static abstract float Sum(TVec value);

    /// <summary>Lanes from <paramref name="first"/> on all ones, the ones before zero.</summary>
    static abstract TVec LanesFrom(int first);

    /// <summary>
    /// The first <paramref name="count"/> floats at <paramref name="source"/> in the first lanes,
    /// zero in the others (all Count when count is Count or more); nothing past them is read. A
    /// masked load where the CPU has one (AVX-512, AVX), else one float at a time.
    /// </summary>
    static abstract unsafe TVec LoadFirst(float* source, int count);

    /// <summary>
    /// The first <paramref name="count"/> lanes of <paramref name="value"/> to
    /// <paramref name="destination"/> (all of them when count is Count or more); nothing past
    /// them is written, so another thread may own what follows. Masked where the CPU can.
    /// </summary>
    static abstract unsafe void StoreFirst(TVec value, float* destination, int count);
}

/// <summary>Tails one float at a time, for CPUs without masked loads and stores (SSE-only x86, ARM64).</summary>
internal static class PlainTails
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe TVec LoadFirst<V, TVec>(float* source, int count) where V : struct, IVector<TVec> where TVec : struct
    {
        float* lanes = stackalloc float[16];
        for (int i = 0; i < V.Count; i++) lanes[i] = i < count ? source[i] : 0f;
        return V.Load(lanes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void StoreFirst<V, TVec>(TVec value, float* destination, int count) where V : struct, IVector<TVec> where TVec : struct
    {
        float* lanes = stackalloc float[16];
        V.Store(value, lanes);
        for (int i = 0; i < count; i++) destination[i] = lanes[i];
    }
}

/// <summary>AVX-512: 16 floats.</summary>
internal readonly struct V512 : IVector<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static SimdWidth Width => SimdWidth.Vector512;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Create(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector512<float> Load(float* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(Vector512<float> value, float* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> left, Vector512<float> right) => left - right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> left, Vector512<float> right) => left * right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> left, Vector512<float> right) =>
        Vector512.Max(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxNative(Vector512<float> left, Vector512<float> right) =>
        Vector512.MaxNative(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> left, Vector512<float> right) =>
        Vector512.Min(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GreaterThan(Vector512<float> left, Vector512<float> right) =>
        Vector512.GreaterThan(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> BitwiseAnd(Vector512<float> left, Vector512<float> right) => left & right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> value) => Vector512.Sum(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LanesFrom(int first) =>
        Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(first)).AsSingle();

    public static unsafe Vector512<float> LoadFirst(float* source, int count)
    {
        if (count >= Vector512<float>.Count) return Vector512.Load(source);
        if (Avx512F.IsSupported) return Avx512F.MaskLoad(source, FirstLanes(count), Vector512<float>.Zero);
        return PlainTails.LoadFirst<V512, Vector512<float>>(source, count);
    }

    public static unsafe void StoreFirst(Vector512<float> value, float* destination, int count)
    {
        if (count >= Vector512<float>.Count) value.Store(destination);
        else if (Avx512F.IsSupported) Avx512F.MaskStore(destination, FirstLanes(count), value);
        else PlainTails.StoreFirst<V512, Vector512<float>>(value, destination, count);
    }

    private static Vector512<float> FirstLanes(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
}

/// <summary>AVX2 (or AVX): 8 floats.</summary>
internal readonly struct V256 : IVector<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static SimdWidth Width => SimdWidth.Vector256;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Create(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector256<float> Load(float* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(Vector256<float> value, float* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> left, Vector256<float> right) => left - right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> left, Vector256<float> right) => left * right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Vector256.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> left, Vector256<float> right) =>
        Vector256.Max(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaxNative(Vector256<float> left, Vector256<float> right) =>
        Vector256.MaxNative(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> left, Vector256<float> right) =>
        Vector256.Min(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GreaterThan(Vector256<float> left, Vector256<float> right) =>
        Vector256.GreaterThan(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> BitwiseAnd(Vector256<float> left, Vector256<float> right) => left & right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> value) => Vector256.Sum(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LanesFrom(int first) =>
        Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(first)).AsSingle();

    public static unsafe Vector256<float> LoadFirst(float* source, int count)
    {
        if (count >= Vector256<float>.Count) return Vector256.Load(source);
        if (Avx.IsSupported) return Avx.MaskLoad(source, FirstLanes(count));
        return PlainTails.LoadFirst<V256, Vector256<float>>(source, count);
    }

    public static unsafe void StoreFirst(Vector256<float> value, float* destination, int count)
    {
        if (count >= Vector256<float>.Count) value.Store(destination);
        else if (Avx.IsSupported) Avx.MaskStore(destination, FirstLanes(count), value);
        else PlainTails.StoreFirst<V256, Vector256<float>>(value, destination, count);
    }

    private static Vector256<float> FirstLanes(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
}

/// <summary>SSE on x86, AdvSimd on ARM64: 4 floats.</summary>
internal readonly struct V128 : IVector<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static SimdWidth Width => SimdWidth.Vector128;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Create(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector128<float> Load(float* source) => Vector128.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(Vector128<float> value, float* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> left, Vector128<float> right) => left - right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> left, Vector128<float> right) => left * right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> left, Vector128<float> right) =>
        Vector128.Max(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MaxNative(Vector128<float> left, Vector128<float> right) =>
        Vector128.MaxNative(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> left, Vector128<float> right) =>
        Vector128.Min(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> GreaterThan(Vector128<float> left, Vector128<float> right) =>
        Vector128.GreaterThan(left, right);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> BitwiseAnd(Vector128<float> left, Vector128<float> right) => left & right;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> value) => Vector128.Sum(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LanesFrom(int first) =>
        Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create(first)).AsSingle();

    public static unsafe Vector128<float> LoadFirst(float* source, int count)
    {
        if (count >= Vector128<float>.Count) return Vector128.Load(source);
        if (Avx.IsSupported) return Avx.MaskLoad(source, FirstLanes(count));
        return PlainTails.LoadFirst<V128, Vector128<float>>(source, count);
    }

    public static unsafe void StoreFirst(Vector128<float> value, float* destination, int count)
    {
        if (count >= Vector128<float>.Count) value.Store(destination);
        else if (Avx.IsSupported) Avx.MaskStore(destination, FirstLanes(count), value);
        else PlainTails.StoreFirst<V128, Vector128<float>>(value, destination, count);
    }

    private static Vector128<float> FirstLanes(int count) => Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();
}
