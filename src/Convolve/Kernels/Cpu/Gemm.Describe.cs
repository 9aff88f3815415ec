namespace Convolve.Kernels.Cpu;

internal sealed partial class Gemm
{
    /// <summary>
    /// Which kernel <see cref="Multiply"/> runs for these arguments, in one line, e.g.
    /// "dot products (Vector256): few rows of A against B transposed" or
    /// "packed 6 x 16 micro-kernel (Vector256)". From the same choices Multiply makes
    /// (<see cref="SkinnyKindOf"/>, <see cref="PackedKernelOf"/>), so it cannot drift from them.
    /// </summary>
    internal static string Describe(GemmPath path, bool transA, bool transB, int m, int n, int k)
    {
        if (m == 0 || n == 0) return "nothing to compute (C is empty)";
        if (k == 0) return "no sum (k = 0): C cleared, or kept when accumulating";
        switch (SkinnyKindOf(path, transA, transB, m, n, k))
        {
            case SkinnyKind.RowCombinations:
                return $"row combinations ({SkinnyWidthOf(path)}): each row of C a combination of rows of B, read in place";
            case SkinnyKind.Dots:
                return $"dot products ({SkinnyWidthOf(path)}): " +
                    (n <= Skinny ? "rows of A against few rows of B (B transposed)" : "few rows of A against B transposed");
        }
        return PackedKernelOf(path, m, n) switch
        {
            GemmPath.Vector512Tile12x32 => "packed 12 x 32 micro-kernel (Vector512)",
            GemmPath.Vector512Tile8x48 => "packed 8 x 48 micro-kernel (Vector512)",
            GemmPath.Vector256 => "packed 6 x 16 micro-kernel (Vector256)",
            _ => "packed 4 x 4 scalar micro-kernel",
        };
    }

    /// <summary><see cref="Describe(GemmPath, bool, bool, int, int, int)"/> on this instance's path.</summary>
    internal string Describe(bool transA, bool transB, int m, int n, int k) => Describe(path, transA, transB, m, n, k);
}
