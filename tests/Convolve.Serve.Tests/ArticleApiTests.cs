using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Convolve.Analysis;
using Convolve.Cli;
using Convolve.Tensors;

namespace Convolve.Serve.Tests;

/// <summary>
/// The Article page's endpoints on the in-memory server: the feature maps are the engine's, every
/// shown sum adds up to its value, and coverage and parameter counts are what the commands print.
/// </summary>
public sealed partial class ArticleApiTests
{
    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetSingle())];

    private static async Task<JsonDocument> Json(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }

    private static async Task<JsonDocument> Convolve(ServeTestHost host, float[] image, float[] kernel)
    {
        using var response = await host.PostAsync("/api/article/convolve", new { image, kernel });
        return await Json(response);
    }

    [Fact]
    public async Task Defaults_AreTheArticlesImageAndKernels()
    {
        await using var host = await ServeTestHost.StartAsync();
        using var defaults = JsonDocument.Parse(await host.Client.GetStringAsync("/api/article/defaults"));
        var root = defaults.RootElement;
        Assert.Equal(ArticleExample.AnchorImage().Span.ToArray(), Floats(root.GetProperty("image")));
        Assert.Equal(ArticleExample.HorizontalKernel().Span.ToArray(), Floats(root.GetProperty("horizontal")));
        Assert.Equal(ArticleExample.VerticalKernel().Span.ToArray(), Floats(root.GetProperty("vertical")));
    }

    [Fact]
    public async Task AnchorImage_HorizontalKernel_GivesTheEnginesMap_WithTheArticlesMinus765And765()
    {
        await using var host = await ServeTestHost.StartAsync();
        var image = ArticleExample.AnchorImage();
        var kernel = ArticleExample.HorizontalKernel();
        using var result = await Convolve(host, image.Span.ToArray(), kernel.Span.ToArray());
        float[] map = Floats(result.RootElement.GetProperty("map"));

        Assert.Equal(4, result.RootElement.GetProperty("height").GetInt32());
        Assert.Equal(4, result.RootElement.GetProperty("width").GetInt32());
        Assert.Equal(ArticleExample.Convolve(image, kernel).Span.ToArray(), map);
        // The article's printed responses: -765 at one edge of the bright band, +765 at the other.
        Assert.Equal(-765f, map.Min());
        Assert.Equal(765f, map.Max());
        Assert.Contains(-765f, map);
        Assert.Contains(765f, map);
    }

    [Fact]
    public async Task AnchorImage_SumsAreWrittenOut_Like255Times1()
    {
        await using var host = await ServeTestHost.StartAsync();
        using var result = await Convolve(host, ArticleExample.AnchorImage().Span.ToArray(), ArticleExample.HorizontalKernel().Span.ToArray());
        var sums = result.RootElement.GetProperty("sums");
        // Output (2, 0): the kernel's +1 row on bright row 2, its -1 row on dark row 4.
        var bright = sums[2 * 4];
        Assert.Equal("255·1 + 255·1 + 255·1 + 255·0 + 255·0 + 255·0 + 0·(-1) + 0·(-1) + 0·(-1) = 765", bright.GetProperty("text").GetString());
        Assert.Equal(765f, bright.GetProperty("total").GetSingle());
        var dark = sums[0];
        Assert.EndsWith(" = -765", dark.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task EverySum_IsTheWindowTimesTheKernel_AndAddsUpToTheMapValue(int seed)
    {
        await using var host = await ServeTestHost.StartAsync();
        var random = new Random(seed);
        // Whole numbers: every product and sum is exact in single precision, whatever order the engine adds in.
        float[] image = [.. Enumerable.Range(0, 36).Select(_ => (float)random.Next(0, 256))];
        float[] kernel = [.. Enumerable.Range(0, 9).Select(_ => (float)random.Next(-5, 6))];
        using var result = await Convolve(host, image, kernel);
        float[] map = Floats(result.RootElement.GetProperty("map"));
        Assert.Equal(ArticleExample.Convolve(Tensor.FromArray(image, 1, 1, 6, 6), Tensor.FromArray(kernel, 1, 1, 3, 3)).Span.ToArray(), map);

        var sums = result.RootElement.GetProperty("sums");
        Assert.Equal(16, sums.GetArrayLength());
        for (int i = 0; i < 16; i++)
        {
            var sum = sums[i];
            int row = sum.GetProperty("row").GetInt32(), column = sum.GetProperty("column").GetInt32();
            Assert.Equal((i / 4, i % 4), (row, column));
            float[] window = Floats(sum.GetProperty("window"));
            float[] products = Floats(sum.GetProperty("products"));
            for (int t = 0; t < 9; t++)
            {
                Assert.Equal(image[(row + t / 3) * 6 + column + t % 3], window[t]);
                Assert.Equal(window[t] * kernel[t], products[t]);
            }
            float total = sum.GetProperty("total").GetSingle();
            Assert.Equal(map[i], total);
            Assert.Equal(map[i], products.Sum());
            Assert.EndsWith($" = {Terminal.Number(total)}", sum.GetProperty("text").GetString());
        }
    }

    [Fact]
    public async Task VerticalKernel_OnTheAnchorImage_GivesZeros_BecauseEveryRowIsUniform()
    {
        await using var host = await ServeTestHost.StartAsync();
        var image = ArticleExample.AnchorImage();
        var vertical = ArticleExample.VerticalKernel();
        using var result = await Convolve(host, image.Span.ToArray(), vertical.Span.ToArray());
        Assert.Equal(ArticleExample.Convolve(image, vertical).Span.ToArray(), Floats(result.RootElement.GetProperty("map")));
        Assert.Equal(0f, result.RootElement.GetProperty("largest").GetSingle());
        Assert.True(result.RootElement.GetProperty("imageRowsUniform").GetBoolean());
    }

    [Fact]
    public async Task Defaults_NoteOnThePrintedMap_NamesAnImageThatGivesIt()
    {
        await using var host = await ServeTestHost.StartAsync();
        using var defaults = JsonDocument.Parse(await host.Client.GetStringAsync("/api/article/defaults"));
        float[] printedRows = Floats(defaults.RootElement.GetProperty("printedRows"));
        float[] printedImage = Floats(defaults.RootElement.GetProperty("printedRowsImage"));
        Assert.Contains("0, -765, 765, 0", defaults.RootElement.GetProperty("mapNote").GetString());
        // The image offered for the printed map does give it, by the engine.
        using var result = await Convolve(host, printedImage, ArticleExample.HorizontalKernel().Span.ToArray());
        float[] map = Floats(result.RootElement.GetProperty("map"));
        for (int i = 0; i < 16; i++) Assert.Equal(printedRows[i / 4], map[i]);
    }

    [Theory]
    [InlineData(6, 6, 3, 0, 1)]
    [InlineData(6, 6, 3, 1, 1)]
    [InlineData(8, 5, 3, 1, 2)]
    [InlineData(7, 9, 5, 2, 3)]
    [InlineData(10, 12, 2, 0, 3)]
    [InlineData(32, 32, 32, 16, 32)]
    public async Task Coverage_IsWhatConvolveCoveragePrints(int height, int width, int kernel, int padding, int stride)
    {
        await using var host = await ServeTestHost.StartAsync();
        using var response = await host.PostAsync("/api/article/coverage", new { height, width, kernel, padding, stride });
        using var json = await Json(response);
        var root = json.RootElement;
        long[] counts = [.. root.GetProperty("counts").EnumerateArray().Select(v => v.GetInt64())];

        var printed = RunCli("coverage", "--size", $"{height}", "--width", $"{width}", "--kernel", $"{kernel}",
            "--padding", $"{padding}", "--stride", $"{stride}");
        // Up to 12 columns the grid is a table ("| 0   | 1 | 2 |"), wider ones plain rows of numbers.
        var rows = printed.Split('\n').Select(line => GridRow().Match(line) is { Success: true } m ? m.Groups[2].Value.Split('|')
                : CompactRow().IsMatch(line) ? line.Split(' ', StringSplitOptions.RemoveEmptyEntries) : null)
            .OfType<string[]>().Select(cells => cells.Select(c => long.Parse(c.Trim(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
        Assert.All(rows, row => Assert.Equal(width, row.Length));
        Assert.Equal(height, rows.Length);
        Assert.Equal(rows.SelectMany(r => r), counts);

        var grid = CoverageGrid.Compute(height, width, kernel, kernel, stride, padding);
        Assert.Equal(grid.Min, root.GetProperty("min").GetInt64());
        Assert.Equal(grid.Max, root.GetProperty("max").GetInt64());
        Assert.Equal(grid.Sum, root.GetProperty("sum").GetInt64());
        Assert.Equal(grid.Unused, root.GetProperty("unused").GetInt64());
        Assert.Equal(grid.OutH, root.GetProperty("outHeight").GetInt32());
        Assert.Equal(grid.OutW, root.GetProperty("outWidth").GetInt32());
        Assert.Contains($"All uses add up to {Terminal.Count(grid.Sum)}", printed.ReplaceLineEndings(" "));
    }

    [Fact]
    public async Task Coverage_WidthDefaultsToTheHeight_AsInTheCommand()
    {
        await using var host = await ServeTestHost.StartAsync();
        using var response = await host.PostAsync("/api/article/coverage", new { height = 6, kernel = 3 });
        using var json = await Json(response);
        Assert.Equal(6, json.RootElement.GetProperty("width").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("padding").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("stride").GetInt32());
        // The article's question 5: a corner pixel is used once, a pixel two away from every border 9 times.
        Assert.Equal(1, json.RootElement.GetProperty("counts")[0].GetInt64());
        Assert.Equal(9, json.RootElement.GetProperty("max").GetInt64());
    }

    [Theory]
    [InlineData(224, 224, 3, 100, 64, 3)]
    [InlineData(28, 28, 1, 100, 32, 3)]
    [InlineData(100, 100, 1, 200, 1, 3)]
    [InlineData(10_000, 10_000, 1_024, 10_000, 10_000, 32)]
    [InlineData(5, 7, 2, 1, 3, 5)]
    public async Task Params_AreWhatConvolveParamsPrints_WithTrueFormulas(int height, int width, int channels, int hidden, int filters, int kernel)
    {
        await using var host = await ServeTestHost.StartAsync();
        using var response = await host.PostAsync("/api/article/params", new { height, width, channels, hidden, filters, kernel });
        using var json = await Json(response);
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(["dense", "filter", "conv"], rows.Select(r => r.GetProperty("kind").GetString()));

        var printed = RunCli("params", "--height", $"{height}", "--width", $"{width}", "--channels", $"{channels}",
            "--hidden", $"{hidden}", "--filters", $"{filters}", "--kernel", $"{kernel}");
        var tableRows = printed.Split('\n').Select(line => TableRow().Match(line)).Where(m => m.Success).ToArray();
        Assert.Equal(3, tableRows.Length);
        for (int i = 0; i < 3; i++)
        {
            long[] cli = [.. Enumerable.Range(2, 3).Select(g => Count(tableRows[i].Groups[g].Value))];
            long weights = rows[i].GetProperty("weights").GetInt64(), biases = rows[i].GetProperty("biases").GetInt64();
            long total = rows[i].GetProperty("total").GetInt64();
            Assert.Equal(cli, new[] { weights, biases, total });
            Assert.Equal(weights, Evaluate(rows[i].GetProperty("weightsFormula").GetString()!, out long shownWeights));
            Assert.Equal(weights, shownWeights);
            Assert.Equal(total, Evaluate(rows[i].GetProperty("totalFormula").GetString()!, out long shownTotal));
            Assert.Equal(total, shownTotal);
        }
        var dense = ParameterCounts.DenseOnImage(height, width, channels, hidden);
        Assert.Equal(dense.Total, rows[0].GetProperty("total").GetInt64());
        Assert.Contains($"has {json.RootElement.GetProperty("ratio").GetString()} times the parameters", printed.ReplaceLineEndings(" "));
    }

    [Fact]
    public async Task Params_ArticlesFigures_78400And15052800_AndTheFormulaOfTheBrief()
    {
        await using var host = await ServeTestHost.StartAsync();
        using var mnist = await Json(await host.PostAsync("/api/article/params", new { height = 28, channels = 1, hidden = 100, filters = 32 }));
        Assert.Equal(78_400, mnist.RootElement.GetProperty("rows")[0].GetProperty("weights").GetInt64());
        Assert.Equal("(3·3·1 + 1)·32 = 320", mnist.RootElement.GetProperty("rows")[2].GetProperty("totalFormula").GetString());
        using var rgb = await Json(await host.PostAsync("/api/article/params", new { }));
        Assert.Equal(224, rgb.RootElement.GetProperty("height").GetInt32());
        Assert.Equal(15_052_800, rgb.RootElement.GetProperty("rows")[0].GetProperty("weights").GetInt64());
        Assert.Equal("224·224·3·100 = 15,052,800", rgb.RootElement.GetProperty("rows")[0].GetProperty("weightsFormula").GetString());
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { "/api/article/convolve", """{"kernel":[1,1,1,0,0,0,-1,-1,-1]}""", "image is missing: give 36 numbers from 0 to 255" },
        { "/api/article/convolve", """{"image":[1,2,3],"kernel":[1,1,1,0,0,0,-1,-1,-1]}""", "image must hold 36 numbers (6x6, row by row), got 3." },
        { "/api/article/convolve", Body(image: Pixels(7, "256")), "image[7] (row 1, column 1) must be a number from 0 to 255, got 256." },
        { "/api/article/convolve", Body(image: Pixels(0, "-1")), "image[0] (row 0, column 0) must be a number from 0 to 255, got -1." },
        { "/api/article/convolve", Body(image: Pixels(35, "\"NaN\"")), "image[35] (row 5, column 5) must be a number from 0 to 255, got NaN." },
        { "/api/article/convolve", Body(image: Pixels(3, "null")), "image[3] (row 0, column 3) must be a number from 0 to 255, got nothing." },
        { "/api/article/convolve", Body(kernel: "[1,1,1,0,0,0,-1,-1,\"-Infinity\"]"),
            "kernel[8] (row 2, column 2) must be a number from -100 to 100, got -Infinity." },
        { "/api/article/convolve", Body(kernel: "[1,1,1,0,101,0,-1,-1,-1]"), "kernel[4] (row 1, column 1) must be a number from -100 to 100, got 101." },
        { "/api/article/convolve", Body(kernel: "[1,1,1,0]"), "kernel must hold 9 numbers (3x3, row by row), got 4." },
        { "/api/article/convolve", Body(kernel: "[1,1,1,0,0,0,-1,-1,1e999]"), "kernel[8] (row 2, column 2) must be a number from -100 to 100, got Infinity." },
        { "/api/article/convolve", "null", "The request's body is null: send a JSON object with image and kernel." },
        { "/api/article/convolve", "[]", "The request is not valid JSON for this endpoint" },
        { "/api/article/convolve", "{", "The request is not valid JSON for this endpoint" },
        { "/api/article/convolve", "", "The request is not valid JSON for this endpoint" },
        { "/api/article/coverage", """{"kernel":3}""", "height is missing: give a whole number from 1 to 32." },
        { "/api/article/coverage", """{"height":0,"kernel":3}""", "height must be a whole number from 1 to 32, got 0." },
        { "/api/article/coverage", """{"height":33,"kernel":3}""", "height must be a whole number from 1 to 32, got 33." },
        { "/api/article/coverage", """{"height":6.5,"kernel":3}""", "height must be a whole number from 1 to 32, got 6.5." },
        { "/api/article/coverage", """{"height":6,"width":100000,"kernel":3}""", "width must be a whole number from 1 to 32, got 100000." },
        { "/api/article/coverage", """{"height":6}""", "kernel is missing: give a whole number from 1 to 32." },
        { "/api/article/coverage", """{"height":6,"width":4,"kernel":5}""",
            "kernel must be at most 4 here (the padded image is 6x4), got 5: no window would fit." },
        { "/api/article/coverage", """{"height":6,"kernel":3,"padding":17}""", "padding must be a whole number from 0 to 16, got 17." },
        { "/api/article/coverage", """{"height":6,"kernel":3,"padding":-1}""", "padding must be a whole number from 0 to 16, got -1." },
        { "/api/article/coverage", """{"height":6,"kernel":3,"stride":0}""", "stride must be a whole number from 1 to 32, got 0." },
        { "/api/article/coverage", """{"height":"6","kernel":3}""", "The request is not valid JSON for this endpoint (at $.height)." },
        { "/api/article/params", """{"height":10001}""", "height must be a whole number from 1 to 10,000, got 10001." },
        { "/api/article/params", """{"width":0}""", "width must be a whole number from 1 to 10,000, got 0." },
        { "/api/article/params", """{"channels":1025}""", "channels must be a whole number from 1 to 1,024, got 1025." },
        { "/api/article/params", """{"hidden":1e9}""", "hidden must be a whole number from 1 to 10,000, got 1000000000." },
        { "/api/article/params", """{"filters":-1}""", "filters must be a whole number from 1 to 10,000, got -1." },
        { "/api/article/params", """{"kernel":"Infinity"}""", "kernel must be a whole number from 1 to 32, got Infinity." },
        { "/api/article/params", """{"kernel":2.5}""", "kernel must be a whole number from 1 to 32, got 2.5." },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_Gets400_WithAOneLineReason_AndTheServerGoesOn(string path, string body, string reason)
    {
        await using var host = await ServeTestHost.StartAsync();
        using var response = await host.PostAsync(path, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string error = await ServeTestHost.ErrorOf(response);
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith(reason, error);

        using var after = await Convolve(host, ArticleExample.AnchorImage().Span.ToArray(), ArticleExample.HorizontalKernel().Span.ToArray());
        Assert.Equal(765f, Floats(after.RootElement.GetProperty("map")).Max());
    }

    [Fact]
    public async Task NotJson_Gets400_NotA404()
    {
        await using var host = await ServeTestHost.StartAsync();
        using var response = await host.Client.PostAsync("/api/article/coverage", new StringContent("height=6", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Send a JSON object with height and kernel (Content-Type: application/json).", await ServeTestHost.ErrorOf(response));
    }

    private static long Count(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    private static string Pixels(int at, string value) =>
        "[" + string.Join(",", Enumerable.Range(0, 36).Select(i => i == at ? value : "0")) + "]";

    private static string Body(string? image = null, string? kernel = null) =>
        $$"""{"image":{{image ?? Pixels(-1, "")}},"kernel":{{kernel ?? "[1,1,1,0,0,0,-1,-1,-1]"}}}""";

    /// <summary>Runs the CLI in this process, as a user would type it, and returns its plain output.</summary>
    private static string RunCli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ConvolveApp.Run(args, output, error, plain: true);
        Assert.True(code == 0, $"convolve {string.Join(' ', args)} failed: {error}");
        return output.ToString();
    }

    /// <summary>
    /// The value of a formula the page shows, "a·b·c = N" or "(a·b·c + 1)·d = N", computed from its
    /// left side; <paramref name="shown"/> is the N it states.
    /// </summary>
    private static long Evaluate(string formula, out long shown)
    {
        var parts = formula.Split(" = ");
        Assert.Equal(2, parts.Length);
        shown = long.Parse(parts[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        static long Product(string factors) => factors.Split('·').Aggregate(1L, (p, f) => checked(p * long.Parse(f, CultureInfo.InvariantCulture)));
        var plusOne = PlusOne().Match(parts[0]);
        return plusOne.Success ? checked((Product(plusOne.Groups[1].Value) + 1) * long.Parse(plusOne.Groups[2].Value, CultureInfo.InvariantCulture))
            : Product(parts[0]);
    }

    [GeneratedRegex(@"^\| (\d+)\s+\|(.*)\|\s*$")]
    private static partial Regex GridRow();

    [GeneratedRegex(@"^ *[\d,]+( +[\d,]+)* *$")]
    private static partial Regex CompactRow();

    [GeneratedRegex(@"^\| (Fully connected|Convolution).*?\|\s+([\d,]+) \|\s+([\d,]+) \|\s+([\d,]+) \|\s*$")]
    private static partial Regex TableRow();

    [GeneratedRegex(@"^\((.+) \+ 1\)·(\d+)$")]
    private static partial Regex PlusOne();
}
