using Convolve.Analysis;
using Convolve.Layers;
using Convolve.Tensors;
using CsCheck;

namespace Convolve.Lessons.Tests.Analysis;

public class CoverageTests
{
    [Fact]
    public void ArticleQuestion5_CornerOnce_EdgeTwoOrThree_CentreNine()
    {
        var g = CoverageGrid.Compute(6, 6, 3, 3);
        Assert.Equal(1, g[0, 0]);
        Assert.Equal(1, g[5, 5]);
        Assert.Equal(2, g[0, 1]);
        Assert.Equal(3, g[0, 2]);
        Assert.Equal(9, g[2, 2]);
        Assert.Equal(9, g.Max);
        // Every pixel on the border but not a corner is used 2 or 3 times.
        for (int i = 1; i < 5; i++)
            foreach (int v in new[] { g[0, i], g[5, i], g[i, 0], g[i, 5] }) Assert.InRange(v, 2, 3);
        Assert.Equal(4 * 4 * 9, g.Sum); // 16 windows of 9 taps, none in padding
    }

    [Fact]
    public void Padding1_UsesCornersFourTimes()
    {
        var g = CoverageGrid.Compute(6, 6, 3, 3, padding: 1);
        Assert.Equal((6, 6), (g.OutH, g.OutW));
        Assert.Equal(4, g[0, 0]);
        Assert.Equal(6, g[0, 2]);
        Assert.Equal(9, g[1, 1]);
    }

    // Independent check through the engine: the gradient of sum(conv(x)) with respect to x, for
    // an all-ones kernel, counts exactly how many (window, tap) pairs read each pixel.
    [Fact]
    public void Counts_EqualConv2DInputGradient_ForAllOnesKernel() =>
        Gen.Select(Gen.Int[1, 9], Gen.Int[1, 9], Gen.Int[1, 4], Gen.Int[1, 3], Gen.Int[0, 2], Gen.Int[1, 2])
            .Where(t => t.Item1 + 2 * t.Item5 >= t.Item6 * (t.Item3 - 1) + 1 && t.Item2 + 2 * t.Item5 >= t.Item6 * (t.Item3 - 1) + 1)
            .Sample(t =>
            {
                var (h, w, k, s, p, d) = t;
                var grid = CoverageGrid.Compute(h, w, k, k, s, p, d);
                var conv = new Conv2D(1, 1, k, s, p, d, bias: false);
                conv.Build(new Shape(1, 1, h, w));
                conv.Weight.Value.Fill(1);
                var output = conv.Forward(new Tensor(new Shape(1, 1, h, w)));
                var dOutput = new Tensor(output.Shape);
                dOutput.Fill(1);
                var dInput = conv.Backward(dOutput);
                for (int r = 0; r < h; r++)
                    for (int c = 0; c < w; c++) Assert.Equal(dInput[0, 0, r, c], grid[r, c]);
            }, iter: 100);

    [Fact]
    public void StrideBeyondKernel_LeavesPixelsUnused()
    {
        var g = CoverageGrid.Compute(7, 7, 2, 2, stride: 3);
        Assert.Equal(0, g[0, 2]);
        // Windows start at 0 and 3 in each direction and cover columns {0,1,3,4}: 4 x 4 pixels used once.
        Assert.Equal(7 * 7 - 4 * 4, g.Unused);
    }

    /// <summary>The separable count against the definition: every (window, tap) pair, rectangular kernels included.</summary>
    [Fact]
    public void Counts_EqualEveryWindowAndTap_RectangularKernels() =>
        Gen.Select(Gen.Int[1, 12], Gen.Int[1, 12], Gen.Int[1, 4], Gen.Int[1, 4], Gen.Int[1, 4], Gen.Int[0, 2], Gen.Int[1, 3])
            .Where(t => t.Item1 + 2 * t.Item6 >= t.Item7 * (t.Item3 - 1) + 1 && t.Item2 + 2 * t.Item6 >= t.Item7 * (t.Item4 - 1) + 1)
            .Sample(t =>
            {
                var (h, w, kH, kW, s, p, d) = t;
                var grid = CoverageGrid.Compute(h, w, kH, kW, s, p, d);
                var expected = new long[h, w];
                for (int oh = 0; oh < grid.OutH; oh++)
                    for (int ow = 0; ow < grid.OutW; ow++)
                        for (int i = 0; i < kH; i++)
                            for (int j = 0; j < kW; j++)
                            {
                                int r = oh * s - p + i * d, c = ow * s - p + j * d;
                                if (r >= 0 && r < h && c >= 0 && c < w) expected[r, c]++;
                            }
                long sum = 0, unused = 0;
                for (int r = 0; r < h; r++)
                    for (int c = 0; c < w; c++)
                    {
                        Assert.Equal(expected[r, c], grid[r, c]);
                        sum += expected[r, c];
                        if (expected[r, c] == 0) unused++;
                    }
                Assert.Equal(sum, grid.Sum);
                Assert.Equal(unused, grid.Unused);
                Assert.Equal(expected.Cast<long>().Min(), grid.Min);
                Assert.Equal(expected.Cast<long>().Max(), grid.Max);
            }, iter: 200);

    /// <summary>A 100,000 x 100,000 image is counted at once (the grid is never held pixel by pixel).</summary>
    [Fact]
    public void HugeImage_CountedQuickly()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var g = CoverageGrid.Compute(100_000, 100_000, 3, 3);
        Assert.True(clock.Elapsed.TotalSeconds < 5, $"took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(99_998L * 99_998 * 9, g.Sum);
        Assert.Equal((1, 9), (g.Min, g.Max));
        Assert.Equal(9, g[50_000, 50_000]);
        Assert.Equal(0, g.Unused);
    }

    [Fact]
    public void PaddedAxisTooLong_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageGrid.Compute(5, 5, 3, 3, padding: 1_000_000_000));
        Assert.Equal("a padded size of 2,000,000,005 pixels (5 + 2*1,000,000,000) is too large to count; the largest is 268,435,456.", e.Message);
    }
}
