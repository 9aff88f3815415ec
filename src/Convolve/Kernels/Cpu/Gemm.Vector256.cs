using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

internal sealed partial class Gemm
{
    /// <summary>
    /// AVX2 micro-kernel, 6 x 16: per step p, two 8-lane loads of b, six broadcasts of a and 12
    /// fused multiply-adds into 12 ymm accumulators; 15 registers in all, which fits the 16 ymm
    /// registers of a machine without AVX-512. Loads are unaligned instructions on 64-byte aligned
    /// panels; C rows are read and written unaligned. Written out like the AVX-512 kernels rather than
    /// shared with them: the accumulators must be named locals to stay in registers, and each width has its own tile.
    /// </summary>
    private readonly struct Vector256Kernel : IMicroKernel
    {
        public static int Rows => 6;
        public static int Columns => 16;
        public static int Depth => 256;
        public static bool PackWithAvx512 => false;
        public static int BlockColumns => 512;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run(int depth, float* a, float* b, float* c, nint ldc, bool accumulate)
        {
            Vector256<float> c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1;
            if (accumulate)
            {
                c0_0 = Vector256.Load(c); c0_1 = Vector256.Load(c + 8);
                c1_0 = Vector256.Load(c + ldc); c1_1 = Vector256.Load(c + ldc + 8);
                c2_0 = Vector256.Load(c + 2 * ldc); c2_1 = Vector256.Load(c + 2 * ldc + 8);
                c3_0 = Vector256.Load(c + 3 * ldc); c3_1 = Vector256.Load(c + 3 * ldc + 8);
                c4_0 = Vector256.Load(c + 4 * ldc); c4_1 = Vector256.Load(c + 4 * ldc + 8);
                c5_0 = Vector256.Load(c + 5 * ldc); c5_1 = Vector256.Load(c + 5 * ldc + 8);
            }
            else
            {
                c0_0 = default; c0_1 = default;
                c1_0 = default; c1_1 = default;
                c2_0 = default; c2_1 = default;
                c3_0 = default; c3_1 = default;
                c4_0 = default; c4_1 = default;
                c5_0 = default; c5_1 = default;
            }

            for (int p = 0; p < depth; p++, a += 6, b += 16)
            {
                var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 8);
                var a0 = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
                var a1 = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
                var a2 = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
                var a3 = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
                var a4 = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(a4, b1, c4_1);
                var a5 = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(a5, b1, c5_1);
            }

            c0_0.Store(c); c0_1.Store(c + 8);
            c1_0.Store(c + ldc); c1_1.Store(c + ldc + 8);
            c2_0.Store(c + 2 * ldc); c2_1.Store(c + 2 * ldc + 8);
            c3_0.Store(c + 3 * ldc); c3_1.Store(c + 3 * ldc + 8);
            c4_0.Store(c + 4 * ldc); c4_1.Store(c + 4 * ldc + 8);
            c5_0.Store(c + 5 * ldc); c5_1.Store(c + 5 * ldc + 8);
        }
    }
}
