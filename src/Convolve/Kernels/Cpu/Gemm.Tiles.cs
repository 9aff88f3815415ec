using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

internal sealed partial class Gemm
{
    /// <summary>
    /// The micro-kernel tile for an M x N product at <paramref name="width"/>, for callers that
    /// pack operands themselves: at <see cref="SimdWidth.Vector512"/> 12 x 32 or 8 x 48, whichever
    /// pads the product less (as <see cref="Multiply"/> chooses); at
    /// <see cref="SimdWidth.Vector256"/> 6 x 16 (two vectors per row, <see cref="Vector256Kernel"/>);
    /// at <see cref="SimdWidth.Vector128"/> 6 x 8 (two vectors per row, <see cref="TileKernel{V, TVec}"/>).
    /// </summary>
    internal static (int Rows, int Columns) TileFor(SimdWidth width, int m, int n) => width switch
    {
        SimdWidth.Vector512 => Vector512KernelFor(m, n) == GemmPath.Vector512Tile8x48 ? (8, 48) : (12, 32),
        SimdWidth.Vector256 => (Vector256Kernel.Rows, Vector256Kernel.Columns),
        SimdWidth.Vector128 => (TileKernel<V128, Vector128<float>>.Rows, TileKernel<V128, Vector128<float>>.Columns),
        _ => throw new ArgumentOutOfRangeException(nameof(width), width, "Gemm.TileFor: packed tiles exist for 128-, 256- and 512-bit vectors."),
    };

    /// <summary>
    /// One tile of C (<paramref name="rows"/> x columns, a shape from <see cref="TileFor"/> at the
    /// same <paramref name="width"/>) from operands already in the micro-kernel's packed layout,
    /// for callers that produce them that way (<see cref="Conv2DWinograd"/>):
    /// <c>a[p * rows + i]</c> = A[i, p], <c>b[p * columns + j]</c> = B[p, j], for
    /// p &lt; <paramref name="depth"/>; <c>C[i, j]</c> at <c>c[i * ldc + j]</c> is overwritten, or
    /// added to when <paramref name="accumulate"/>. Each value of C is the multiply-adds over p
    /// in order, whatever the tile. The caller checks that the width is accelerated.
    /// </summary>
    internal static unsafe void MultiplyTile(SimdWidth width, int rows, int depth, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        switch (width)
        {
            case SimdWidth.Vector512 when rows == 8: Vector512WideKernel.Run(depth, a, b, c, ldc, accumulate); break;
            case SimdWidth.Vector512: Vector512Kernel.Run(depth, a, b, c, ldc, accumulate); break;
            case SimdWidth.Vector256: Vector256Kernel.Run(depth, a, b, c, ldc, accumulate); break;
            default: TileKernel<V128, Vector128<float>>.Run(depth, a, b, c, ldc, accumulate); break;
        }
    }

    /// <summary>
    /// Width-generic micro-kernel, 6 x 2V (V the floats per vector; 6 x 8 for 128-bit vectors):
    /// per step p, two vector loads of b, six broadcasts of a and 12 multiply-adds into 12
    /// accumulators; 15 registers in all, which fits the 16 of SSE (and the 32 of AdvSimd). Used
    /// only on packed panels from <see cref="TileFor"/>; <see cref="Multiply"/> keeps its own kernels.
    /// </summary>
    private static class TileKernel<V, TVec> where V : struct, IVector<TVec> where TVec : struct
    {
        public static int Rows => 6;
        public static int Columns => 2 * V.Count;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run(int depth, float* a, float* b, float* c, nint ldc, bool accumulate)
        {
            int n = V.Count, columns = 2 * n;
            TVec c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1;
            if (accumulate)
            {
                c0_0 = V.Load(c); c0_1 = V.Load(c + n);
                c1_0 = V.Load(c + ldc); c1_1 = V.Load(c + ldc + n);
                c2_0 = V.Load(c + 2 * ldc); c2_1 = V.Load(c + 2 * ldc + n);
                c3_0 = V.Load(c + 3 * ldc); c3_1 = V.Load(c + 3 * ldc + n);
                c4_0 = V.Load(c + 4 * ldc); c4_1 = V.Load(c + 4 * ldc + n);
                c5_0 = V.Load(c + 5 * ldc); c5_1 = V.Load(c + 5 * ldc + n);
            }
            else
            {
                c0_0 = V.Zero; c0_1 = V.Zero;
                c1_0 = V.Zero; c1_1 = V.Zero;
                c2_0 = V.Zero; c2_1 = V.Zero;
                c3_0 = V.Zero; c3_1 = V.Zero;
                c4_0 = V.Zero; c4_1 = V.Zero;
                c5_0 = V.Zero; c5_1 = V.Zero;
            }

            for (int p = 0; p < depth; p++, a += 6, b += columns)
            {
                var b0 = V.Load(b); var b1 = V.Load(b + n);
                var a0 = V.Create(a[0]); c0_0 = V.MultiplyAdd(a0, b0, c0_0); c0_1 = V.MultiplyAdd(a0, b1, c0_1);
                var a1 = V.Create(a[1]); c1_0 = V.MultiplyAdd(a1, b0, c1_0); c1_1 = V.MultiplyAdd(a1, b1, c1_1);
                var a2 = V.Create(a[2]); c2_0 = V.MultiplyAdd(a2, b0, c2_0); c2_1 = V.MultiplyAdd(a2, b1, c2_1);
                var a3 = V.Create(a[3]); c3_0 = V.MultiplyAdd(a3, b0, c3_0); c3_1 = V.MultiplyAdd(a3, b1, c3_1);
                var a4 = V.Create(a[4]); c4_0 = V.MultiplyAdd(a4, b0, c4_0); c4_1 = V.MultiplyAdd(a4, b1, c4_1);
                var a5 = V.Create(a[5]); c5_0 = V.MultiplyAdd(a5, b0, c5_0); c5_1 = V.MultiplyAdd(a5, b1, c5_1);
            }

            V.Store(c0_0, c); V.Store(c0_1, c + n);
            V.Store(c1_0, c + ldc); V.Store(c1_1, c + ldc + n);
            V.Store(c2_0, c + 2 * ldc); V.Store(c2_1, c + 2 * ldc + n);
            V.Store(c3_0, c + 3 * ldc); V.Store(c3_1, c + 3 * ldc + n);
            V.Store(c4_0, c + 4 * ldc); V.Store(c4_1, c + 4 * ldc + n);
            V.Store(c5_0, c + 5 * ldc); V.Store(c5_1, c + 5 * ldc + n);
        }
    }
}
