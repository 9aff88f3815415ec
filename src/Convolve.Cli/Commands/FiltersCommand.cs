using System.CommandLine;
using Convolve.Analysis;
using Convolve.Cli.Pictures;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>convolve filters MODEL</c>: the first convolution's learned filters as a PNG grid, so one can
/// see whether they have become edge and stroke detectors.
/// </summary>
internal static class FiltersCommand
{
    /// <summary>Pixels per filter weight in the picture.</summary>
    public const int TargetTileSize = 60;

    /// <summary>
    /// Kernel <paramref name="index"/> (filter x input channel) of row-major weights [K, C, kH, kW]
    /// as a kH x kW grid, for drawing.
    /// </summary>
    internal static float[,] KernelGrid(ReadOnlySpan<float> weights, int index, int kH, int kW)
    {
        var grid = new float[kH, kW];
        var kernel = weights.Slice(index * kH * kW, kH * kW);
        for (int y = 0; y < kH; y++)
            for (int x = 0; x < kW; x++) grid[y, x] = kernel[y * kW + x];
        return grid;
    }

    public static Command Create(Terminal terminal)
    {
        var model = new Argument<string>("model") { Description = "A saved model (.cvm), e.g. from 'convolve train'." };
        var output = new Option<string?>("--out") { Description = "The PNG to write (default: <model>-filters.png)." };
        var shared = new Option<bool>("--shared-scale")
        {
            Description = "One colour scale for all filters (compare strengths); by default each filter is scaled to its own largest weight (see its pattern).",
        };
        var columns = OptionFactory.Int("--columns", "Filters per row.", 8);
        var command = new Command("filters", "Draw the learned first-layer filters of a saved model as a PNG grid (red positive, blue negative).")
        {
            model, output, shared, columns,
        };
        command.SetAction(result => Run(terminal, result.GetValue(model)!, result.GetValue(output), result.GetValue(shared), result.GetValue(columns)));
        return command;
    }

    internal static int Run(Terminal terminal, string modelPath, string? output, bool sharedScale, int columns)
    {
        string path = output ?? Path.GetFileNameWithoutExtension(modelPath) + "-filters.png";
        OutputPaths.CheckFile("--out", path, example: "filters.png");
        var net = ModelInput.LoadModel(modelPath);
        var conv = LayerOutputs.FirstConvolution(net)
            ?? throw new ArgumentException($"{modelPath}: the model has no convolution layer, so it has no filters to draw " +
                $"(layers: {string.Join(", ", net.Layers)}).");
        var weight = conv.Weight.Value; // [K, C, kH, kW]
        int k = weight.Shape[0], c = weight.Shape[1], kH = weight.Shape[2], kW = weight.Shape[3];
        var tiles = new List<MapTile>();
        var fits = new List<EdgeFit>();
        for (int f = 0; f < k; f++)
            for (int ch = 0; ch < c; ch++)
            {
                var values = KernelGrid(weight.Span, f * c + ch, kH, kW);
                var fit = EdgeFit.Of(weight.Span.Slice((f * c + ch) * kH * kW, kH * kW), kH, kW);
                fits.Add(fit);
                tiles.Add(new MapTile(values, (c == 1 ? $"{f}" : $"{f}.{ch}") + Symbol(fit.Orientation)));
            }
        int zoom = Math.Max(1, TargetTileSize / Math.Max(kH, kW));
        string title = $"{conv.Name} {conv}: {Terminal.Plural(k, "filter")} {kH}x{kW}" + (c > 1 ? $" x {c} channels" : "") +
            (sharedScale ? "" : ", each scaled to its own largest |weight|");
        var section = new MapSection(title, tiles, sharedScale ? SignedScale.For(weight.Span.ToArray()) : null,
            zoom, c == 1 ? columns : c * Math.Max(1, columns / c));
        MapGrid.Write(path, [section]);
        terminal.Text($"{conv.Name} {conv}: {Terminal.Plural(k, "filter")} of {kH}x{kW}{(c > 1 ? $" over {c} channels" : "")}, " +
            $"weights in [{Terminal.Number(Math.Round(weight.Span.ToArray().Min(), 3))}, {Terminal.Number(Math.Round(weight.Span.ToArray().Max(), 3))}].");
        terminal.Text("Red is a positive weight, blue a negative one, white zero. A filter with a red side and a blue side responds to an edge between them.");
        var edgeLike = fits.Where(f => f.IsEdgeLike).ToList();
        terminal.Text($"{edgeLike.Count} of {Terminal.Plural(fits.Count, "filter")} {(edgeLike.Count == 1 ? "is" : "are")} edge-like " +
            $"(a plane explains at least {EdgeFit.EdgeLikeThreshold:P0} of their variation; " +
            $"marked under each filter with the edge's direction): " +
            string.Join(", ", Enum.GetValues<EdgeOrientation>().Skip(1)
                .Select(o => $"{edgeLike.Count(f => f.Orientation == o)} {o.ToString().ToLowerInvariant()}{Symbol(o)}")) + ".");
        terminal.Text($"To see what they do to an image: convolve features {modelPath}");
        terminal.Text($"Picture written: {path}");
        return ConvolveApp.Success;
    }

    private static string Symbol(EdgeOrientation orientation) => orientation switch
    {
        EdgeOrientation.Horizontal => " -",
        EdgeOrientation.Rising => " /",
        EdgeOrientation.Vertical => " |",
        EdgeOrientation.Falling => " \\",
        _ => "",
    };
}
