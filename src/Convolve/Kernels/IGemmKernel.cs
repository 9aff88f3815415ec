namespace Convolve.Kernels;

/// <summary>
/// Matrix multiply on dense row-major matrices:
/// <c>C[m, n] = (accumulate ? C[m, n] : 0) + sum over p of A'[m, p] * B'[p, n]</c>, where A' is A
/// ([m, k], or [k, m] stored when <c>transA</c>) and B' is B ([k, n], or [n, k] stored when <c>transB</c>).
/// </summary>
internal interface IGemmKernel
{
    void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate);
}
