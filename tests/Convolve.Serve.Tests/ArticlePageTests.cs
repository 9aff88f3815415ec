using System.Globalization;
using Convolve.Analysis;
using Convolve.Tensors;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convolve.Serve.Tests;

/// <summary>The Article page in a real browser: the anchor map, edits by mouse and keyboard, coverage and parameters.</summary>
[Collection(ServedPagesCollection.Name)]
public sealed class ArticlePageTests(ServedPages served)
{
    /// <summary>The texts the page shows for a map: numbers as common.js formats whole numbers.</summary>
    private static string[] Texts(Tensor map) => [.. map.Span.ToArray().Select(v => ((double)v).ToString(CultureInfo.InvariantCulture))];

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static async Task<PageProbe> OpenReadyAsync(ServedPages served)
    {
        var probe = await served.OpenAsync("/article", height: 1000);
        await Expect(probe.Page.Locator("body[data-ready=true]")).ToHaveCountAsync(1);
        return probe;
    }

    [BrowserFact]
    public async Task ArticlePage_ShowsTheAnchorMap_With765AndMinus765_AndItsSums()
    {
        await using var probe = await OpenReadyAsync(served);
        var page = probe.Page;
        var image = ArticleExample.AnchorImage();
        var map = ArticleExample.Convolve(image, ArticleExample.HorizontalKernel());

        var cells = page.Locator("#map .cell");
        await Expect(cells).ToHaveTextAsync(Texts(map));
        var shown = await cells.AllTextContentsAsync();
        Assert.Contains("765", shown);
        Assert.Contains("-765", shown);
        await Expect(page.Locator("#vmap .cell")).ToHaveTextAsync(Texts(ArticleExample.Convolve(image, ArticleExample.VerticalKernel())));

        // Pointing at output (2, 1) shows its sum and outlines its window (rows 2..4, columns 1..3) on the image.
        await cells.Nth(2 * 4 + 1).HoverAsync();
        await Expect(page.Locator("#sum")).ToContainTextAsync("255·1 + 255·1 + 255·1");
        await Expect(page.Locator("#sum")).ToContainTextAsync($"= {map[0, 0, 2, 1].ToString(CultureInfo.InvariantCulture)}");
        var outlined = await page.Locator("#image .cell.in-window").EvaluateAllAsync<int[]>("cells => cells.map(c => Number(c.dataset.index))");
        Assert.Equal([13, 14, 15, 19, 20, 21, 25, 26, 27], outlined);

        // Keyboard: focusing a value shows its sum too.
        await cells.Nth(0).FocusAsync();
        await Expect(page.Locator("#sum")).ToContainTextAsync($"Row 0, column 0: ");
        await Expect(page.Locator("#sum")).ToContainTextAsync($"= {map[0, 0, 0, 0].ToString(CultureInfo.InvariantCulture)}");

        await Expect(page.Locator("#map-note")).ToContainTextAsync("0, -765, 765, 0");
        // A click pins a value's sum: the screenshot shows output (2, 1) worked out.
        await cells.Nth(2 * 4 + 1).ClickAsync();
        await Expect(page.Locator("#sum")).ToContainTextAsync("Row 2, column 1: ");
        await Expect(page.Locator("#image .cell.in-window")).ToHaveCountAsync(9);
        await probe.ScreenshotAsync("article");
        probe.AssertClean();
    }

    [BrowserFact]
    public async Task ArticlePage_EditingTheImageAndKernel_RecomputesTheEnginesMap()
    {
        await using var probe = await OpenReadyAsync(served);
        var page = probe.Page;
        var image = ArticleExample.AnchorImage();
        var kernel = ArticleExample.HorizontalKernel();
        var pixels = page.Locator("#image .cell");

        // Mouse: a click moves pixel (0, 0) to the next value of the cycle (0 -> 128).
        await pixels.Nth(0).ClickAsync();
        image[0, 0, 0, 0] = 128;
        await Expect(pixels.Nth(0)).ToHaveTextAsync("128");
        await Expect(page.Locator("#map .cell")).ToHaveTextAsync(Texts(ArticleExample.Convolve(image, kernel)));
        await Expect(page.Locator("#vmap .cell")).ToHaveTextAsync(Texts(ArticleExample.Convolve(image, ArticleExample.VerticalKernel())));

        // Keyboard: move to pixel (1, 1) with the arrows and type 200.
        await page.Keyboard.PressAsync("ArrowDown");
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.TypeAsync("200");
        image[0, 0, 1, 1] = 200;
        await Expect(pixels.Nth(7)).ToHaveTextAsync("200");
        await Expect(page.Locator("#map .cell")).ToHaveTextAsync(Texts(ArticleExample.Convolve(image, kernel)));

        // A drag paints: pressing on bright pixel (2, 0) cycles it to 0, and the pixels dragged across take the same value.
        var from = await pixels.Nth(12).BoundingBoxAsync();
        var to = await pixels.Nth(14).BoundingBoxAsync();
        await page.Mouse.MoveAsync(from!.X + from.Width / 2, from.Y + from.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(to!.X + to.Width / 2, to.Y + to.Height / 2, new MouseMoveOptions { Steps = 8 });
        await page.Mouse.UpAsync();
        for (int w = 0; w < 3; w++) image[0, 0, 2, w] = 0;
        await Expect(pixels.Nth(13)).ToHaveTextAsync("0");
        await Expect(page.Locator("#map .cell")).ToHaveTextAsync(Texts(ArticleExample.Convolve(image, kernel)));

        // The kernel: switch to the vertical one, then edit a weight.
        await page.ClickAsync("#kernel-vertical");
        kernel = ArticleExample.VerticalKernel();
        await Expect(page.Locator("#map .cell")).ToHaveTextAsync(Texts(ArticleExample.Convolve(image, kernel)));
        await page.Locator("#kernel input[data-index='4']").FillAsync("2");
        kernel[0, 0, 1, 1] = 2;
        await Expect(page.Locator("#map .cell")).ToHaveTextAsync(Texts(ArticleExample.Convolve(image, kernel)));

        // Resetting brings back the article's map.
        await page.ClickAsync("#reset-image");
        await page.ClickAsync("#kernel-reset");
        await Expect(page.Locator("#map .cell"))
            .ToHaveTextAsync(Texts(ArticleExample.Convolve(ArticleExample.AnchorImage(), ArticleExample.HorizontalKernel())));
        probe.AssertClean();
    }

    [BrowserFact]
    public async Task ArticlePage_CoverageAndParameterControls_ShowTheEnginesCounts()
    {
        await using var probe = await OpenReadyAsync(served);
        var page = probe.Page;

        var corner = page.Locator("#coverage .cell[data-row='0'][data-column='0']");
        await Expect(corner).ToHaveTextAsync(CoverageGrid.Compute(6, 6, 3, 3)[0, 0].ToString(CultureInfo.InvariantCulture));
        await page.Locator("#cov-padding").FillAsync("1");
        var padded = CoverageGrid.Compute(6, 6, 3, 3, padding: 1);
        await Expect(corner).ToHaveTextAsync(padded[0, 0].ToString(CultureInfo.InvariantCulture));
        await page.Locator("#cov-height").FillAsync("9");
        await page.Locator("#cov-kernel").FillAsync("4");
        await page.Locator("#cov-stride").FillAsync("2");
        var grid = CoverageGrid.Compute(9, 6, 4, 4, stride: 2, padding: 1);
        await Expect(page.Locator("#coverage tr")).ToHaveCountAsync(9);
        await Expect(page.Locator("#coverage .cell[data-row='4'][data-column='2']")).ToHaveTextAsync(grid[4, 2].ToString(CultureInfo.InvariantCulture));
        await Expect(page.Locator("#coverage-summary")).ToContainTextAsync($"All uses add up to {N(grid.Sum)}.");

        await page.GetByRole(AriaRole.Button, new() { Name = "28x28 grayscale (MNIST), 100 units, 32 filters" }).ClickAsync();
        var dense = ParameterCounts.DenseOnImage(28, 28, 1, 100);
        var conv = ParameterCounts.Conv(1, 3, 3, 32);
        await Expect(page.Locator("#params tr[data-kind=dense] td.formula").First).ToHaveTextAsync($"28·28·1·100 = {N(dense.Weights)}");
        await Expect(page.Locator("#params tr[data-kind=conv] td.formula").Last).ToHaveTextAsync($"(3·3·1 + 1)·32 = {N(conv.Total)}");
        await page.Locator("#par-filters").FillAsync("64");
        await Expect(page.Locator("#params tr[data-kind=conv] td.formula").Last)
            .ToHaveTextAsync($"(3·3·1 + 1)·64 = {N(ParameterCounts.Conv(1, 3, 3, 64).Total)}");
        probe.AssertClean();
    }

    [BrowserFact]
    public async Task ArticlePage_AValueOutOfRange_ShowsTheServersReason_AndTheNextEditRecovers()
    {
        await using var probe = await OpenReadyAsync(served);
        var page = probe.Page;
        await page.Locator("#image .cell").Nth(8).ClickAsync();
        await page.Locator("#pixel-value").FillAsync("300");
        await page.Locator("#pixel-value").DispatchEventAsync("change");
        await Expect(page.Locator("#error")).ToHaveTextAsync("image[8] (row 1, column 2) must be a number from 0 to 255, got 300.");

        await page.Locator("#pixel-value").FillAsync("0");
        await page.Locator("#pixel-value").DispatchEventAsync("change");
        await Expect(page.Locator("#error")).ToHaveTextAsync("");
        await Expect(page.Locator("#map .cell"))
            .ToHaveTextAsync(Texts(ArticleExample.Convolve(ArticleExample.AnchorImage(), ArticleExample.HorizontalKernel())));
        // The browser reports the refused request itself; nothing else went wrong, and nothing left the server.
        Assert.All(probe.Errors, error => Assert.Contains("400", error));
        Assert.Empty(probe.ForeignRequests);
    }
}
