using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

internal sealed partial class Gemm
{
    /// <summary>
    /// AVX-512 micro-kernel, 12 x 32: per step p, two 16-lane loads of b (columns 0-15, 16-31), twelve
    /// broadcasts of a (rows 0-11) and 24 fused multiply-adds into 24 zmm accumulators; with the two
    /// b vectors and one broadcast that is 27 of the 32 zmm registers, so nothing spills. 24
    /// independent accumulators cover the 4-cycle FMA latency on two FMA ports. Loads are
    /// unaligned instructions; the packed panels are 64-byte aligned so they never split a line.
    /// C rows are read and written unaligned (ldc is any n).
    /// </summary>
    private readonly struct Vector512Kernel : IMicroKernel
    {
        public static int Rows => 12;
        public static int Columns => 32;
        public static int Depth => 256;
        public static bool PackWithAvx512 => System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        public static int BlockColumns => 1024;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run(int depth, float* a, float* b, float* c, nint ldc, bool accumulate)
        {
            Vector512<float> c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1,
                c6_0, c6_1, c7_0, c7_1, c8_0, c8_1, c9_0, c9_1, c10_0, c10_1, c11_0, c11_1;
            if (accumulate)
            {
                c0_0 = Vector512.Load(c); c0_1 = Vector512.Load(c + 16);
                c1_0 = Vector512.Load(c + ldc); c1_1 = Vector512.Load(c + ldc + 16);
                c2_0 = Vector512.Load(c + 2 * ldc); c2_1 = Vector512.Load(c + 2 * ldc + 16);
                c3_0 = Vector512.Load(c + 3 * ldc); c3_1 = Vector512.Load(c + 3 * ldc + 16);
                c4_0 = Vector512.Load(c + 4 * ldc); c4_1 = Vector512.Load(c + 4 * ldc + 16);
                c5_0 = Vector512.Load(c + 5 * ldc); c5_1 = Vector512.Load(c + 5 * ldc + 16);
                c6_0 = Vector512.Load(c + 6 * ldc); c6_1 = Vector512.Load(c + 6 * ldc + 16);
                c7_0 = Vector512.Load(c + 7 * ldc); c7_1 = Vector512.Load(c + 7 * ldc + 16);
                c8_0 = Vector512.Load(c + 8 * ldc); c8_1 = Vector512.Load(c + 8 * ldc + 16);
                c9_0 = Vector512.Load(c + 9 * ldc); c9_1 = Vector512.Load(c + 9 * ldc + 16);
                c10_0 = Vector512.Load(c + 10 * ldc); c10_1 = Vector512.Load(c + 10 * ldc + 16);
                c11_0 = Vector512.Load(c + 11 * ldc); c11_1 = Vector512.Load(c + 11 * ldc + 16);
            }
            else
            {
                c0_0 = default; c0_1 = default;
                c1_0 = default; c1_1 = default;
                c2_0 = default; c2_1 = default;
                c3_0 = default; c3_1 = default;
                c4_0 = default; c4_1 = default;
                c5_0 = default; c5_1 = default;
                c6_0 = default; c6_1 = default;
                c7_0 = default; c7_1 = default;
                c8_0 = default; c8_1 = default;
                c9_0 = default; c9_1 = default;
                c10_0 = default; c10_1 = default;
                c11_0 = default; c11_1 = default;
            }

            for (int p = 0; p < depth; p++, a += 12, b += 32)
            {
                var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16);
                var a0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
                var a1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
                var a2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
                var a3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
                var a4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
                var a5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
                var a6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
                var a7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
                var a8 = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(a8, b1, c8_1);
                var a9 = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(a9, b1, c9_1);
                var a10 = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(a10, b1, c10_1);
                var a11 = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(a11, b1, c11_1);
            }

            c0_0.Store(c); c0_1.Store(c + 16);
            c1_0.Store(c + ldc); c1_1.Store(c + ldc + 16);
            c2_0.Store(c + 2 * ldc); c2_1.Store(c + 2 * ldc + 16);
            c3_0.Store(c + 3 * ldc); c3_1.Store(c + 3 * ldc + 16);
            c4_0.Store(c + 4 * ldc); c4_1.Store(c + 4 * ldc + 16);
            c5_0.Store(c + 5 * ldc); c5_1.Store(c + 5 * ldc + 16);
            c6_0.Store(c + 6 * ldc); c6_1.Store(c + 6 * ldc + 16);
            c7_0.Store(c + 7 * ldc); c7_1.Store(c + 7 * ldc + 16);
            c8_0.Store(c + 8 * ldc); c8_1.Store(c + 8 * ldc + 16);
            c9_0.Store(c + 9 * ldc); c9_1.Store(c + 9 * ldc + 16);
            c10_0.Store(c + 10 * ldc); c10_1.Store(c + 10 * ldc + 16);
            c11_0.Store(c + 11 * ldc); c11_1.Store(c + 11 * ldc + 16);
        }
    }

    /// <summary>
    /// AVX-512 micro-kernel, 8 x 48: per step p, three 16-lane loads of b (columns 0-15, 16-31,
    /// 32-47), eight broadcasts of a (rows 0-7) and 24 fused multiply-adds into 24 zmm
    /// accumulators (28 of the 32 registers with the b vectors and one broadcast). The same 24
    /// multiply-adds per step as <see cref="Vector512Kernel"/> for 11 loads instead of 14, and a
    /// tile that fits C exactly when M is a multiple of 8 (64 output channels, a batch of 64):
    /// 12 x 32 would compute 72 rows for 64. The shape picks between them (see
    /// <see cref="Vector512KernelFor"/>). Same depth of slices as 12 x 32, so every value of C is
    /// the same sequence of multiply-adds on either kernel: only the speed differs. NC is 21
    /// panels (1008 columns), the multiple of 48 nearest 1024.
    /// </summary>
    private readonly struct Vector512WideKernel : IMicroKernel
    {
        public static int Rows => 8;
        public static int Columns => 48;
        public static int Depth => 256;
        public static bool PackWithAvx512 => System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        public static int BlockColumns => 1008;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run(int depth, float* a, float* b, float* c, nint ldc, bool accumulate)
        {
            Vector512<float> c0_0, c0_1, c0_2, c1_0, c1_1, c1_2, c2_0, c2_1, c2_2, c3_0, c3_1, c3_2,
                c4_0, c4_1, c4_2, c5_0, c5_1, c5_2, c6_0, c6_1, c6_2, c7_0, c7_1, c7_2;
            if (accumulate)
            {
                c0_0 = Vector512.Load(c); c0_1 = Vector512.Load(c + 16); c0_2 = Vector512.Load(c + 32);
                c1_0 = Vector512.Load(c + ldc); c1_1 = Vector512.Load(c + ldc + 16); c1_2 = Vector512.Load(c + ldc + 32);
                c2_0 = Vector512.Load(c + 2 * ldc); c2_1 = Vector512.Load(c + 2 * ldc + 16); c2_2 = Vector512.Load(c + 2 * ldc + 32);
                c3_0 = Vector512.Load(c + 3 * ldc); c3_1 = Vector512.Load(c + 3 * ldc + 16); c3_2 = Vector512.Load(c + 3 * ldc + 32);
                c4_0 = Vector512.Load(c + 4 * ldc); c4_1 = Vector512.Load(c + 4 * ldc + 16); c4_2 = Vector512.Load(c + 4 * ldc + 32);
                c5_0 = Vector512.Load(c + 5 * ldc); c5_1 = Vector512.Load(c + 5 * ldc + 16); c5_2 = Vector512.Load(c + 5 * ldc + 32);
                c6_0 = Vector512.Load(c + 6 * ldc); c6_1 = Vector512.Load(c + 6 * ldc + 16); c6_2 = Vector512.Load(c + 6 * ldc + 32);
                c7_0 = Vector512.Load(c + 7 * ldc); c7_1 = Vector512.Load(c + 7 * ldc + 16); c7_2 = Vector512.Load(c + 7 * ldc + 32);
            }
            else
            {
                c0_0 = default; c0_1 = default; c0_2 = default;
                c1_0 = default; c1_1 = default; c1_2 = default;
                c2_0 = default; c2_1 = default; c2_2 = default;
                c3_0 = default; c3_1 = default; c3_2 = default;
                c4_0 = default; c4_1 = default; c4_2 = default;
                c5_0 = default; c5_1 = default; c5_2 = default;
                c6_0 = default; c6_1 = default; c6_2 = default;
                c7_0 = default; c7_1 = default; c7_2 = default;
            }

            for (int p = 0; p < depth; p++, a += 8, b += 48)
            {
                var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16); var b2 = Vector512.Load(b + 32);
                var a0 = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0);
                c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1); c0_2 = Vector512.FusedMultiplyAdd(a0, b2, c0_2);
                var a1 = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0);
                c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1); c1_2 = Vector512.FusedMultiplyAdd(a1, b2, c1_2);
                var a2 = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0);
                c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1); c2_2 = Vector512.FusedMultiplyAdd(a2, b2, c2_2);
                var a3 = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0);
                c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1); c3_2 = Vector512.FusedMultiplyAdd(a3, b2, c3_2);
                var a4 = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0);
                c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1); c4_2 = Vector512.FusedMultiplyAdd(a4, b2, c4_2);
                var a5 = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0);
                c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1); c5_2 = Vector512.FusedMultiplyAdd(a5, b2, c5_2);
                var a6 = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0);
                c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1); c6_2 = Vector512.FusedMultiplyAdd(a6, b2, c6_2);
                var a7 = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0);
                c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1); c7_2 = Vector512.FusedMultiplyAdd(a7, b2, c7_2);
            }

            c0_0.Store(c); c0_1.Store(c + 16); c0_2.Store(c + 32);
            c1_0.Store(c + ldc); c1_1.Store(c + ldc + 16); c1_2.Store(c + ldc + 32);
            c2_0.Store(c + 2 * ldc); c2_1.Store(c + 2 * ldc + 16); c2_2.Store(c + 2 * ldc + 32);
            c3_0.Store(c + 3 * ldc); c3_1.Store(c + 3 * ldc + 16); c3_2.Store(c + 3 * ldc + 32);
            c4_0.Store(c + 4 * ldc); c4_1.Store(c + 4 * ldc + 16); c4_2.Store(c + 4 * ldc + 32);
            c5_0.Store(c + 5 * ldc); c5_1.Store(c + 5 * ldc + 16); c5_2.Store(c + 5 * ldc + 32);
            c6_0.Store(c + 6 * ldc); c6_1.Store(c + 6 * ldc + 16); c6_2.Store(c + 6 * ldc + 32);
            c7_0.Store(c + 7 * ldc); c7_1.Store(c + 7 * ldc + 16); c7_2.Store(c + 7 * ldc + 32);
        }
    }
}
