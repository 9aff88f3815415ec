using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convolve.Serve.Tests;

/// <summary>The Train page in a real browser, on the shared server: a run started, watched, stopped, resumed and served.</summary>
[Collection(ServedPagesCollection.Name)]
public sealed class TrainPageTests(ServedPages served)
{
    private const float LongWait = 180_000;

    [BrowserFact]
    public async Task TrainPage_StartsARun_WhoseCurveGrows_StopsAndResumesIt_AndServesTheModel()
    {
        await using var probe = await served.OpenAsync("/train");
        var page = probe.Page;
        await Expect(page.Locator("#architecture option")).ToHaveCountAsync(4);
        await Expect(page.Locator("#status")).Not.ToHaveTextAsync("Loading…");
        await page.FillAsync("#epochs", "2");
        await page.FillAsync("#limit", "6000");
        await page.FillAsync("#batchSize", "16");
        await page.ClickAsync("#start");

        // The curve grows: the loss chart plots more points as the batches go by.
        await page.WaitForFunctionAsync("() => Number(document.getElementById('loss-chart').dataset.points || 0) >= 2", null,
            new PageWaitForFunctionOptions { Timeout = LongWait });
        int before = int.Parse((await page.GetAttributeAsync("#loss-chart", "data-points"))!);
        await page.WaitForFunctionAsync($"() => Number(document.getElementById('loss-chart').dataset.points) > {before}", null,
            new PageWaitForFunctionOptions { Timeout = LongWait });
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#filters canvas').length === 32");
        Assert.True(await page.EvaluateAsync<bool>(EveryCanvasHasColour), "a filter canvas is blank");

        await page.ClickAsync("#stop");
        await Expect(page.Locator("#status")).ToContainTextAsync("Stopped during epoch", new() { Timeout = LongWait });
        string run = await page.InputValueAsync("#resumable");
        Assert.StartsWith("run-", run);
        using (var http = new HttpClient())
        using (var state = JsonDocument.Parse(await http.GetStringAsync(served.BaseUrl + "/api/train/state")))
            Assert.Equal("stopped", state.RootElement.GetProperty("status").GetString());

        await page.ClickAsync("#resume");
        await Expect(page.Locator("#trained-model")).ToBeVisibleAsync(new() { Timeout = LongWait });
        string model = (await page.TextContentAsync("#trained-model"))!;
        await Expect(page.Locator("#epochs-table tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#status")).ToContainTextAsync($"{run}: Finished");
        Assert.True(await page.EvaluateAsync<bool>(EveryCanvasHasColour), "a filter canvas is blank");
        await probe.ScreenshotAsync("train");
        probe.AssertClean();

        await page.GotoAsync(served.BaseUrl + "/");
        await Expect(page.Locator("#models")).ToContainTextAsync($"{model}: trained on the Train page ({run})");
        probe.AssertClean();
    }

    [BrowserFact]
    public async Task TrainPage_ShowsTheServersReason_ForABadField()
    {
        await using var probe = await served.OpenAsync("/train");
        var page = probe.Page;
        await Expect(page.Locator("#architecture option")).ToHaveCountAsync(4);
        await page.FillAsync("#epochs", "0");
        await page.ClickAsync("#start");
        await Expect(page.Locator("#error")).ToHaveTextAsync("epochs: 0 is out of range; it must be 1 to 50.");
        // The browser logs the refused request itself; the page adds no error of its own and reaches nothing but the server.
        Assert.All(probe.Errors, error => Assert.Contains("status of 400", error));
        Assert.Empty(probe.ForeignRequests);
    }

    private const string EveryCanvasHasColour = """
        () => [...document.querySelectorAll('#filters canvas')].every(canvas => {
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 0; i < data.length; i += 4) if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) return true;
          return false;
        })
        """;
}
