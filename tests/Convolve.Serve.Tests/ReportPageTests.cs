using Convolve.Cli;
using Microsoft.Playwright;

namespace Convolve.Serve.Tests;

/// <summary>
/// The one-file training report (<c>convolve train --report</c>) opened from disk in a real browser:
/// it renders every section and its pictures, with no console errors and no request for anything
/// but the file itself (it must work offline, sent by mail or kept with the model).
/// </summary>
[Collection(ServedPagesCollection.Name)]
public sealed class ReportPageTests(ServedPages served)
{
    [BrowserFact]
    public async Task Report_OpensFromDisk_RendersEverySectionAndPicture_OfflineAndWithoutErrors()
    {
        string folder = Directory.CreateTempSubdirectory("convolve-report-").FullName;
        string report = Path.Combine(folder, "run.html");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ConvolveApp.Run(["train", "--limit", "1000", "--epochs", "2", "--seed", "3", "--report", report], output, error, plain: true);
        Assert.True(code == 0, error.ToString());

        await using var probe = await served.OpenFileAsync(report);
        foreach (string section in new[] { "run", "epochs", "confusion", "classes", "filter-history", "filters", "mistakes" })
            await Assertions.Expect(probe.Page.Locator($"section#{section} h2")).ToBeVisibleAsync();

        // Every picture decoded: a data URI the browser could read has a natural width.
        var images = probe.Page.Locator("img");
        int count = await images.CountAsync();
        Assert.True(count >= 16, $"the report shows {count} pictures; the filters and 16 mistakes alone are more");
        int[] widths = await probe.Page.EvalOnSelectorAllAsync<int[]>("img", "images => images.map(i => i.complete ? i.naturalWidth : 0)");
        Assert.All(widths, width => Assert.True(width > 0, "a picture did not decode"));

        // The accuracy the page shows is the one the command printed.
        string printed = output.ToString().Split('\n').Single(line => line.StartsWith("Test accuracy:", StringComparison.Ordinal));
        string accuracy = printed["Test accuracy: ".Length..printed.IndexOf('%')] + "%";
        Assert.Contains(accuracy, await probe.Page.Locator("section#run").InnerTextAsync());

        await probe.ScreenshotAsync("report");
        probe.AssertClean();
    }
}
