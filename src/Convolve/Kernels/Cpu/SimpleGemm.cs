using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

using Convolve.Kernels.Reference;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Row-at-a-time matrix multiply on <see cref="TensorPrimitives"/>: each row of C is built as a
/// sum of scaled rows of B (or, with <c>transB</c>, as dot products with rows of B), rows split
/// across cores. Simple and vectorised, not cache-blocked.
/// </summary>
public sealed class SimpleGemm : IGemmKernel
{
    /// <summary>The shared instance (the kernel has no state).</summary>
    public static readonly SimpleGemm Instance = new();

    public unsafe void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate)
    {
        if (transA && transB)
        {
            GemmReference.Instance.Multiply(transA, transB, m, n, k, a, b, c, accumulate);
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new Job(transA, transB, m, n, k, pa, pb, pc, accumulate);
            if ((long)m * n * k < 1 << 16 || m == 1) job.Rows(0, m);
            else Parallel.For(0, Math.Min(m, Environment.ProcessorCount), part =>
            {
                int parts = Math.Min(m, Environment.ProcessorCount);
                job.Rows(m * part / parts, m * (part + 1) / parts);
            });
        }
    }

    private readonly unsafe struct Job(bool transA, bool transB, int m, int n, int k,
        float* a, float* b, float* c, bool accumulate)
    {
        public void Rows(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                var cRow = new Span<float>(c + (long)i * n, n);
                if (transB)
                {
                    var aRow = new ReadOnlySpan<float>(a + (long)i * k, k);
                    for (int j = 0; j < n; j++)
                    {
                        float dot = TensorPrimitives.Dot(aRow, new ReadOnlySpan<float>(b + (long)j * k, k));
                        cRow[j] = accumulate ? cRow[j] + dot : dot;
                    }
                    continue;
                }
                if (!accumulate) cRow.Clear();
                for (int p = 0; p < k; p++)
                {
                    float aValue = transA ? a[(long)p * m + i] : a[(long)i * k + p];
                    if (aValue == 0) continue;
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b + (long)p * n, n), aValue, cRow, cRow);
                }
            }
        }
    }
}
