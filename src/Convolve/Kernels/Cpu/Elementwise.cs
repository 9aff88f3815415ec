using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// An element-wise function of two inputs, <c>result[i] = f(x[i], y[i])</c>, in scalar and vector
/// forms that must agree lane by lane.
/// <see cref="Elementwise.Apply{TOperator}(TOperator, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
/// runs it over spans.
/// </summary>
internal interface IBinaryOperator
{
    float Invoke(float x, float y);
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>
/// One loop driver for element-wise operators: 16 lanes at a time with Vector512 where the CPU
/// has it, then 8 with Vector256, then the scalar form for the last few elements (no alignment
/// needed: loads and stores are unaligned). Element-wise work that TensorPrimitives has is done
/// with TensorPrimitives; this is for what it lacks (masks such as ReLU's gradient).
/// </summary>
internal static class Elementwise
{
    /// <summary>result[i] = op(x[i], y[i]) for every i; the three spans have one length.</summary>
    public static void Apply<TOperator>(TOperator op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> result)
        where TOperator : struct, IBinaryOperator => Apply(op, x, y, result, Simd.Best);

    /// <summary>
    /// <see cref="Apply{TOperator}(TOperator, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    /// with vectors of at most <paramref name="width"/>, for the tests of each width.
    /// </summary>
    internal static void Apply<TOperator>(TOperator op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> result, SimdWidth width)
        where TOperator : struct, IBinaryOperator
    {
        if (x.Length != y.Length || x.Length != result.Length)
            throw new ArgumentException($"Elementwise.Apply: lengths differ ({x.Length}, {y.Length}, {result.Length}).");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pr = ref MemoryMarshal.GetReference(result);
        int i = 0, n = x.Length;
        if (Vector512.IsHardwareAccelerated && width >= SimdWidth.Vector512)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref px, (nuint)i), Vector512.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref pr, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated && width >= SimdWidth.Vector256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref pr, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref pr, i) = op.Invoke(Unsafe.Add(ref px, i), Unsafe.Add(ref py, i));
    }

    // Below this many elements (1 MiB of floats) a second thread costs more than it saves.
    private const int ParallelThreshold = 1 << 18;

    /// <summary>
    /// <see cref="Apply{TOperator}(TOperator, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    /// split into one contiguous range per thread, for large tensors (up to
    /// <paramref name="maxThreads"/> threads, 0 for one per core); the same values whatever the split.
    /// </summary>
    public static unsafe void ApplyParallel<TOperator>(TOperator op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> result, int maxThreads)
        where TOperator : struct, IBinaryOperator
    {
        int threads = ThreadCount.Resolve(maxThreads);
        if (threads <= 1 || x.Length < ParallelThreshold)
        {
            Apply(op, x, y, result);
            return;
        }
        if (x.Length != y.Length || x.Length != result.Length)
            throw new ArgumentException($"Elementwise.ApplyParallel: lengths differ ({x.Length}, {y.Length}, {result.Length}).");
        fixed (float* px = x, py = y, pr = result)
            ParallelParts.Run(threads, threads, new Job<TOperator>(op, px, py, pr, x.Length, threads));
    }

    private readonly unsafe struct Job<TOperator>(TOperator op, float* x, float* y, float* result, int length, int parts) : IParallelPart
        where TOperator : struct, IBinaryOperator
    {
        public void Run(int part)
        {
            // Ranges of whole 16-float blocks, the last taking the remainder.
            int blocks = (length + 15) / 16;
            int from = (int)((long)blocks * part / parts) * 16, to = Math.Min(length, (int)((long)blocks * (part + 1) / parts) * 16);
            Apply(op, new ReadOnlySpan<float>(x + from, to - from), new ReadOnlySpan<float>(y + from, to - from), new Span<float>(result + from, to - from));
        }
    }
}
