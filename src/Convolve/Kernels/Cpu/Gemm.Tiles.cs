namespace Convolve.Kernels.Cpu;

public sealed partial class Gemm
{
    /// <summary>
    /// The AVX-512 tile, 12 x 32 or 8 x 48, that pads an M x N product less (as
    /// <see cref="Multiply"/> chooses), for callers that pack operands themselves.
    /// </summary>
    internal static (int Rows, int Columns) TileFor(int m, int n) =>
        Vector512KernelFor(m, n) == GemmPath.Vector512Tile8x48 ? (8, 48) : (12, 32);

    /// <summary>
    /// One tile of C (<paramref name="rows"/> x columns, a shape from <see cref="TileFor"/>) from
    /// operands already in the micro-kernel's packed layout, for callers that produce them that
    /// way (<see cref="Conv2DWinograd"/>): <c>a[p * rows + i]</c> = A[i, p],
    /// <c>b[p * columns + j]</c> = B[p, j], for p &lt; <paramref name="depth"/>; <c>C[i, j]</c>
    /// at <c>c[i * ldc + j]</c> is overwritten, or added to when <paramref name="accumulate"/>.
    /// Each value of C is the multiply-adds over p in order, whatever the tile. AVX-512 only
    /// (the caller checks).
    /// </summary>
    internal static unsafe void MultiplyTile(int rows, int depth, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        if (rows == 8) Vector512WideKernel.Run(depth, a, b, c, ldc, accumulate);
        else Vector512Kernel.Run(depth, a, b, c, ldc, accumulate);
    }
}
