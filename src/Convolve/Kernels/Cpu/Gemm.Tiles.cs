namespace Convolve.Kernels.Cpu;

public sealed partial class Gemm
{
    /// <summary>Rows of C per tile of <see cref="MultiplyTile"/>.</summary>
    internal const int TileRows = 12;

    /// <summary>Columns of C per tile of <see cref="MultiplyTile"/>.</summary>
    internal const int TileColumns = 32;

    /// <summary>
    /// One 12 x 32 tile of C from operands already in the micro-kernel's packed layout, for
    /// callers that produce them that way (<see cref="Conv2DWinograd"/>): <c>a[p * 12 + i]</c> =
    /// A[i, p], <c>b[p * 32 + j]</c> = B[p, j], for p &lt; <paramref name="depth"/>;
    /// <c>C[i, j]</c> at <c>c[i * ldc + j]</c> is overwritten, or added to when
    /// <paramref name="accumulate"/>. AVX-512 only (the caller checks).
    /// </summary>
    internal static unsafe void MultiplyTile(int depth, float* a, float* b, float* c, nint ldc, bool accumulate) =>
        Vector512Kernel.Run(depth, a, b, c, ldc, accumulate);
}
