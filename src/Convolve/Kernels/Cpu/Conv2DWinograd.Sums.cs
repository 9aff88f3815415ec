using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

internal sealed partial class Conv2DWinograd
{
    /// <summary>
    /// The weight gradient's multiply of one position: <c>sums[i, j] += Σ_t W[i, t] · V[j, t]</c>
    /// for i &lt; rows (output channels), j &lt; columns (input channels) and every tile t of
    /// the unit, sums rows <c>columns</c> apart. Both operands are read in the panels the
    /// transforms wrote (<c>[t / nr][row][t % nr]</c>, zero past the last tile), V tiles per
    /// vector: a matrix multiply would first transpose both into its own panels. Blocks of 2 rows
    /// x 4 columns keep 8 vector sums over t, which become the 4 sums of a row with
    /// <c>Lanes.Sum4</c>. The order of the additions is fixed by the shape alone.
    /// </summary>
    private static unsafe class Sums<V, TVec> where V : struct, IVector<TVec> where TVec : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Add(float* w, float* v, int rows, int columns, int panels, int nr, float* sums)
        {
            long wPanel = (long)rows * nr, vPanel = (long)columns * nr; // floats per panel
            int i = 0;
            for (; i + 2 <= rows; i += 2)
            {
                int j = 0;
                for (; j + 4 <= columns; j += 4)
                {
                    TVec s00 = V.Zero, s01 = V.Zero, s02 = V.Zero, s03 = V.Zero, s10 = V.Zero, s11 = V.Zero, s12 = V.Zero, s13 = V.Zero;
                    float* w0 = w + (long)i * nr, v0 = v + (long)j * nr;
                    for (int panel = 0; panel < panels; panel++, w0 += wPanel, v0 += vPanel)
                        for (int t = 0; t < nr; t += V.Count)
                        {
                            var a0 = V.Load(w0 + t); var a1 = V.Load(w0 + nr + t);
                            var b = V.Load(v0 + t); s00 = V.MultiplyAdd(a0, b, s00); s10 = V.MultiplyAdd(a1, b, s10);
                            b = V.Load(v0 + nr + t); s01 = V.MultiplyAdd(a0, b, s01); s11 = V.MultiplyAdd(a1, b, s11);
                            b = V.Load(v0 + 2 * nr + t); s02 = V.MultiplyAdd(a0, b, s02); s12 = V.MultiplyAdd(a1, b, s12);
                            b = V.Load(v0 + 3 * nr + t); s03 = V.MultiplyAdd(a0, b, s03); s13 = V.MultiplyAdd(a1, b, s13);
                        }
                    float* target = sums + (long)i * columns + j;
                    (Vector128.Load(target) + Lanes<V, TVec>.Sum4(s00, s01, s02, s03)).Store(target);
                    (Vector128.Load(target + columns) + Lanes<V, TVec>.Sum4(s10, s11, s12, s13)).Store(target + columns);
                }
                for (; j < columns; j++)
                {
                    sums[(long)i * columns + j] += Dot(w + (long)i * nr, wPanel, v + (long)j * nr, vPanel, panels, nr);
                    sums[(long)(i + 1) * columns + j] += Dot(w + (long)(i + 1) * nr, wPanel, v + (long)j * nr, vPanel, panels, nr);
                }
            }
            for (; i < rows; i++)
                for (int j = 0; j < columns; j++)
                    sums[(long)i * columns + j] += Dot(w + (long)i * nr, wPanel, v + (long)j * nr, vPanel, panels, nr);
        }

        // Σ_t a[t] · b[t] over the panels, by lanes, then the lanes added.
        private static float Dot(float* a, long aPanel, float* b, long bPanel, int panels, int nr)
        {
            var sum = V.Zero;
            for (int panel = 0; panel < panels; panel++, a += aPanel, b += bPanel)
                for (int t = 0; t < nr; t += V.Count)
                    sum = V.MultiplyAdd(V.Load(a + t), V.Load(b + t), sum);
            return V.Sum(sum);
        }
    }
}
