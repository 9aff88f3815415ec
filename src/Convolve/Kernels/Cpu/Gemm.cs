using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Cache-blocked float32 matrix multiply (the GotoBLAS/BLIS scheme):
/// <c>C[m, n] = (accumulate ? C : 0) + sum over p of A'[m, p] * B'[p, n]</c> (see <see cref="IGemmKernel"/>).
/// <para>
/// B is packed, in panels NR columns wide, into a per-thread buffer of KC x NC values that stays
/// in the L2 cache; A is packed MR rows at a time into a small panel that stays in L1. A
/// register-tiled micro-kernel then computes each MR x NR tile of C as KC rank-1 updates:
/// <c>for p: for i &lt; MR: for j &lt; NR: c[i, j] += a[i, p] * b[p, j]</c>, with the NR columns in
/// vector registers and <c>a[i, p]</c> broadcast.
/// </para>
/// <para>
/// Tails and transposes: packing reads A and B in whichever layout they are stored (so the four
/// transA/transB cases differ only in packing) and zero-pads the last panels to MR rows and NR
/// columns, so the micro-kernel always runs on full panels; a tile cut by the bottom or right
/// edge of C is computed in a scratch tile and only its inside copied back. Any k is fine:
/// the sum is cut into equal slices of at most KC. Alignment: the packed panels are 64-byte
/// aligned; A, B and C need no alignment.
/// </para>
/// <para>
/// Micro-kernels, picked from the hardware unless a path is forced (tests do):
/// <see cref="Vector512"/> 12 x 32 (24 accumulators in zmm registers; KC 256, NC 1024) or 8 x 48
/// (24 accumulators; NC 1008), whichever pads C less (<see cref="Vector512KernelFor"/>),
/// <see cref="Vector256"/> 6 x 16 (12 accumulators, fits the 16 ymm registers of AVX2), and a
/// scalar 4 x 4 fallback. The transposing packs use 16 x 16 register transposes for the AVX-512
/// kernels and 8 x 8 ones for the AVX2 kernel (<see cref="RegisterTranspose"/>).
/// </para>
/// <para>
/// Threads split C into disjoint column (or row) ranges; each value of C is computed by one
/// thread by the same sequence of multiply-adds whatever the split, so results do not depend
/// on the thread count or on scheduling. Pack buffers are per thread and reused, and the
/// thread helper is allocation-free, so a call allocates nothing once warm.
/// </para>
/// </summary>
internal sealed partial class Gemm : IGemmKernel
{
    // Below this many multiply-adds (microseconds on one core) one thread finishes before
    // another would wake up and warm its caches.
    internal const long ParallelThreshold = 1L << 19;

    private readonly GemmPath path;
    private readonly int maxThreads;

    /// <summary>The shared instance: fastest path, all cores.</summary>
    public static Gemm Instance { get; } = new();

    /// <summary>
    /// A multiply on the fastest path this machine has, using at most <paramref name="maxThreads"/>
    /// threads (0: one per core).
    /// </summary>
    public Gemm(int maxThreads = 0) : this(BestPath, maxThreads) { }

    internal Gemm(GemmPath path, int maxThreads = 0)
    {
        this.path = path;
        this.maxThreads = ThreadCount.Resolve(maxThreads);
    }

    /// <summary>The widest vector path the hardware accelerates.</summary>
    internal static GemmPath BestPath => PathFor(Simd.Best);

    /// <summary>The path whose kernels run at <paramref name="width"/> (on AVX-512, both tiles chosen per shape).</summary>
    internal static GemmPath PathFor(SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => GemmPath.Vector512,
        SimdWidth.Vector256 => GemmPath.Vector256,
        SimdWidth.Vector128 => GemmPath.Vector128,
        _ => GemmPath.Scalar,
    };

    /// <summary>The micro-kernel this instance uses.</summary>
    internal GemmPath Path => path;

    /// <summary>The most threads one call uses.</summary>
    public int MaxThreads => maxThreads;

    public unsafe void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"Gemm: sizes must not be negative, got m={m}, n={n}, k={k}.");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"Gemm: m={m}, n={n}, k={k} needs A of {(long)m * k}, B of {(long)k * n} and C of {(long)m * n} values; " +
                $"got {a.Length}, {b.Length} and {c.Length}.");
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c[..(m * n)].Clear();
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            var problem = new Problem(transA, transB, m, n, k, pa, pb, pc, accumulate);
            int threads = (long)m * n * k < ParallelThreshold ? 1 : maxThreads;
            var skinny = SkinnyKindOf(path, transA, transB, m, n, k);
            if (skinny != SkinnyKind.None)
            {
                RunSkinny(skinny, path, problem, threads);
                return;
            }
            switch (PackedKernelOf(path, m, n))
            {
                case GemmPath.Vector512Tile12x32: Run<Vector512Kernel>(problem, threads); break;
                case GemmPath.Vector512Tile8x48: Run<Vector512WideKernel>(problem, threads); break;
                case GemmPath.Vector256: Run<Vector256Kernel>(problem, threads); break;
                default: Run<ScalarKernel>(problem, threads); break;
            }
        }
    }

    /// <summary>
    /// The micro-kernel of the packed path on <paramref name="path"/> for an M x N product:
    /// on <see cref="GemmPath.Vector512"/> the tile <see cref="Vector512KernelFor"/> picks, else
    /// the path's own (<see cref="GemmPath.Vector128"/> and <see cref="GemmPath.Scalar"/>: the
    /// scalar tile).
    /// </summary>
    private static GemmPath PackedKernelOf(GemmPath path, int m, int n) => path switch
    {
        GemmPath.Vector512 => Vector512KernelFor(m, n),
        GemmPath.Vector128 => GemmPath.Scalar,
        _ => path,
    };

    /// <summary>
    /// The AVX-512 micro-kernel for an M x N product: the one that computes fewer padded values,
    /// <c>ceil(M / MR) * MR * ceil(N / NR) * NR</c>, 12 x 32 on a tie. From the shape only, never
    /// the thread count, so the result of a call depends on its shape alone (both kernels give
    /// the same bits anyway; see <see cref="Vector512WideKernel"/>). M = 64 (64 output channels,
    /// a batch of 64) takes 8 x 48, which wastes nothing where 12 x 32 computes 72 rows; 12 x 32
    /// keeps square sizes such as 256, 1024, 2048 and M = 288 (both fit exactly).
    /// </summary>
    internal static GemmPath Vector512KernelFor(int m, int n)
    {
        static long Padded(int size, int tile) => (size + tile - 1L) / tile * tile;
        long tall = Padded(m, Vector512Kernel.Rows) * Padded(n, Vector512Kernel.Columns);
        long wide = Padded(m, Vector512WideKernel.Rows) * Padded(n, Vector512WideKernel.Columns);
        return wide < tall ? GemmPath.Vector512Tile8x48 : GemmPath.Vector512Tile12x32;
    }

    /// <summary>
    /// Splits C into <c>parts</c> disjoint ranges of whole tiles along its longer side (in
    /// tiles) and computes them in parallel.
    /// </summary>
    private static void Run<TKernel>(in Problem problem, int threads) where TKernel : struct, IMicroKernel
    {
        int mTiles = (problem.M + TKernel.Rows - 1) / TKernel.Rows;
        int nTiles = (problem.N + TKernel.Columns - 1) / TKernel.Columns;
        bool splitColumns = nTiles >= mTiles;
        int parts = Math.Min(threads, splitColumns ? nTiles : mTiles);
        ParallelParts.Run(parts, threads, new Job<TKernel>(problem, parts, splitColumns));
    }

    // Copies count floats of an edge tile's row (count < NR, at most 48): 16 at a time under a
    // mask on AVX-512, 8 at a time under a mask on AVX, else through Span.CopyTo. A memmove call
    // per row costs as much as the copy on a tile that is all edge (N below NR).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRow(float* source, float* target, int count)
    {
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && count <= 48)
        {
            for (int j = 0; j < count; j += 16)
            {
                var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count - j)).AsSingle();
                System.Runtime.Intrinsics.X86.Avx512F.MaskStore(target + j, mask,
                    System.Runtime.Intrinsics.X86.Avx512F.MaskLoad(source + j, mask, Vector512<float>.Zero));
            }
            return;
        }
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported && count <= 16)
        {
            for (int j = 0; j < count; j += 8)
            {
                var mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count - j)).AsSingle();
                System.Runtime.Intrinsics.X86.Avx.MaskStore(target + j, mask,
                    System.Runtime.Intrinsics.X86.Avx.MaskLoad(source + j, mask));
            }
            return;
        }
        new ReadOnlySpan<float>(source, count).CopyTo(new Span<float>(target, count));
    }

    /// <summary>The operands of one call.</summary>
    private readonly unsafe struct Problem(bool transA, bool transB, int m, int n, int k,
        float* a, float* b, float* c, bool accumulate)
    {
        public readonly bool TransA = transA, TransB = transB, Accumulate = accumulate;
        public readonly int M = m, N = n, K = k;
        public readonly float* A = a, B = b, C = c;
    }

    private readonly struct Job<TKernel>(Problem problem, int parts, bool splitColumns) : IParallelPart
        where TKernel : struct, IMicroKernel
    {
        public void Run(int part)
        {
            int tiles, tileSize, size;
            if (splitColumns) (tileSize, size) = (TKernel.Columns, problem.N);
            else (tileSize, size) = (TKernel.Rows, problem.M);
            tiles = (size + tileSize - 1) / tileSize;
            int from = (int)((long)tiles * part / parts) * tileSize;
            int to = Math.Min(size, (int)((long)tiles * (part + 1) / parts) * tileSize);
            if (splitColumns) Compute<TKernel>(problem, 0, problem.M, from, to);
            else Compute<TKernel>(problem, from, to, 0, problem.N);
        }
    }

    /// <summary>
    /// C[m0..m1, n0..n1] on the current thread. Loops, outer to inner: NC-column blocks of B and
    /// C; KC-deep slices of the sum (B block packed here, reused by every row panel); MR-row
    /// panels of A (packed here, reused by every column panel); NR-column panels (one
    /// micro-kernel call each). Sums over p run in order 0..k-1 for every value of C.
    /// </summary>
    [SkipLocalsInit, MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Compute<TKernel>(in Problem problem, int m0, int m1, int n0, int n1)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Rows, nr = TKernel.Columns, kc = TKernel.Depth, nc = TKernel.BlockColumns;
        float* bPack = PackBuffer.Get(kc * nc);
        // 64-byte aligned A panel (with 16 floats of slack for packing) and scratch tile on the stack.
        float* aRaw = stackalloc float[mr * kc + 32];
        float* aPack = (float*)(((nint)aRaw + 63) & ~(nint)63);
        float* tileRaw = stackalloc float[mr * nr + 16];
        float* tile = (float*)(((nint)tileRaw + 63) & ~(nint)63);
        new Span<float>(tile, mr * nr).Clear(); // finite values where an edge tile leaves scratch unwritten
        int n = problem.N;
        // Equal slices no deeper than KC (288 = 144 + 144, not 256 + 32): a shallow last slice
        // would pay the tile's load and store of C for few multiply-adds.
        int slices = (problem.K + kc - 1) / kc;
        int sliceDepth = (problem.K + slices - 1) / slices;

        for (int jc = n0; jc < n1; jc += nc)
        {
            int columns = Math.Min(nc, n1 - jc);
            for (int pc = 0; pc < problem.K; pc += sliceDepth)
            {
                int depth = Math.Min(sliceDepth, problem.K - pc);
                bool accumulate = problem.Accumulate || pc > 0;
                PackB<TKernel>(problem, pc, depth, jc, columns, bPack);
                for (int ic = m0; ic < m1; ic += mr)
                {
                    int rows = Math.Min(mr, m1 - ic);
                    PackA<TKernel>(problem, ic, rows, pc, depth, aPack);
                    for (int jr = 0; jr < columns; jr += nr)
                    {
                        int cols = Math.Min(nr, columns - jr);
                        float* bPanel = bPack + (long)jr * depth;
                        float* cTile = problem.C + (long)ic * n + jc + jr;
                        if (rows == mr && cols == nr)
                        {
                            TKernel.Run(depth, aPack, bPanel, cTile, n, accumulate);
                            continue;
                        }
                        // Edge of C: compute a full tile in scratch, copy back the part inside C
                        // (row by row; the scratch values outside it are never read back).
                        if (accumulate)
                            for (int i = 0; i < rows; i++)
                                CopyRow(cTile + (long)i * n, tile + i * nr, cols);
                        TKernel.Run(depth, aPack, bPanel, tile, nr, accumulate);
                        for (int i = 0; i < rows; i++)
                            CopyRow(tile + i * nr, cTile + (long)i * n, cols);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs A'[i0 .. i0+rows, p0 .. p0+depth] as <c>panel[p * mr + i] = A'[i0 + i, p0 + p]</c>,
    /// rows past <paramref name="rows"/> zero: the mr values the micro-kernel broadcasts at step p
    /// are adjacent.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA<TKernel>(in Problem problem, int i0, int rows, int p0, int depth, float* panel)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Rows;
        if (problem.TransA)
        {
            // A stored [k, m]: each step's mr values are contiguous in row p of the stored matrix.
            for (int p = 0; p < depth; p++)
            {
                float* source = problem.A + (long)(p0 + p) * problem.M + i0;
                float* target = panel + p * mr;
                int i = 0;
                for (; i < rows; i++) target[i] = source[i];
                for (; i < mr; i++) target[i] = 0;
            }
            return;
        }
        // A stored [m, k]: a transpose. A block of steps at a time with vector shuffles (rows
        // past `rows` come out zero; each step's store of a block's width spills into the next
        // step, which the panel's slack absorbs), the rest one value at a time.
        float* a = problem.A + (long)i0 * problem.K + p0;
        int p0Tail = 0, square = TransposeBlockOf<TKernel>();
        if (square != 0 && mr <= square)
        {
            for (; p0Tail + square <= depth; p0Tail += square)
                TransposeBlock(square, a + p0Tail, problem.K, rows, panel + p0Tail * mr, mr);
        }
        for (int p = p0Tail; p < depth; p++)
        {
            for (int i = 0; i < rows; i++) panel[p * mr + i] = a[(long)i * problem.K + p];
            for (int i = rows; i < mr; i++) panel[p * mr + i] = 0;
        }
    }

    /// <summary>
    /// The side of the square blocks the transposing packs shuffle in registers for a
    /// micro-kernel: 16 (<see cref="RegisterTranspose.Block16"/>) for the AVX-512 kernels, 8
    /// (<see cref="RegisterTranspose.Block8"/>) for the AVX2 kernel, 0 (one value at a time) for the scalar one.
    /// </summary>
    private static int TransposeBlockOf<TKernel>() where TKernel : struct, IMicroKernel =>
        TKernel.PackWithAvx512 ? 16
        : typeof(TKernel) == typeof(Vector256Kernel) && System.Runtime.Intrinsics.X86.Avx.IsSupported ? 8
        : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TransposeBlock(int square, float* source, nint sourceStride, int rows, float* target, nint targetStride)
    {
        if (square == 16) RegisterTranspose.Block16<WholeRows>(source, sourceStride, rows, columns: 16, target, targetStride);
        else RegisterTranspose.Block8<WholeRows>(source, sourceStride, rows, columns: 8, target, targetStride);
    }

    /// <summary>
    /// Packs B'[p0 .. p0+depth, j0 .. j0+columns] into column panels nr wide:
    /// <c>block[(j / nr) * depth * nr + p * nr + j % nr] = B'[p0 + p, j0 + j]</c>, columns past the
    /// edge zero. Each panel is then read front to back by one micro-kernel call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackB<TKernel>(in Problem problem, int p0, int depth, int j0, int columns, float* block)
        where TKernel : struct, IMicroKernel
    {
        int nr = TKernel.Columns;
        for (int jr = 0; jr < columns; jr += nr)
        {
            int width = Math.Min(nr, columns - jr);
            float* panel = block + (long)jr * depth;
            if (problem.TransB)
            {
                // B stored [n, k]: a transpose. Square blocks of columns x steps with vector
                // shuffles, the rest one value at a time: walk each row of the stored matrix
                // along p, writing with stride nr.
                int j0Tail = 0, square = TransposeBlockOf<TKernel>();
                if (square != 0 && depth >= square)
                {
                    for (; j0Tail + square <= width; j0Tail += square)
                    {
                        float* source = problem.B + (long)(j0 + jr + j0Tail) * problem.K + p0;
                        int p = 0;
                        for (; p + square <= depth; p += square)
                            TransposeBlock(square, source + p, problem.K, square, panel + p * nr + j0Tail, nr);
                        for (; p < depth; p++)
                            for (int j = 0; j < square; j++) panel[p * nr + j0Tail + j] = source[(long)j * problem.K + p];
                    }
                }
                for (int j = j0Tail; j < width; j++)
                {
                    float* source = problem.B + (long)(j0 + jr + j) * problem.K + p0;
                    for (int p = 0; p < depth; p++) panel[p * nr + j] = source[p];
                }
                for (int j = width; j < nr; j++)
                    for (int p = 0; p < depth; p++) panel[p * nr + j] = 0;
                continue;
            }
            // B stored [k, n]: each step's nr values are contiguous in row p.
            for (int p = 0; p < depth; p++)
            {
                float* source = problem.B + (long)(p0 + p) * problem.N + j0 + jr;
                float* target = panel + p * nr;
                if (width == nr)
                {
                    Buffer.MemoryCopy(source, target, nr * sizeof(float), nr * sizeof(float));
                    continue;
                }
                int j = 0;
                for (; j < width; j++) target[j] = source[j];
                for (; j < nr; j++) target[j] = 0;
            }
        }
    }

    /// <summary>
    /// A register-tiled micro-kernel: <c>c[i, j] = (accumulate ? c[i, j] : 0) + sum over p &lt; depth
    /// of a[p * Rows + i] * b[p * Columns + j]</c> for the full Rows x Columns tile, C rows
    /// <c>ldc</c> apart.
    /// </summary>
    private interface IMicroKernel
    {
        /// <summary>MR: rows of C per tile (values of A broadcast per step).</summary>
        static abstract int Rows { get; }

        /// <summary>NR: columns of C per tile (values of B loaded as vectors per step).</summary>
        static abstract int Columns { get; }

        /// <summary>KC: depth of one packed slice; MR x KC of A stays in L1.</summary>
        static abstract int Depth { get; }

        /// <summary>NC: columns of one packed block; KC x NC of B stays in L2.</summary>
        static abstract int BlockColumns { get; }

        /// <summary>Whether packing may transpose with AVX-512 shuffles (see <see cref="RegisterTranspose.Block16"/>).</summary>
        static abstract bool PackWithAvx512 { get; }

        static abstract unsafe void Run(int depth, float* a, float* b, float* c, nint ldc, bool accumulate);
    }

    /// <summary>
    /// Scalar 4 x 4 tile: the fallback when the hardware has no vector unit .NET uses. Plain
    /// multiply and add (no fused multiply-add), so its rounding differs slightly from the others.
    /// </summary>
    private readonly struct ScalarKernel : IMicroKernel
    {
        public static int Rows => 4;
        public static int Columns => 4;
        public static int Depth => 256;
        public static int BlockColumns => 256;
        public static bool PackWithAvx512 => false;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run(int depth, float* a, float* b, float* c, nint ldc, bool accumulate)
        {
            // 16 sums in locals (registers where the JIT can), written out rather than looped.
            float* row1 = c + ldc, row2 = c + 2 * ldc, row3 = c + 3 * ldc;
            float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0,
                c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            if (accumulate)
            {
                c00 = c[0]; c01 = c[1]; c02 = c[2]; c03 = c[3];
                c10 = row1[0]; c11 = row1[1]; c12 = row1[2]; c13 = row1[3];
                c20 = row2[0]; c21 = row2[1]; c22 = row2[2]; c23 = row2[3];
                c30 = row3[0]; c31 = row3[1]; c32 = row3[2]; c33 = row3[3];
            }
            for (int p = 0; p < depth; p++, a += 4, b += 4)
            {
                float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
                float a0 = a[0]; c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                float a1 = a[1]; c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                float a2 = a[2]; c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                float a3 = a[3]; c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            c[0] = c00; c[1] = c01; c[2] = c02; c[3] = c03;
            row1[0] = c10; row1[1] = c11; row1[2] = c12; row1[3] = c13;
            row2[0] = c20; row2[1] = c21; row2[2] = c22; row2[3] = c23;
            row3[0] = c30; row3[1] = c31; row3[2] = c32; row3[3] = c33;
        }
    }

    /// <summary>
    /// Makes the calling thread's pack buffer, as its first GEMM would: from then on no GEMM on
    /// this thread allocates. For allocation tests, whose thread may by chance have left every
    /// part of a threaded warm-up call to the workers.
    /// </summary>
    internal static void ReserveThreadBuffer() => PackBuffer.Reserve();

    /// <summary>
    /// Per-thread pack buffer for B, 64-byte aligned, pinned, never freed. It is made at once for
    /// the largest KC x NC of any micro-kernel, so a thread's buffer never grows after its first
    /// GEMM: the parts of a threaded call fall to threads differently from call to call, and a
    /// buffer grown by whichever part came first would allocate again, late, in a steady state.
    /// Uninitialised, its pages cost nothing until a kernel that needs them touches them.
    /// </summary>
    private static unsafe class PackBuffer
    {
        /// <summary>The largest KC x NC: AVX-512's 12 x 32 kernel, 256 x 1024.</summary>
        private const int MaxLength = 256 * 1024;

        [ThreadStatic] private static float[]? array;

        /// <summary>Makes this thread's buffer now, if it has none (what its first GEMM would do).</summary>
        public static void Reserve() => Get(MaxLength);

        public static float* Get(int length)
        {
            if (array is null || array.Length < length + 16)
                array = GC.AllocateUninitializedArray<float>(Math.Max(length, MaxLength) + 16, pinned: true);
            fixed (float* p = array) return (float*)(((nint)p + 63) & ~(nint)63);
        }
    }
}

/// <summary>Which micro-kernel a <see cref="Gemm"/> uses (tests force each one).</summary>
internal enum GemmPath
{
    Scalar,

    /// <summary>AVX2: the 6 x 16 micro-kernel, and the unpacked kernels for skinny shapes at 8 lanes.</summary>
    Vector256,

    /// <summary>AVX-512: 12 x 32 or 8 x 48 chosen per shape, and the unpacked kernels for skinny shapes.</summary>
    Vector512,

    /// <summary>AVX-512, always the 12 x 32 micro-kernel (no skinny kernels).</summary>
    Vector512Tile12x32,

    /// <summary>AVX-512, always the 8 x 48 micro-kernel (no skinny kernels).</summary>
    Vector512Tile8x48,

    /// <summary>
    /// 128-bit vectors only (SSE, ARM64 AdvSimd): the unpacked kernels for skinny shapes at 4
    /// lanes, the scalar micro-kernel for the rest.
    /// </summary>
    Vector128,
}
