using System.Text.Json;
using Convolve.Analysis;
using Convolve.Cli.Commands;
using Convolve.Tensors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Convolve.Cli.Serve;

/// <summary>
/// The JSON endpoints of the Article page (<c>/api/article/...</c>): the steps of <c>convolve intro</c>
/// on the learner's own numbers. Every number comes from the code the commands use: the feature maps
/// from the engine's Conv2D (<see cref="ArticleExample.Convolve"/>), the coverage grid from
/// <see cref="CoverageGrid"/> (as <c>convolve coverage</c>), the parameter counts from
/// <see cref="ParameterCounts"/> (as <c>convolve params</c>). The page only draws and formats them.
/// </summary>
internal static class ArticleApi
{
    /// <summary>The side of the anchor image.</summary>
    public const int ImageSide = 6;

    /// <summary>The side of the kernel.</summary>
    public const int KernelSide = 3;

    /// <summary>The largest pixel value (8-bit grayscale, as in the article).</summary>
    public const int PixelMax = 255;

    /// <summary>The largest kernel weight in magnitude: large enough for any hand-made filter, small enough to read.</summary>
    public const int KernelWeightMax = 100;

    /// <summary>Coverage image sides: up to the width <c>convolve coverage</c> prints as a grid.</summary>
    public static readonly ArticleRange CoverageSide = new(1, CoverageCommand.MaxPrintedWidth);

    /// <summary>Coverage kernel sizes (also at most the padded image, checked per request).</summary>
    public static readonly ArticleRange CoverageKernel = new(1, CoverageCommand.MaxPrintedWidth);

    /// <summary>Coverage padding.</summary>
    public static readonly ArticleRange CoveragePadding = new(0, CoverageCommand.MaxPrintedWidth / 2);

    /// <summary>Coverage stride.</summary>
    public static readonly ArticleRange CoverageStride = new(1, CoverageCommand.MaxPrintedWidth);

    /// <summary>Parameter-table image sides. With the other limits every count stays below 2^53, exact as a JavaScript number.</summary>
    public static readonly ArticleRange ParamsSide = new(1, 10_000);

    /// <summary>Parameter-table channels.</summary>
    public static readonly ArticleRange ParamsChannels = new(1, 1_024);

    /// <summary>Parameter-table units of the fully connected layer.</summary>
    public static readonly ArticleRange ParamsHidden = new(1, 10_000);

    /// <summary>Parameter-table filters.</summary>
    public static readonly ArticleRange ParamsFilters = new(1, 10_000);

    /// <summary>Parameter-table kernel sizes.</summary>
    public static readonly ArticleRange ParamsKernel = new(1, 32);

    /// <summary>Maps this page's endpoints.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/api/article/defaults", Defaults);
        app.MapPost("/api/article/convolve", async (HttpRequest request) => Convolve(await Body<ArticleConvolveRequest>(request, "image and kernel")));
        app.MapPost("/api/article/coverage", async (HttpRequest request) => Coverage(await Body<ArticleCoverageRequest>(request, "height and kernel")));
        app.MapPost("/api/article/params", async (HttpRequest request) => Params(await Body<ArticleParamsRequest>(request, "the sizes")));
    }

    // The body is read here rather than bound by the framework: its binding failures answer an empty
    // 400 (or, for a wrong content type, fall through to the 404), where the page needs the one-line reason.
    // (The handlers take the HttpRequest, not the HttpContext: a handler of HttpContext alone returning
    // a Task would be taken for a RequestDelegate, and its result dropped.)
    private static async Task<T> Body<T>(HttpRequest request, string fields) where T : class
    {
        if (!request.HasJsonContentType())
            throw ApiErrors.Bad($"Send a JSON object with {fields} (Content-Type: application/json).");
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var body = await JsonSerializer.DeserializeAsync<T>(request.Body, options, request.HttpContext.RequestAborted);
        return body ?? throw ApiErrors.Bad($"The request's body is null: send a JSON object with {fields}.");
    }

    /// <summary>The article's numbers, the controls' defaults and limits, and the notes on the article's printed figures.</summary>
    public static ArticleDefaults Defaults()
    {
        var image = ArticleExample.AnchorImage();
        var horizontal = ArticleExample.HorizontalKernel();
        var map = ArticleExample.Convolve(image, horizontal);
        var printed = IntroCommand.ArticleQuotedRows;
        var computedRows = Enumerable.Range(0, map.Shape[2]).Select(h => map[0, 0, h, 0]).ToArray();
        var sources = ArticleExample.RowPatternsGiving(horizontal, printed);
        float[]? printedImage = null;
        if (sources.Count > 0)
        {
            printedImage = new float[ImageSide * ImageSide];
            for (int r = 0; r < ImageSide; r++)
                for (int c = 0; c < ImageSide; c++) printedImage[r * ImageSide + c] = sources[0][r] ? ArticleExample.Bright : 0;
        }
        string mapNote = computedRows.SequenceEqual(printed) && ArticleExample.RowsAreUniform(map)
            ? "The article prints the same map."
            : $"The article prints this map's rows as {List(printed)}, but its own image and loop give {List(computedRows)}: " +
              "every 3-row window of the anchor image has a dark row at one end and a bright row at the other, so no output row is 0. " +
              (sources.Count == 0
                  ? "No image whose rows are each wholly dark or wholly bright gives the printed map."
                  : "Of the 64 images whose rows are each wholly dark or wholly bright, only " +
                    string.Join(" or ", sources.Select(p => "rows " + string.Join(", ", p.Select(b => b ? "bright" : "dark")))) +
                    " gives the printed map.");

        var coverage = new CoverageCommand.Settings();
        var parameters = new ParamsCommand.Settings();
        var many = ParameterCounts.Conv(3, 3, 3, 64);
        long? filters = ParameterCounts.FiltersFor(IntroCommand.ArticleQuotedWeights, 3, 3, 3);
        string parameterNote = $"The article gives \"~{Terminal.Count(IntroCommand.ArticleQuotedWeights)}\" parameters for 64 filters of 3x3x3. " +
            $"The count is {Terminal.Count(many.Weights)} weights + {Terminal.Count(many.Biases)} biases = {Terminal.Count(many.Total)}" +
            (filters is { } f ? $"; {Terminal.Count(IntroCommand.ArticleQuotedWeights)} weights is what {f} such filters have." : ".");

        return new ArticleDefaults(
            ImageSide, KernelSide, PixelMax, KernelWeightMax,
            image.Span.ToArray(), horizontal.Span.ToArray(), ArticleExample.VerticalKernel().Span.ToArray(),
            printed, printedImage, mapNote,
            new ArticleCoverageDefaults(coverage.Size, coverage.Width ?? coverage.Size, coverage.Kernel, coverage.Padding, coverage.Stride,
                CoverageSide, CoverageKernel, CoveragePadding, CoverageStride),
            new ArticleParamsDefaults(parameters.Height, parameters.Width ?? parameters.Height, parameters.Channels, parameters.Hidden,
                parameters.Filters, parameters.Kernel, ParamsSide, ParamsChannels, ParamsHidden, ParamsFilters, ParamsKernel,
                [
                    new ArticleParamsPreset("28x28 grayscale (MNIST), 100 units, 32 filters", 28, 28, 1, 100, 32, 3),
                    new ArticleParamsPreset("224x224 RGB, 100 units, 64 filters", 224, 224, 3, 100, 64, 3),
                    new ArticleParamsPreset("Question 1: 100x100 grayscale, 200 units, 1 filter", 100, 100, 1, 200, 1, 3),
                ]),
            parameterNote);
    }

    /// <summary>The feature map of a 6x6 image under a 3x3 kernel (no padding, stride 1, no bias), with every sum worked out.</summary>
    public static ArticleConvolution Convolve(ArticleConvolveRequest request)
    {
        float[] pixels = ArticleChecks.Grid(request.Image, "image", ImageSide, 0, PixelMax);
        float[] weights = ArticleChecks.Grid(request.Kernel, "kernel", KernelSide, -KernelWeightMax, KernelWeightMax);
        var image = Tensor.FromArray(pixels, 1, 1, ImageSide, ImageSide);
        var map = ArticleExample.Convolve(image, Tensor.FromArray(weights, 1, 1, KernelSide, KernelSide));
        int outH = map.Shape[2], outW = map.Shape[3];

        // The window under each output and its products with the kernel, to show; the output
        // itself is the engine's (the tests check that the shown products add up to it).
        var sums = new ArticleSum[outH * outW];
        for (int oh = 0; oh < outH; oh++)
            for (int ow = 0; ow < outW; ow++)
            {
                var window = new float[KernelSide * KernelSide];
                var products = new float[window.Length];
                var terms = new string[window.Length];
                for (int i = 0; i < KernelSide; i++)
                    for (int j = 0; j < KernelSide; j++)
                    {
                        int t = i * KernelSide + j;
                        window[t] = pixels[(oh + i) * ImageSide + ow + j];
                        products[t] = window[t] * weights[t];
                        terms[t] = $"{Terminal.Number(window[t])}·{Factor(weights[t])}";
                    }
                float total = map[0, 0, oh, ow];
                sums[oh * outW + ow] = new ArticleSum(oh, ow, window, products, total, $"{string.Join(" + ", terms)} = {Terminal.Number(total)}");
            }
        return new ArticleConvolution(outH, outW, map.Span.ToArray(), sums, map.MaxAbs(), ArticleExample.RowsAreUniform(image));
    }

    /// <summary>How many windows read each pixel, counted by <see cref="CoverageGrid"/> as <c>convolve coverage</c> does.</summary>
    public static ArticleCoverage Coverage(ArticleCoverageRequest request)
    {
        int height = CoverageSide.Check(request.Height, "height");
        int width = CoverageSide.Check(request.Width, "width", height);
        int kernel = CoverageKernel.Check(request.Kernel, "kernel");
        int padding = CoveragePadding.Check(request.Padding, "padding", 0);
        int stride = CoverageStride.Check(request.Stride, "stride", 1);
        int fits = Math.Min(height, width) + 2 * padding;
        if (kernel > fits)
            throw ApiErrors.Bad($"kernel must be at most {fits} here (the padded image is {height + 2 * padding}x{width + 2 * padding}), got {kernel}: " +
                "no window would fit.");
        var grid = CoverageGrid.Compute(height, width, kernel, kernel, stride, padding);
        var counts = new long[height * width];
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++) counts[r * width + c] = grid[r, c];
        return new ArticleCoverage(height, width, kernel, padding, stride, grid.OutH, grid.OutW, (long)grid.OutH * grid.OutW, kernel * kernel,
            counts, grid.Min, grid.Max, grid.Sum, grid.Unused);
    }

    /// <summary>
    /// The parameter table of <c>convolve params</c>: a fully connected layer on the whole image, one
    /// filter, and all the filters, each count with its formula written out.
    /// </summary>
    public static ArticleParams Params(ArticleParamsRequest request)
    {
        var defaults = new ParamsCommand.Settings();
        int height = ParamsSide.Check(request.Height, "height", defaults.Height);
        int width = ParamsSide.Check(request.Width, "width", height);
        int channels = ParamsChannels.Check(request.Channels, "channels", defaults.Channels);
        int hidden = ParamsHidden.Check(request.Hidden, "hidden", defaults.Hidden);
        int filters = ParamsFilters.Check(request.Filters, "filters", defaults.Filters);
        int kernel = ParamsKernel.Check(request.Kernel, "kernel", defaults.Kernel);

        var dense = ParameterCounts.DenseOnImage(height, width, channels, hidden);
        var one = ParameterCounts.Conv(channels, kernel, kernel, 1);
        var conv = ParameterCounts.Conv(channels, kernel, kernel, filters);
        long inputs = (long)height * width * channels;
        string image = $"{height}·{width}·{channels}", filter = $"{kernel}·{kernel}·{channels}";
        ArticleParamsRow[] rows =
        [
            new($"Fully connected: {height}x{width}x{channels} = {Terminal.Count(inputs)} inputs x {Terminal.Plural(hidden, "unit")}", "dense",
                dense.Weights, dense.Biases, dense.Total,
                $"{image}·{hidden} = {Terminal.Count(dense.Weights)}", $"({image} + 1)·{hidden} = {Terminal.Count(dense.Total)}"),
            new($"Convolution: one {kernel}x{kernel}x{channels} filter", "filter",
                one.Weights, one.Biases, one.Total,
                $"{filter} = {Terminal.Count(one.Weights)}", $"({filter} + 1)·1 = {Terminal.Count(one.Total)}"),
            new($"Convolution: {Terminal.Plural(filters, "filter")} of {kernel}x{kernel}x{channels}", "conv",
                conv.Weights, conv.Biases, conv.Total,
                $"{filter}·{filters} = {Terminal.Count(conv.Weights)}", $"({filter} + 1)·{filters} = {Terminal.Count(conv.Total)}"),
        ];
        return new ArticleParams(height, width, channels, hidden, filters, kernel, rows, ParamsCommand.Ratio(dense.Total, conv.Total));
    }

    private static string Factor(float weight) => weight < 0 ? $"({Terminal.Number(weight)})" : Terminal.Number(weight);

    private static string List(IEnumerable<float> values) => string.Join(", ", values.Select(v => Terminal.Number(v)));
}

/// <summary>The Article page's starting point: the article's image and kernels, its printed figures, and the controls' limits.</summary>
internal sealed record ArticleDefaults(
    int ImageSide, int KernelSide, int PixelMax, int KernelWeightMax,
    float[] Image, float[] Horizontal, float[] Vertical,
    float[] PrintedRows, float[]? PrintedRowsImage, string MapNote,
    ArticleCoverageDefaults Coverage, ArticleParamsDefaults Params, string ParameterNote);

/// <summary>The coverage controls' defaults (those of <c>convolve coverage</c>) and ranges.</summary>
internal sealed record ArticleCoverageDefaults(int Height, int Width, int Kernel, int Padding, int Stride,
    ArticleRange SideRange, ArticleRange KernelRange, ArticleRange PaddingRange, ArticleRange StrideRange);

/// <summary>The parameter controls' defaults (those of <c>convolve params</c>), ranges and the article's settings.</summary>
internal sealed record ArticleParamsDefaults(int Height, int Width, int Channels, int Hidden, int Filters, int Kernel,
    ArticleRange SideRange, ArticleRange ChannelsRange, ArticleRange HiddenRange, ArticleRange FiltersRange, ArticleRange KernelRange,
    ArticleParamsPreset[] Presets);

/// <summary>Settings of the parameter table the article talks about.</summary>
internal sealed record ArticleParamsPreset(string Name, int Height, int Width, int Channels, int Hidden, int Filters, int Kernel);

/// <summary>A feature map and how each of its values was summed.</summary>
/// <param name="Height">Rows of the map.</param>
/// <param name="Width">Columns of the map.</param>
/// <param name="Map">The map, row by row, as Conv2D computed it.</param>
/// <param name="Sums">One per map value, in the same order.</param>
/// <param name="Largest">The largest magnitude in the map.</param>
/// <param name="ImageRowsUniform">Whether every image row holds one value (then a vertical edge detector sees nothing).</param>
internal sealed record ArticleConvolution(int Height, int Width, float[] Map, ArticleSum[] Sums, float Largest, bool ImageRowsUniform);

/// <summary>One output of the convolution worked out.</summary>
/// <param name="Row">Output row, which is also the window's top image row.</param>
/// <param name="Column">Output column, which is also the window's left image column.</param>
/// <param name="Window">The 9 pixels under the kernel, row by row.</param>
/// <param name="Products">Each pixel times its kernel weight.</param>
/// <param name="Total">The output value (the engine's).</param>
/// <param name="Text">The sum written out, such as "255·1 + ... = 765".</param>
internal sealed record ArticleSum(int Row, int Column, float[] Window, float[] Products, float Total, string Text);

/// <summary>A coverage grid: how many (window, tap) pairs read each pixel.</summary>
internal sealed record ArticleCoverage(int Height, int Width, int Kernel, int Padding, int Stride, int OutHeight, int OutWidth,
    long Windows, int Taps, long[] Counts, long Min, long Max, long Sum, long Unused);

/// <summary>The parameter table for one set of sizes.</summary>
internal sealed record ArticleParams(int Height, int Width, int Channels, int Hidden, int Filters, int Kernel, ArticleParamsRow[] Rows, string Ratio);

/// <summary>One layer of the parameter table.</summary>
/// <param name="Layer">What the layer is.</param>
/// <param name="Kind">"dense", "filter" (one filter) or "conv" (all filters).</param>
/// <param name="Weights">Its weights.</param>
/// <param name="Biases">Its biases.</param>
/// <param name="Total">Weights plus biases.</param>
/// <param name="WeightsFormula">The weight count worked out.</param>
/// <param name="TotalFormula">The total worked out.</param>
internal sealed record ArticleParamsRow(string Layer, string Kind, long Weights, long Biases, long Total, string WeightsFormula, string TotalFormula);
