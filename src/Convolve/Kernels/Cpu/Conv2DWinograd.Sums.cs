using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

public sealed partial class Conv2DWinograd
{
    /// <summary>
    /// The weight gradient's multiply of one position:
    /// <c>sums[i, j] += Σ_t w[i * tiles + t] · v[j * tiles + t]</c> for i &lt; rows
    /// (output channels), j &lt; columns (input channels), t &lt; tiles, sums rows columns apart. Both operands are read as the transforms wrote
    /// them, V tiles per vector (a matrix multiply would first transpose both into its panels,
    /// one value at a time where it has no wide shuffles): blocks of 2 rows x 4 columns keep 8
    /// vector sums over t, which become the 4 sums of a row with <c>Lanes.Sum4</c>.
    /// Tiles past the last whole vector are read under a mask (both operands, so stale scratch
    /// cannot make a NaN). The order of the additions is fixed by the shape alone.
    /// </summary>
    private static unsafe class Sums<V, TVec> where V : struct, IVector<TVec> where TVec : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Add(float* w, float* v, int rows, int columns, int tiles, float* sums)
        {
            int whole = tiles - tiles % V.Count;
            var tail = Lanes<V, TVec>.Below(tiles - whole);
            int i = 0;
            for (; i + 2 <= rows; i += 2)
            {
                float* w0 = w + (long)i * tiles, w1 = w0 + tiles;
                int j = 0;
                for (; j + 4 <= columns; j += 4)
                {
                    float* v0 = v + (long)j * tiles, v1 = v0 + tiles, v2 = v1 + tiles, v3 = v2 + tiles;
                    TVec s00 = V.Zero, s01 = V.Zero, s02 = V.Zero, s03 = V.Zero, s10 = V.Zero, s11 = V.Zero, s12 = V.Zero, s13 = V.Zero;
                    int t = 0;
                    for (; t < whole; t += V.Count)
                    {
                        var a0 = V.Load(w0 + t); var a1 = V.Load(w1 + t);
                        var b = V.Load(v0 + t); s00 = V.MultiplyAdd(a0, b, s00); s10 = V.MultiplyAdd(a1, b, s10);
                        b = V.Load(v1 + t); s01 = V.MultiplyAdd(a0, b, s01); s11 = V.MultiplyAdd(a1, b, s11);
                        b = V.Load(v2 + t); s02 = V.MultiplyAdd(a0, b, s02); s12 = V.MultiplyAdd(a1, b, s12);
                        b = V.Load(v3 + t); s03 = V.MultiplyAdd(a0, b, s03); s13 = V.MultiplyAdd(a1, b, s13);
                    }
                    if (t < tiles)
                    {
                        var a0 = V.BitwiseAnd(V.Load(w0 + t), tail); var a1 = V.BitwiseAnd(V.Load(w1 + t), tail);
                        var b = V.BitwiseAnd(V.Load(v0 + t), tail); s00 = V.MultiplyAdd(a0, b, s00); s10 = V.MultiplyAdd(a1, b, s10);
                        b = V.BitwiseAnd(V.Load(v1 + t), tail); s01 = V.MultiplyAdd(a0, b, s01); s11 = V.MultiplyAdd(a1, b, s11);
                        b = V.BitwiseAnd(V.Load(v2 + t), tail); s02 = V.MultiplyAdd(a0, b, s02); s12 = V.MultiplyAdd(a1, b, s12);
                        b = V.BitwiseAnd(V.Load(v3 + t), tail); s03 = V.MultiplyAdd(a0, b, s03); s13 = V.MultiplyAdd(a1, b, s13);
                    }
                    float* target = sums + (long)i * columns + j;
                    (Vector128.Load(target) + Lanes<V, TVec>.Sum4(s00, s01, s02, s03)).Store(target);
                    (Vector128.Load(target + columns) + Lanes<V, TVec>.Sum4(s10, s11, s12, s13)).Store(target + columns);
                }
                for (; j < columns; j++)
                {
                    sums[(long)i * columns + j] += Dot(w0, v + (long)j * tiles, whole, tiles, tail);
                    sums[(long)(i + 1) * columns + j] += Dot(w1, v + (long)j * tiles, whole, tiles, tail);
                }
            }
            for (; i < rows; i++)
            for (int j = 0; j < columns; j++)
                sums[(long)i * columns + j] += Dot(w + (long)i * tiles, v + (long)j * tiles, whole, tiles, tail);
        }

        // Σ_t a[t] · b[t], by lanes, then the lanes added.
        private static float Dot(float* a, float* b, int whole, int tiles, TVec tail)
        {
            var sum = V.Zero;
            int t = 0;
            for (; t < whole; t += V.Count) sum = V.MultiplyAdd(V.Load(a + t), V.Load(b + t), sum);
            if (t < tiles) sum = V.MultiplyAdd(V.BitwiseAnd(V.Load(a + t), tail), V.BitwiseAnd(V.Load(b + t), tail), sum);
            return V.Sum(sum);
        }
    }
}
