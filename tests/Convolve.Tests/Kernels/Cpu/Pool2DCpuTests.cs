using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>
/// <see cref="Pool2DCpu"/> against <see cref="Pool2DReference"/>. The fast kernels do the same
/// comparisons and the same sums in the same order, so the results must be equal bit for bit
/// (NaN equal to NaN), at every vector width this CPU accelerates. Inputs are small integers, so
/// windows often tie, with an occasional NaN.
/// </summary>
public class Pool2DCpuTests
{
    private static readonly SimdWidth[] Widths =
        [.. new[] { SimdWidth.Vector512, SimdWidth.Vector256, SimdWidth.Vector128, SimdWidth.Scalar }.Where(Simd.IsAccelerated)];

    private static readonly Gen<Pool2DGeometry> Geometry =
        Gen.Select(
            Gen.Select(Gen.Int[1, 3], Gen.Int[1, 4], Gen.Int[1, 10], Gen.Int[1, 10]),   // batch, channels, H, W
            Gen.Select(Gen.Int[1, 4], Gen.Int[1, 4], Gen.Int[1, 4], Gen.Int[1, 4]),     // kernel, stride
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 2]),     // pads t, l, b, r
            Gen.Select(Gen.Int[1, 2], Gen.Int[1, 2], Gen.Bool))                          // dilations, ceil mode
        .Select((s, k, p, d) => new Pool2DGeometry(s.Item1, s.Item2, s.Item3, s.Item4, k.Item1, k.Item2, k.Item3, k.Item4,
            // Padding at most half the window, as the layers require.
            Math.Min(p.Item1, k.Item1 / 2), Math.Min(p.Item2, k.Item2 / 2), Math.Min(p.Item3, k.Item1 / 2), Math.Min(p.Item4, k.Item2 / 2),
            d.Item1, d.Item2, d.Item3))
        .Where(g => g.OutH > 0 && g.OutW > 0);

    private static readonly Pool2DGeometry[] Named =
    [
        new(2, 3, 8, 6, 2, 2, 2, 2),                             // 2x2 stride 2, the straight path
        new(1, 2, 7, 5, 2, 2, 2, 2),                             // odd sizes: last row and column dropped
        new(1, 2, 7, 5, 2, 2, 2, 2, CeilMode: true),             // odd sizes in ceil mode: partial windows, general path
        new(4, 8, 32, 32, 2, 2, 2, 2),                           // large enough to split planes between threads
        new(3, 5, 31, 29, 3, 3, 2, 2, 1, 1, 1, 1),               // 3x3 stride 2 padded, split between threads
        new(1, 1, 1, 1, 1, 1, 1, 1),                             // 1x1 image
    ];

    [Fact]
    public void AllOperations_RandomGeometries_MatchReferenceExactly()
    {
        Gen.Select(Geometry, Gen.Int).Sample(t => CheckAll(t.Item1, t.Item2), iter: 150);
    }

    /// <summary>
    /// The 2x2 stride-2 path, at every width up to 70, so that its vector blocks of each width, the
    /// last block overlapping the one before, the narrower vectors of short rows and the scalar
    /// loop are all hit (inputs with ties and NaNs, as in every case here).
    /// </summary>
    [Fact]
    public void TwoByTwoStrideTwo_EveryWidth_MatchesReferenceExactly()
    {
        for (int width = 1; width <= 70; width++)
            CheckAll(new Pool2DGeometry(2, 3, 1 + width % 7, width, 2, 2, 2, 2), seed: width);
    }

    [Fact]
    public void AllOperations_NamedGeometries_MatchReferenceExactly()
    {
        int seed = 0;
        foreach (var g in Named) CheckAll(g, ++seed);
    }

    private static void CheckAll(Pool2DGeometry g, int seed)
    {
        var random = new Random(seed);
        var input = new float[g.InputLength];
        for (int i = 0; i < input.Length; i++) input[i] = random.Next(50) == 0 ? float.NaN : random.Next(4);
        var dOutput = GemmTests.RandomValues(random, g.OutputLength);

        var expected = new float[g.OutputLength];
        var expectedArgmax = new int[g.OutputLength];
        var actual = new float[g.OutputLength];
        var actualArgmax = new int[g.OutputLength];
        Pool2DReference.MaxForward(g, input, expected, expectedArgmax);
        foreach (var width in Widths)
        {
            actual.AsSpan().Fill(-1);
            actualArgmax.AsSpan().Fill(-2);
            Pool2DCpu.MaxForward(g, input, actual, actualArgmax, maxThreads: 0, width);
            Assert.Equal(expected, actual);
            Assert.Equal(expectedArgmax, actualArgmax);
        }
        Pool2DCpu.MaxForward(g, input, actual, actualArgmax);
        Assert.Equal(expected, actual);
        Assert.Equal(expectedArgmax, actualArgmax);

        var expectedDInput = new float[g.InputLength];
        var actualDInput = Enumerable.Repeat(float.NaN, g.InputLength).ToArray(); // must be overwritten
        Pool2DReference.MaxBackward(dOutput, expectedArgmax, expectedDInput);
        Pool2DCpu.MaxBackward(g, dOutput, actualArgmax, actualDInput);
        Assert.Equal(expectedDInput, actualDInput);

        foreach (bool countIncludePad in new[] { false, true })
        {
            Pool2DReference.AvgForward(g, countIncludePad, input, expected);
            Pool2DCpu.AvgForward(g, countIncludePad, input, actual);
            Assert.Equal(expected, actual);

            actualDInput.AsSpan().Fill(float.NaN);
            Pool2DReference.AvgBackward(g, countIncludePad, dOutput, expectedDInput);
            Pool2DCpu.AvgBackward(g, countIncludePad, dOutput, actualDInput);
            Assert.Equal(expectedDInput, actualDInput);
        }
    }
}
