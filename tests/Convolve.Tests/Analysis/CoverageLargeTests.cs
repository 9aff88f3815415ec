using System.Diagnostics;
using Convolve.Analysis;
using CsCheck;

namespace Convolve.Tests.Analysis;

/// <summary>Coverage grids far larger than can be printed: computed per axis, quickly, or refused with the limit.</summary>
public class CoverageLargeTests
{
    // The definition: every (window position, tap) pair that lands on the image adds one use.
    private static int[,] BruteForce(int height, int width, int k, int s, int p, int d)
    {
        int outH = OutputSize.Compute(height, k, s, p, d).Output, outW = OutputSize.Compute(width, k, s, p, d).Output;
        var counts = new int[height, width];
        for (int oh = 0; oh < outH; oh++)
        for (int ow = 0; ow < outW; ow++)
        for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
        {
            int h = oh * s - p + i * d, w = ow * s - p + j * d;
            if (h >= 0 && h < height && w >= 0 && w < width) counts[h, w]++;
        }
        return counts;
    }

    [Fact]
    public void PerAxisCounts_EqualTheSlidingWindowDefinition_IncludingLargeStridesPaddingAndDilation() =>
        Gen.Select(Gen.Int[1, 20], Gen.Int[1, 20], Gen.Int[1, 6], Gen.Int[1, 7], Gen.Int[0, 8], Gen.Int[1, 4])
            .Where(t => t.Item1 + 2 * t.Item5 >= t.Item6 * (t.Item3 - 1) + 1 && t.Item2 + 2 * t.Item5 >= t.Item6 * (t.Item3 - 1) + 1)
            .Sample(t =>
            {
                var (h, w, k, s, p, d) = t;
                var grid = CoverageGrid.Compute(h, w, k, k, s, p, d);
                var expected = BruteForce(h, w, k, s, p, d);
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
                Assert.Equal(expected.Cast<int>().Min(), grid.Min);
                Assert.Equal(expected.Cast<int>().Max(), grid.Max);
            }, iter: 300);

    [Fact]
    public void A100000x100000Image_IsCountedInWellUnderASecond()
    {
        var clock = Stopwatch.StartNew();
        var g = CoverageGrid.Compute(100_000, 100_000, 3, 3);
        long sumAndCorners = g.Sum + g[0, 0] + g[99_999, 99_999];
        clock.Stop();

        Assert.Equal((99_998, 99_998), (g.OutH, g.OutW));
        Assert.Equal(1, g[0, 0]);
        Assert.Equal(3, g[0, 50_000]);
        Assert.Equal(9, g[50_000, 50_000]);
        Assert.Equal((1, 9), (g.Min, g.Max));
        Assert.Equal(99_998L * 99_998 * 9, g.Sum);
        Assert.Equal(0, g.Unused);
        Assert.True(sumAndCorners > 0);
        // Generous for a shared machine: the count itself takes milliseconds.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public void SidesAboveTheLimit_AreRefusedNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageGrid.Compute(2_000_000, 5, 3, 3));
        Assert.Equal("an image of 2000000x5 is larger than this computes: each side can be at most 1,000,000 pixels.", e.Message);
        e = Assert.Throws<ArgumentException>(() => CoverageGrid.Compute(5000, 5000, 5000, 5000));
        Assert.Equal("a kernel of 5000x5000 is larger than this computes: each side can be at most 1,000 taps.", e.Message);
    }

    [Fact]
    public void PaddingThatOverflowsAnInt_IsRefusedInsteadOfWrapping()
    {
        var e = Assert.Throws<ArgumentException>(() => OutputSize.Compute(5, 3, padding: 1_500_000_000));
        Assert.Equal("the padded input 5 + 2*1500000000 = 3000000005 is more than 2147483647 pixels.", e.Message);
    }
}
