using System.CommandLine;
using Convolve.Analysis;
using Convolve.Cli.Pictures;
using Convolve.Data;
using Convolve.Models;
using Convolve.Tensors;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>convolve features MODEL [IMAGE]</c>: what every layer with maps (convolution, activation,
/// pooling) makes of one image, as a PNG, and the model's prediction for it.
/// </summary>
internal static class FeaturesCommand
{
    /// <summary>About how many pixels across each feature map is drawn.</summary>
    public const int TargetTileSize = 78;

    public static Command Create(Terminal terminal)
    {
        var options = new OptionBinder<Settings>()
            .Argument(s => s.Model, "model", "A saved model (.cvm), e.g. from 'convolve train'.")
            .Argument(s => s.Image, "image", "An image file (PNG, JPEG, ...); without it, --index picks a test image of --data.", ArgumentArity.ZeroOrOne)
            .Option(s => s.Index, "--index", "Which test image of --data to use when no IMAGE is given.", min: 0)
            .Option(s => s.Data, "--data", DataOption.Help)
            .Option(s => s.Output, "--out", "The PNG to write (default: <model>-features.png).")
            .Option(s => s.MaxMaps, "--max-maps", "Draw at most this many maps per layer.");
        var command = options.CreateCommand("features", "Draw the feature maps of every layer of a saved model for one image as a PNG.");
        command.SetAction(result => Run(terminal, options.Read(result)));
        return command;
    }

    internal sealed record Settings
    {
        /// <summary>The model file.</summary>
        public string Model { get; init; } = "";
        /// <summary>An image file; null for test image <see cref="Index"/> of <see cref="Data"/>.</summary>
        public string? Image { get; init; }
        public int Index { get; init; }
        public string Data { get; init; } = Datasets.Digits;
        /// <summary>The PNG to write; null for &lt;model&gt;-features.png.</summary>
        public string? Output { get; init; }
        public int MaxMaps { get; init; } = 32;
    }

    internal static int Run(Terminal terminal, Settings s)
    {
        string path = s.Output ?? Path.GetFileNameWithoutExtension(s.Model) + "-features.png";
        OutputPaths.CheckFile("--out", path, example: "features.png");
        var net = ModelInput.LoadModel(s.Model);
        // Prepared as the model file says (scale, normalisation), as predict does.
        PreparationReport? report = null;
        Tensor input;
        string? label = null;
        string source;
        if (s.Image is not null)
        {
            (input, report) = ModelInput.FromFile(s.Image, net);
            source = s.Image;
        }
        else (input, label, source) = FromTestSet(s.Data, s.Index, net, terminal);
        var outputs = LayerOutputs.Collect(net as Sequential
            ?? throw new NotSupportedException($"{s.Model}: features draws Sequential models; this is a {net.GetType().Name}."), input);

        var sections = new List<MapSection>
        {
            Section($"input: {source}{(label is null ? "" : $" (class {label})")}, {net.InputShape.ToImageString()}",
                input.Reshape(net.InputShape), s.MaxMaps, new GrayScale(0, Math.Max(1, input.Span.ToArray().Max()))),
        };
        sections.AddRange(LayerSections(terminal, outputs, s.MaxMaps));
        PrintLastLayer(terminal, outputs[^1], label);
        if (report is { Notes.Count: > 0 }) terminal.Text($"Note: {s.Image}: {string.Join("; ", report.Notes)}.");
        MapGrid.Write(path, sections);
        terminal.Text("Each layer has one colour scale: red positive, blue negative, white zero.");
        terminal.Text($"Picture written: {path}");
        return ConvolveApp.Success;
    }

    // A table of every layer's output range, and a section of maps for each layer that has maps.
    private static List<MapSection> LayerSections(Terminal terminal, IReadOnlyList<LayerOutput> outputs, int maxMaps)
    {
        var sections = new List<MapSection>();
        var table = terminal.Table("Layer", "Output", ">Min", ">Max", "Drawn");
        foreach (var layer in outputs)
        {
            var values = layer.Output.Span.ToArray();
            bool drawn = layer.IsMaps;
            table.AddRow(Markup.Escape($"{layer.Name} {layer.Description}"), Markup.Escape(layer.Output.Shape.ToString()),
                Terminal.Number(Math.Round(values.Min(), 3)), Terminal.Number(Math.Round(values.Max(), 3)), drawn ? "yes" : "no (no maps)");
            if (!drawn) continue;
            int c = layer.Output.Shape[0];
            sections.Add(Section($"{layer.Name} {layer.Description}: {Terminal.Plural(c, "map")} {layer.Output.Shape[1]}x{layer.Output.Shape[2]}" +
                (c > maxMaps ? $" (first {maxMaps} drawn)" : ""), layer.Output, maxMaps, SignedScale.For(values)));
        }
        terminal.Write(table);
        return sections;
    }

    // The three largest scores of a last layer that outputs a vector (the prediction), with the true class when known.
    private static void PrintLastLayer(Terminal terminal, LayerOutput lastLayer, string? label)
    {
        var last = lastLayer.Output;
        if (last.Shape.Rank != 1 || last.Length <= 1) return;
        var scores = last.Span.ToArray();
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(3);
        terminal.Text($"Output of the last layer ({lastLayer.Description}), largest first: " +
            string.Join(", ", order.Select(i => $"{i}: {Terminal.Number(Math.Round(scores[i], 3))}")) +
            (label is null ? "" : $"; the true class is {label}."));
    }

    private static (Tensor, string?, string) FromTestSet(string data, int index, Model model, Terminal terminal)
    {
        var (image, label) = ModelInput.FromTestSet(data, index, model, terminal);
        return (image, label, $"test image {index} of {data}");
    }

    /// <summary>A section with the maps of [C, H, W] <paramref name="maps"/> (at most <paramref name="maxMaps"/>).</summary>
    private static MapSection Section(string title, Tensor maps, int maxMaps, ColorScale scale)
    {
        int c = maps.Shape[0], h = maps.Shape[1], w = maps.Shape[2];
        var tiles = new List<MapTile>();
        for (int m = 0; m < Math.Min(c, maxMaps); m++)
        {
            var values = new float[h, w];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) values[y, x] = maps[(m * h + y) * w + x];
            tiles.Add(new MapTile(values, c > 1 ? $"{m}" : null));
        }
        int zoom = Math.Max(1, (int)Math.Round((double)TargetTileSize / Math.Max(h, w)));
        return new MapSection(title, tiles, scale, zoom, 8);
    }
}
