namespace Convolve.Kernels.Reference;

/// <summary>Matrix multiply by the textbook triple loop (sums in double): the definition.</summary>
internal sealed class GemmReference : IGemmKernel
{
    /// <summary>The shared instance (the kernel has no state).</summary>
    public static readonly GemmReference Instance = new();

    public void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0;
                for (int p = 0; p < k; p++)
                {
                    float aValue = transA ? a[p * m + i] : a[i * k + p];
                    float bValue = transB ? b[j * k + p] : b[p * n + j];
                    sum += aValue * bValue;
                }
                c[i * n + j] = (float)sum;
            }
    }
}
