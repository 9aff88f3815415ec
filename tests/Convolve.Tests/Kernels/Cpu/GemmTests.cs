using System.Runtime.Intrinsics;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// The blocked <see cref="Gemm"/> against <see cref="GemmReference"/>, on every micro-kernel path
/// this machine can run. Tolerance: |fast - reference| &lt;= 1e-5 * (1 + |C0| + sum over p of
/// |A'[i, p] * B'[p, j]|), C0 the accumulated-into value: float sums of k &lt;= 150 terms in any
/// order are within about k * 6e-8 of the exact sum relative to the sum of magnitudes.
/// </summary>
public class GemmTests
{
    /// <summary>
    /// Paths the hardware runs natively (forcing a wider one would only emulate it), plus scalar;
    /// on AVX-512 also each of its two micro-kernels forced on every shape.
    /// </summary>
    public static TheoryData<string> Paths()
    {
        var paths = new TheoryData<string> { nameof(GemmPath.Scalar) };
        if (Vector128.IsHardwareAccelerated) paths.Add(nameof(GemmPath.Vector128));
        if (Vector256.IsHardwareAccelerated) paths.Add(nameof(GemmPath.Vector256));
        if (Vector512.IsHardwareAccelerated)
        {
            paths.Add(nameof(GemmPath.Vector512));
            paths.Add(nameof(GemmPath.Vector512Tile12x32));
            paths.Add(nameof(GemmPath.Vector512Tile8x48));
        }
        return paths;
    }

    // Sizes 1..150, with 1, small odd primes and sizes around the tile widths over-represented.
    private static readonly Gen<int> Size = Gen.Frequency(
        (3, Gen.Int[1, 150]),
        (1, Gen.OneOfConst(1, 2, 3, 5, 7, 11, 13, 17, 31, 32, 33, 37, 97, 127, 149)));

    [Theory]
    [MemberData(nameof(Paths))]
    public void Multiply_RandomSizesAndTransposes_MatchesReference(string pathName)
    {
        var gemm = new Gemm(Enum.Parse<GemmPath>(pathName));
        Assert.Equal(Enum.Parse<GemmPath>(pathName), gemm.Path);
        Gen.Select(Size, Size, Size, Gen.Bool, Gen.Bool, Gen.Bool, Gen.Int).Sample(t =>
        {
            var (m, n, k, transA, transB, accumulate, seed) = t;
            CheckAgainstReference(gemm, m, n, k, transA, transB, accumulate, seed);
        }, iter: 40);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    // Past the 256-deep slices and the 1024-wide blocks of B, so the slice loop and the block
    // loop both run more than once; one case per transpose combination.
    public void Multiply_DeeperAndWiderThanOneBlock_MatchesReference(string pathName)
    {
        var gemm = new Gemm(Enum.Parse<GemmPath>(pathName));
        CheckAgainstReference(gemm, 13, 1061, 3, false, false, false, 1);
        CheckAgainstReference(gemm, 7, 35, 600, true, false, true, 2);
        CheckAgainstReference(gemm, 25, 9, 521, false, true, false, 3);
        CheckAgainstReference(gemm, 3, 1030, 300, true, true, true, 4);
    }

    /// <summary>The paths with the unpacked kernels this machine runs: one per accelerated vector width.</summary>
    private static GemmPath[] SkinnyPaths() =>
    [
        .. new (SimdWidth Width, GemmPath Path)[]
        {
            (SimdWidth.Vector128, GemmPath.Vector128), (SimdWidth.Vector256, GemmPath.Vector256), (SimdWidth.Vector512, GemmPath.Vector512),
        }.Where(w => Simd.IsAccelerated(w.Width)).Select(w => w.Path),
    ];

    // Shapes the unpacked kernels take (a tiny M, K or N: dense layers with few outputs or a
    // small batch), with column counts that leave a single vector and a partial one at 4, 8 and
    // 16 lanes, rows not a multiple of 4, K tails for the dot products. Kind: 'r' row
    // combinations, 'd' dot products.
    private static readonly (int M, int N, int K, bool TransA, bool TransB, bool Accumulate, char Kind)[] SkinnyShapes =
    [
        (64, 10, 5408, false, true, false, 'd'),   // dense forward, 10 outputs
        (10, 5408, 64, true, false, true, 'r'),    // dense weight gradient, 10 outputs
        (64, 5408, 10, false, false, false, 'r'),  // dense input gradient, 10 outputs (C walked row-wise)
        (7, 47, 300, false, false, true, 'r'),     // 47 = 32 + 15 = 2 * 16 + 8 + 7 = 5 * 8 + 4 + 3; 7 rows
        (150, 17, 16, true, false, false, 'r'),    // 16 + 1 column
        (5, 3, 200, false, true, true, 'd'),       // one row left, 3 columns, a K tail
        (1, 128, 9216, false, true, false, 'd'),   // one image through mnist-cnn's dense layer
        (1, 9216, 128, false, false, false, 'r'),  // its input gradient (one row: B streamed)
        (1, 45, 39, true, false, true, 'r'),       // one row, A transposed, k not a multiple of 4, a partial vector
        (128, 9216, 1, true, false, true, 'r'),    // its weight gradient
        (3, 50, 100, false, true, true, 'd'),      // three rows, 50 columns (a partial block of four)
        (1, 120, 400, false, true, true, 'd'),     // lenet5's first dense layer, one image
        (2, 37, 70, true, false, false, 'r'),      // A transposed, 32 + 5 = 2 * 16 + 5 = 4 * 8 + 4 + 1 columns
        (33, 1024, 6, false, false, true, 'r'),    // a shallow B whose rows are 4 KB apart
    ];

    [Fact]
    // On every accelerated width, on one and all threads; the shapes must really take the
    // unpacked kernel they are written for.
    public void Multiply_SkinnyShapes_MatchReference()
    {
        int seed = 10;
        foreach (var path in SkinnyPaths())
            foreach (int threads in new[] { 1, 0 })
            {
                var gemm = new Gemm(path, threads);
                foreach (var (m, n, k, transA, transB, accumulate, kind) in SkinnyShapes)
                {
                    string chosen = Gemm.Describe(path, transA, transB, m, n, k);
                    Assert.StartsWith(kind == 'd' ? "dot products" : "row combinations", chosen);
                    Assert.Contains($"({path})", chosen);
                    CheckAgainstReference(gemm, m, n, k, transA, transB, accumulate, ++seed);
                }
            }
    }

    [Fact]
    // Each part of the split starts on a whole block, so every value of C is the same sequence
    // of operations on any number of threads (shapes above the parallel threshold, split by
    // C's columns for row combinations, by rows or by columns for dot products).
    public void Multiply_SkinnyShapes_OneThreadAndAllThreads_GiveIdenticalBits()
    {
        foreach (var path in SkinnyPaths())
            foreach (var (m, n, k, transA, transB) in new[]
            {
            (64, 10, 5408, false, true), (1, 128, 9216, false, true), (10, 5409, 64, true, false),
            (128, 4101, 1, true, false), (1, 9219, 128, false, false),
        })
            {
                Assert.True((long)m * n * k >= Gemm.ParallelThreshold);
                var random = new Random(7);
                var a = RandomValues(random, m * k);
                var b = RandomValues(random, k * n);
                var c0 = RandomValues(random, m * n);
                var serial = (float[])c0.Clone();
                var parallel = (float[])c0.Clone();
                new Gemm(path, 1).Multiply(transA, transB, m, n, k, a, b, serial, true);
                new Gemm(path, 0).Multiply(transA, transB, m, n, k, a, b, parallel, true);
                Assert.Equal(serial, parallel);
            }
    }

    [Fact]
    public void Multiply_SkinnyShapes_Warm_AllocateNothing()
    {
        var random = new Random(8);
        var a = RandomValues(random, 3 * 300);
        var b = RandomValues(random, 300 * 37);
        var c = new float[3 * 37];
        foreach (var path in SkinnyPaths())
        {
            var gemm = new Gemm(path, 1);
            // Dots, row combinations (in strips of columns, and for one row B streamed through scratch).
            void Run(int i) => gemm.Multiply(false, i % 2 == 0, i % 4 < 2 ? 3 : 1, 37, 300, a, b, c, i % 3 == 0);
            Run(0); Run(1); Run(2); Run(3);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 6; i++) Run(i);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Theory]
    // A dense layer's three products (forward [N, in] x [out, in]^T, input gradient
    // [N, out] x [out, in], weight gradient [N, out]^T x [N, in]) and the path each takes.
    [InlineData(nameof(GemmPath.Vector256), false, true, 1, 128, 9216, "dot products (Vector256): few rows of A against B transposed")]
    [InlineData(nameof(GemmPath.Vector256), false, true, 64, 10, 5408, "dot products (Vector256): rows of A against few rows of B (B transposed)")]
    [InlineData(nameof(GemmPath.Vector256), false, false, 1, 9216, 128,
        "row combinations (Vector256): each row of C a combination of rows of B, read in place")]
    [InlineData(nameof(GemmPath.Vector128), true, false, 128, 9216, 1, "row combinations (Vector128): each row of C a combination of rows of B, read in place")]
    [InlineData(nameof(GemmPath.Vector256), false, true, 64, 128, 9216, "packed 6 x 16 micro-kernel (Vector256)")]
    [InlineData(nameof(GemmPath.Vector256), true, false, 128, 9216, 64, "packed 6 x 16 micro-kernel (Vector256)")]
    [InlineData(nameof(GemmPath.Vector512), true, false, 128, 9216, 64, "packed 8 x 48 micro-kernel (Vector512)")]
    [InlineData(nameof(GemmPath.Vector512), false, false, 256, 256, 256, "packed 12 x 32 micro-kernel (Vector512)")]
    [InlineData(nameof(GemmPath.Vector128), false, false, 64, 64, 64, "packed 4 x 4 scalar micro-kernel")]
    [InlineData(nameof(GemmPath.Scalar), false, true, 1, 128, 9216, "packed 4 x 4 scalar micro-kernel")]
    [InlineData(nameof(GemmPath.Vector256), false, false, 16, 1024, 1024, "packed 6 x 16 micro-kernel (Vector256)")] // B rows 4 KB apart
    [InlineData(nameof(GemmPath.Vector128), false, false, 16, 1024, 1024,
        "row combinations (Vector128): each row of C a combination of rows of B, read in place")] // the packed path there is scalar
    public void Describe_NamesTheKernelMultiplyRuns(string pathName, bool transA, bool transB, int m, int n, int k, string expected)
    {
        Assert.Equal(expected, Gemm.Describe(Enum.Parse<GemmPath>(pathName), transA, transB, m, n, k));
    }

    [Fact]
    // The two AVX-512 micro-kernels slice the sum the same way and run each value's
    // multiply-adds in the same order, so they must agree to the bit: edges of both tile sizes,
    // all four transposes, accumulating or not, and depths past one 256-deep slice.
    public void Multiply_Vector512Kernels_GiveIdenticalBits()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        var tall = new Gemm(GemmPath.Vector512Tile12x32, 1);
        var wide = new Gemm(GemmPath.Vector512Tile8x48, 1);
        Gen.Select(Size, Size, Gen.Int[1, 600], Gen.Bool, Gen.Bool, Gen.Bool, Gen.Int).Sample(t =>
        {
            var (m, n, k, transA, transB, accumulate, seed) = t;
            var random = new Random(seed);
            var a = RandomValues(random, m * k);
            var b = RandomValues(random, k * n);
            var c0 = RandomValues(random, m * n);
            var byTall = (float[])c0.Clone();
            var byWide = (float[])c0.Clone();
            tall.Multiply(transA, transB, m, n, k, a, b, byTall, accumulate);
            wide.Multiply(transA, transB, m, n, k, a, b, byWide, accumulate);
            Assert.Equal(byTall, byWide);
        }, iter: 40);
    }

    [Theory]
    // Padded values computed by hand, ceil(m / 12) * 12 * ceil(n / 32) * 32 against
    // ceil(m / 8) * 8 * ceil(n / 48) * 48:
    [InlineData(64, 576, nameof(GemmPath.Vector512Tile8x48))]    // 72 * 576 = 41472 > 64 * 576 = 36864 (conv forward)
    [InlineData(64, 288, nameof(GemmPath.Vector512Tile8x48))]    // 72 * 288 > 64 * 288 (conv weight gradient)
    [InlineData(128, 9216, nameof(GemmPath.Vector512Tile8x48))]  // 132 * 9216 > 128 * 9216 (dense weight gradient)
    [InlineData(288, 576, nameof(GemmPath.Vector512Tile12x32))]  // 288 * 576 on both: a tie keeps 12 x 32
    [InlineData(64, 128, nameof(GemmPath.Vector512Tile12x32))]   // 72 * 128 = 9216 = 64 * 144: a tie
    [InlineData(256, 256, nameof(GemmPath.Vector512Tile12x32))]  // 264 * 256 = 67584 < 256 * 288 = 73728
    [InlineData(2048, 2048, nameof(GemmPath.Vector512Tile12x32))] // 2052 * 2048 < 2048 * 2064
    public void Vector512KernelFor_PicksTheLessPaddedTile(int m, int n, string expected)
    {
        Assert.Equal(Enum.Parse<GemmPath>(expected), Gemm.Vector512KernelFor(m, n));
    }

    [Fact]
    // Both shapes are above the size where the multiply splits C between threads (one split by
    // columns, one by rows); each value of C must still be the same sequence of operations, so
    // the bits agree.
    public void Multiply_OneThreadAndAllThreads_GiveIdenticalBits()
    {
        foreach (var (m, n, k) in new[]
        {
            (150, 160, 100), (500, 48, 100),
            (64, 576, 288), (200, 40, 300), // 8 x 48 on AVX-512, split by columns and by rows
            (64, 10, 5408), // unpacked dot products
        })
        {
            Assert.True((long)m * n * k >= Gemm.ParallelThreshold);
            var random = new Random(5);
            var a = RandomValues(random, m * k);
            var b = RandomValues(random, k * n);
            var serial = new float[m * n];
            var parallel = new float[m * n];
            new Gemm(maxThreads: 1).Multiply(false, true, m, n, k, a, b, serial, false);
            new Gemm(maxThreads: 0).Multiply(false, true, m, n, k, a, b, parallel, false);
            Assert.Equal(serial, parallel);
        }
    }

    [Fact]
    // Pack buffers are per thread and reused: once warm, a call allocates nothing.
    public void Multiply_Warm_AllocatesNothing()
    {
        var random = new Random(6);
        var a = RandomValues(random, 70 * 300);
        var b = RandomValues(random, 300 * 90);
        var c = new float[70 * 90];
        var gemm = new Gemm(maxThreads: 1);
        // Warm with the same calls: each transpose combination may grow this thread's pack buffers
        // once (how far depends on the vector width and on what ran on this thread before).
        void Calls()
        {
            for (int i = 0; i < 5; i++) gemm.Multiply(i % 2 == 0, i % 3 == 0, 70, 90, 300, a, b, c, i % 2 == 1);
        }
        Calls();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Calls();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Multiply_ZeroDepth_ClearsOrKeepsC()
    {
        var c = new float[] { 1, 2, 3, 4, 5, 6 };
        Gemm.Instance.Multiply(false, false, 2, 3, 0, [], [], c, accumulate: true);
        Assert.Equal([1f, 2, 3, 4, 5, 6], c);
        Gemm.Instance.Multiply(false, false, 2, 3, 0, [], [], c, accumulate: false);
        Assert.Equal(new float[6], c);
    }

    [Fact]
    public void Multiply_BufferTooShort_SaysWhichSizes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Instance.Multiply(false, false, 2, 3, 4, new float[8], new float[11], new float[6], false));
        Assert.Equal("Gemm: m=2, n=3, k=4 needs A of 8, B of 12 and C of 6 values; got 8, 11 and 6.", e.Message);
    }

    [Fact]
    public void Default_IsTheBlockedGemm()
    {
        Assert.IsType<Gemm>(Convolve.Kernels.GemmKernels.Default);
    }

    private static void CheckAgainstReference(Gemm gemm, int m, int n, int k, bool transA, bool transB, bool accumulate, int seed)
    {
        var random = new Random(seed);
        var a = RandomValues(random, m * k);
        var b = RandomValues(random, k * n);
        var c0 = RandomValues(random, m * n);
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        GemmReference.Instance.Multiply(transA, transB, m, n, k, a, b, expected, accumulate);
        gemm.Multiply(transA, transB, m, n, k, a, b, actual, accumulate);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double magnitude = 1 + (accumulate ? Math.Abs(c0[i * n + j]) : 0);
                for (int p = 0; p < k; p++)
                {
                    float aValue = transA ? a[p * m + i] : a[i * k + p];
                    float bValue = transB ? b[j * k + p] : b[p * n + j];
                    magnitude += Math.Abs((double)aValue * bValue);
                }
                double error = Math.Abs(actual[i * n + j] - expected[i * n + j]);
                Assert.True(error <= 1e-5 * magnitude,
                    $"{gemm.Path}: m={m} n={n} k={k} transA={transA} transB={transB} accumulate={accumulate}: " +
                    $"C[{i}, {j}] = {actual[i * n + j]}, reference {expected[i * n + j]}, allowed error {1e-5 * magnitude}");
            }
    }

    internal static float[] RandomValues(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = random.NextSingle() * 2 - 1;
        return values;
    }
}
