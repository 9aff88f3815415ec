using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Convolve.Serve.Tests;

/// <summary>The Draw page in Chromium: strokes drawn with the mouse, as a user would.</summary>
[Collection(ServedPagesCollection.Name)]
public sealed class DrawPageTests(ServedPages served, ITestOutputHelper output)
{
    private const int PadSide = 336;

    // Mouse strokes through points given in pad pixels (0..336), in small steps like a real hand.
    private static async Task StrokeAsync(IPage page, IEnumerable<(double X, double Y)> points)
    {
        var box = (await page.Locator("#pad").BoundingBoxAsync())!;
        bool down = false;
        foreach (var (x, y) in points)
        {
            await page.Mouse.MoveAsync((float)(box.X + x * box.Width / PadSide), (float)(box.Y + y * box.Height / PadSide), new MouseMoveOptions { Steps = 2 });
            if (!down)
            {
                await page.Mouse.DownAsync();
                down = true;
            }
        }
        await page.Mouse.UpAsync();
    }

    private static IEnumerable<(double, double)> VerticalLine() =>
        Enumerable.Range(0, 21).Select(i => (168.0 + i * 0.6, 60.0 + i * 11));

    private static IEnumerable<(double, double)> Ellipse() =>
        Enumerable.Range(0, 41).Select(i => (168 + 68 * Math.Sin(i * Math.PI / 20), 170 - 105 * Math.Cos(i * Math.PI / 20)));

    // Waits until the page has shown an answer sent after this stroke, and returns the best class shown.
    private static async Task<string> PredictedAsync(IPage page, int updatesBefore)
    {
        await page.WaitForFunctionAsync($"() => window.convolveDraw.updates > {updatesBefore} && !window.convolveDraw.busy");
        return (await page.Locator("#bars li.best span").First.TextContentAsync())!;
    }

    private static Task<int> UpdatesAsync(IPage page) => page.EvaluateAsync<int>("() => window.convolveDraw.updates");

    [BrowserFact]
    public async Task DrawnOneAndZero_ArePredicted_WithEveryMapDrawn_AndAClickedValueExplained()
    {
        await using var probe = await served.OpenAsync("/draw");
        var page = probe.Page;
        await page.WaitForFunctionAsync("() => document.body.dataset.ready === 'true'");
        // The Train page's tests may have added models to the shared server; the command line's comes first and is the default.
        await Assertions.Expect(page.Locator("#model")).ToHaveValueAsync("digits");

        int before = await UpdatesAsync(page);
        await StrokeAsync(page, VerticalLine());
        Assert.Equal("1", await PredictedAsync(page, before));

        await page.ClickAsync("#clear");
        Assert.Equal(0, await page.Locator("#layers canvas").CountAsync());
        before = await UpdatesAsync(page);
        await StrokeAsync(page, Ellipse());
        Assert.Equal("0", await PredictedAsync(page, before));

        // Every map canvas is drawn (opaque) and every layer's maps show something besides white (zero).
        var layers = await page.EvaluateAsync<JsonElement>("""
            () => [...document.querySelectorAll('#layers .layer')].map(layer => {
              const canvases = [...layer.querySelectorAll('canvas')];
              let opaque = 0, coloured = 0;
              for (const canvas of canvases) {
                const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let allOpaque = true, anyColour = false;
                for (let i = 0; i < data.length; i += 4) {
                  if (data[i + 3] !== 255) allOpaque = false;
                  if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) anyColour = true;
                }
                if (allOpaque) opaque++;
                if (anyColour) coloured++;
              }
              return { canvases: canvases.length, opaque, coloured };
            })
            """);
        Assert.Equal(3, layers.GetArrayLength());
        foreach (var layer in layers.EnumerateArray())
        {
            Assert.Equal(32, layer.GetProperty("canvases").GetInt32());
            Assert.Equal(32, layer.GetProperty("opaque").GetInt32());
            Assert.True(layer.GetProperty("coloured").GetInt32() > 0, "a layer's maps are all white");
        }

        // How long the page took per update (read the pad, fetch, draw the maps), logged for the record, not asserted.
        var timings = await page.EvaluateAsync<double[]>("() => window.convolveDraw.timings.map(t => t.fetchAndDraw)");
        var sinceStroke = await page.EvaluateAsync<double[]>("() => window.convolveDraw.timings.filter(t => t.sinceStroke !== null).map(t => t.sinceStroke)");
        Array.Sort(timings);
        async Task<string> Part(string name)
        {
            var part = await page.EvaluateAsync<double[]>($"() => window.convolveDraw.timings.map(t => t.{name})");
            Array.Sort(part);
            return $"{name} {part[part.Length / 2]:0.0}";
        }
        output.WriteLine($"browser medians, ms: {await Part("read")}, {await Part("fetch")} (sending, the server's work, parsing), {await Part("draw")}");
        output.WriteLine($"browser: {timings.Length} updates, read pad + fetch + draw: median {timings[timings.Length / 2]:0.0} ms, " +
            $"95th percentile {timings[Math.Min(timings.Length - 1, (int)Math.Ceiling(0.95 * timings.Length) - 1)]:0.0} ms; " +
            $"stroke end to maps drawn: {string.Join(", ", sinceStroke.Select(t => t.ToString("0.0", CultureInfo.InvariantCulture)))} ms " +
            $"(load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");

        // The same update 40 times over with nothing else going on (no mouse input): the page's own cost per answer.
        var quiet = await page.EvaluateAsync<double[]>("""
            async () => {
              const from = window.convolveDraw.timings.length;
              for (let i = 0; i < 40; i++) await window.convolveDraw.refresh();
              return window.convolveDraw.timings.slice(from).map(t => t.fetchAndDraw);
            }
            """);
        Array.Sort(quiet);
        output.WriteLine($"browser, 40 updates in a row: read pad + fetch + draw median {quiet[quiet.Length / 2]:0.0} ms, " +
            $"95th percentile {quiet[(int)Math.Ceiling(0.95 * quiet.Length) - 1]:0.0} ms, fastest {quiet[0]:0.0} ms " +
            $"(load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
        // Click the convolution's map 3 where it responds most strongly (on the stroke): the page shows the sum of products there.
        int at = await page.EvaluateAsync<int>("""
            () => {
              const map = window.convolveDraw.last.layers[0].maps.subarray(3 * 676, 4 * 676);
              let best = 0;
              for (let i = 1; i < map.length; i++) if (Math.abs(map[i]) > Math.abs(map[best])) best = i;
              return best;
            }
            """);
        int y = at / 26, x = at % 26;
        var map = page.Locator("#layers canvas[data-layer='0'][data-channel='3']");
        var box = (await map.BoundingBoxAsync())!;
        var position = new Position { X = (float)((x + 0.5) * box.Width / 26), Y = (float)((y + 0.5) * box.Height / 26) };
        await map.ClickAsync(new LocatorClickOptions { Position = position });
        await Assertions.Expect(page.Locator("#explanation")).ToContainTextAsync($"row {y}, column {x}");
        float engine = await page.EvaluateAsync<float>($"() => window.convolveDraw.last.layers[0].maps[3 * 676 + {at}]");
        float shown = float.Parse((await page.Locator("#pre-activation").TextContentAsync())!, CultureInfo.InvariantCulture);
        float shownExactly = float.Parse((await page.Locator("#pre-activation").GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture);
        float sum = float.Parse((await page.Locator("#sum").GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture);
        Assert.NotEqual(0, sum); // the window holds ink: a real sum of products
        Assert.Equal(engine, shownExactly, 4);
        Assert.True(Math.Abs(shown - engine) <= 5e-4 * Math.Max(1, Math.Abs(engine)), $"shown {shown}, engine {engine}");
        await Assertions.Expect(page.Locator("#field")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#field-box")).ToBeVisibleAsync();
        await probe.ScreenshotAsync("draw");

        // Drawing on, the chosen value is explained again for the new drawing: the sum follows the engine's new map value.
        await StrokeAsync(page, [(100, 300), (240, 300)]);
        await page.WaitForFunctionAsync($$"""
            () => {
              const engine = window.convolveDraw.last.layers[0].maps[3 * 676 + {{at}}];
              const shown = document.getElementById('pre-activation');
              return !window.convolveDraw.busy && shown !== null && Math.fround(Number(shown.dataset.value)) === engine;
            }
            """);
        await Assertions.Expect(page.Locator("#explanation")).ToContainTextAsync($"row {y}, column {x}");

        probe.AssertClean();
    }

    [BrowserFact]
    public async Task PenStroke_DrawsAndPredicts_AndThePadDoesNotScrollOnTouch()
    {
        await using var probe = await served.OpenAsync("/draw");
        var page = probe.Page;
        await page.WaitForFunctionAsync("() => document.body.dataset.ready === 'true'");
        Assert.Equal("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.getElementById('pad')).touchAction"));
        int before = await UpdatesAsync(page);
        // Pointer events as a pen sends them (Playwright's mouse sends pointerType "mouse").
        await page.EvaluateAsync("""
            () => {
              const pad = document.getElementById('pad'), box = pad.getBoundingClientRect();
              const at = (type, y) => pad.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType: 'pen', isPrimary: true, bubbles: true,
                clientX: box.left + box.width / 2, clientY: box.top + y * box.height / 336, pressure: 0.5, buttons: type === 'pointerup' ? 0 : 1 }));
              at('pointerdown', 60);
              for (let y = 70; y <= 280; y += 10) at('pointermove', y);
              at('pointerup', 280);
            }
            """);
        Assert.Equal("1", await PredictedAsync(page, before));
        probe.AssertClean();
    }
}
