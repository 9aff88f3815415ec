using Convolve.Analysis;

namespace Convolve.Lessons.Tests.Analysis;

public class ArticleExampleTests
{
    private static readonly float[] ImageRows = [0, 0, 255, 255, 0, 0]; // the article's image, row by row

    [Fact]
    public void HorizontalKernel_GivesThreeTimesRowIMinusRowIPlus2()
    {
        var map = ArticleExample.Convolve(ArticleExample.AnchorImage(), ArticleExample.HorizontalKernel());
        Assert.Equal([1, 1, 4, 4], map.Shape.Dims.ToArray());
        for (int h = 0; h < 4; h++)
            for (int w = 0; w < 4; w++)
                Assert.Equal(3 * (ImageRows[h] - ImageRows[h + 2]), map[0, 0, h, w]);
        Assert.Equal([-765f, -765f, 765f, 765f], Enumerable.Range(0, 4).Select(h => map[0, 0, h, 0]));
    }

    [Fact]
    public void VerticalKernel_GivesAllZeros()
    {
        var map = ArticleExample.Convolve(ArticleExample.AnchorImage(), ArticleExample.VerticalKernel());
        Assert.Equal(16, map.Length);
        Assert.All(map.ToArray(), v => Assert.Equal(0f, v));
        Assert.True(ArticleExample.RowsAreUniform(ArticleExample.AnchorImage()));
    }

    [Fact]
    public void ExplainRows_NamesTheImageRowsUnderTheKernel()
    {
        var image = ArticleExample.AnchorImage();
        var map = ArticleExample.Convolve(image, ArticleExample.HorizontalKernel());
        var rows = ArticleExample.ExplainRows(image, map, 3);
        Assert.Equal(4, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal(row.OutputRow, row.TopRow);
            Assert.Equal(ImageRows.AsSpan(row.TopRow, 3).ToArray(), row.ImageRows);
            Assert.Equal(3 * (row.ImageRows[0] - row.ImageRows[2]), row.Response);
        }
    }

    // Which all-dark/all-bright row patterns give the map the article prints (0, -765, 765, 0)?
    // Derived here with plain arithmetic, 3 * (row i - row i+2), over all 64 patterns.
    [Fact]
    public void RowPatternsGiving_TheArticlesPrintedMap_MatchesArithmetic()
    {
        float[] printed = [0, -765, 765, 0];
        var expected = new List<bool[]>();
        for (int n = 0; n < 64; n++)
        {
            var rows = Enumerable.Range(0, 6).Select(r => (n >> r & 1) == 1 ? 255f : 0f).ToArray();
            if (Enumerable.Range(0, 4).All(i => 3 * (rows[i] - rows[i + 2]) == printed[i]))
                expected.Add([.. rows.Select(v => v > 0)]);
        }
        var found = ArticleExample.RowPatternsGiving(ArticleExample.HorizontalKernel(), printed);
        Assert.Equal(expected.Count, found.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], found[i]);
        // The article's own image is not among them.
        Assert.DoesNotContain(found, p => p.SequenceEqual(ImageRows.Select(v => v > 0)));
    }
}
