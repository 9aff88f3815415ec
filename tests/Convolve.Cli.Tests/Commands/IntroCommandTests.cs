using Convolve.Analysis;

namespace Convolve.Cli.Tests.Commands;

/// <summary>One run of <c>convolve intro</c> (it trains a small network, so it is shared by the tests).</summary>
public sealed class IntroFixture : IDisposable
{
    public IntroFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"convolve-intro-test-{Guid.NewGuid():N}");
        Result = CliRunner.Run("intro", "--images", Folder);
    }

    public string Folder { get; }
    public CliRunner.Result Result { get; }

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}

public class IntroCommandTests(IntroFixture intro) : IClassFixture<IntroFixture>
{
    private string Output => intro.Result.Output;
    private string Flat => intro.Result.Flat;

    [Fact]
    public void Succeeds() => Assert.Equal((0, ""), (intro.Result.ExitCode, intro.Result.Error));

    [Fact]
    public void Step1_PrintsTheComputedMapAndTheNoteOnTheArticle()
    {
        var map = ArticleExample.Convolve(ArticleExample.AnchorImage(), ArticleExample.HorizontalKernel());
        Assert.Contains($"| 0   | {map[0, 0, 0, 0]:N0} | {map[0, 0, 0, 1]:N0} | {map[0, 0, 0, 2]:N0} | {map[0, 0, 0, 3]:N0} |", Output);
        Assert.Contains("| 3   |  765 |  765 |  765 |  765 |", Output);
        Assert.Contains("it prints this map's rows as 0, -765, 765, 0. Its own image and loop give -765, -765, 765, 765", Flat);
    }

    [Fact]
    public void Step2_ExplainsTheZeroMap() => Assert.Contains("Every output is 0.", Flat);

    [Fact]
    public void Step3_PrintsTheArticlesShapes() => Assert.Contains("Shapes: 6x6x1 -> 4x4x1 -> 2x2x1 -> 4 -> 2", Flat);

    // The numbers themselves are checked against the library in Convolve.Tests (EdgeFilterExperimentTests);
    // training again here would double the time of this suite.
    [Fact]
    public void Step4_ReportsTheHeldOutAccuracyAndCorrelation()
    {
        var accuracy = System.Text.RegularExpressions.Regex.Match(Flat, @"held-out test accuracy (\d+\.\d) %");
        Assert.True(accuracy.Success);
        Assert.True(double.Parse(accuracy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 90);
        Assert.Matches(@"Correlation with the hand-coded kernel: -?\d\.\d\d\.", Flat);
        Assert.Contains("the same filter gives the same response to the same edge, 2 rows lower", Flat);
    }

    [Fact]
    public void Step5_PrintsWeightsAndBiasesSeparately_AndThe864Note()
    {
        Assert.Contains("| Convolution: 64 filters of 3x3x3                         |      1,728 |     64 |      1,792 |", Output);
        Assert.Contains("The count is 1,728 weights + 64 biases; 864 weights is what 32 such filters have.", Flat);
        Assert.Contains("78,400", Output);
        Assert.Contains("15,052,800", Output);
    }

    [Fact]
    public void Step6_PrintsTheRatio() =>
        Assert.Contains("Ratio of weights: 2,000,000 / 9 = 222,222.2; with biases: 2,000,200 / 10 = 200,020.", Flat);

    [Fact]
    public void Step7_PrintsTheCoverage() =>
        Assert.Contains("So a corner pixel is used 1 time, an edge pixel 2 or 3 times, and a pixel at least two pixels from every border 9 times.", Flat);

    [Fact]
    public void WritesEveryPicture()
    {
        var files = Directory.GetFiles(intro.Folder, "*.png").Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(new[] {
            "01-anchor-image.png", "02-kernel-horizontal.png", "03-feature-map-horizontal.png", "04-kernel-vertical.png",
            "05-feature-map-vertical.png", "06-learned-vs-hand-coded.png", "06-translation-feature-maps.png", "07-coverage.png" }, files);
        foreach (var file in files)
        {
            using var bitmap = SkiaSharp.SKBitmap.Decode(Path.Combine(intro.Folder, file));
            Assert.True(bitmap.Width > 0 && bitmap.Height > 0, file);
        }
    }
}
