using Convolve.Models;
using System.CommandLine;
using Convolve.Analysis;
using Convolve.Cli.Pictures;
using Convolve.Data;
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
        var model = new Argument<string>("model") { Description = "A saved model (.cvm), e.g. from 'convolve train'." };
        var image = new Argument<string?>("image") { Description = "An image file (PNG, JPEG, ...); without it, --index picks a test image of --data.", Arity = ArgumentArity.ZeroOrOne };
        var index = OptionFactory.Int("--index", "Which test image of --data to use when no IMAGE is given.", 0, min: 0);
        var data = new Option<string>("--data") { Description = DataOption.Help, DefaultValueFactory = _ => Datasets.Digits };
        var output = new Option<string?>("--out") { Description = "The PNG to write (default: <model>-features.png)." };
        var maxMaps = OptionFactory.Int("--max-maps", "Draw at most this many maps per layer.", 32);
        var command = new Command("features", "Draw the feature maps of every layer of a saved model for one image as a PNG.")
        {
            model, image, index, data, output, maxMaps,
        };
        command.SetAction(result => Run(terminal, result.GetValue(model)!, result.GetValue(image), result.GetValue(index),
            result.GetValue(data)!, result.GetValue(output), result.GetValue(maxMaps)));
        return command;
    }

    internal static int Run(Terminal terminal, string modelPath, string? imagePath, int index, string data, string? output, int maxMaps)
    {
        string path = output ?? Path.GetFileNameWithoutExtension(modelPath) + "-features.png";
        OutputPaths.CheckFile("--out", path, example: "features.png");
        var net = ModelInput.LoadModel(modelPath);
        // Prepared as the model file says (scale, normalisation), as predict does.
        PreparationReport? report = null;
        Tensor input;
        string? label = null;
        string source;
        if (imagePath is not null)
        {
            (input, report) = ModelInput.FromFile(imagePath, net);
            source = imagePath;
        }
        else (input, label, source) = FromTestSet(data, index, net, terminal);
        var outputs = LayerOutputs.Collect(net as Sequential
            ?? throw new NotSupportedException($"{modelPath}: features draws Sequential models; this is a {net.GetType().Name}."), input);

        var sections = new List<MapSection>
        {
            Section($"input: {source}{(label is null ? "" : $" (class {label})")}, {net.InputShape.ToImageString()}",
                input.Reshape(net.InputShape), maxMaps, new GrayScale(0, Math.Max(1, input.Span.ToArray().Max()))),
        };
        var table = terminal.Table("Layer", "Output", ">Min", ">Max", "Drawn");
        foreach (var layer in outputs)
        {
            var values = layer.Output.Span.ToArray();
            bool drawn = layer.IsMaps;
            table.AddRow(Spectre.Console.Markup.Escape($"{layer.Name} {layer.Description}"), Spectre.Console.Markup.Escape(layer.Output.Shape.ToString()),
                Terminal.Number(Math.Round(values.Min(), 3)), Terminal.Number(Math.Round(values.Max(), 3)), drawn ? "yes" : "no (no maps)");
            if (!drawn) continue;
            int c = layer.Output.Shape[0];
            sections.Add(Section($"{layer.Name} {layer.Description}: {Terminal.Plural(c, "map")} {layer.Output.Shape[1]}x{layer.Output.Shape[2]}" +
                (c > maxMaps ? $" (first {maxMaps} drawn)" : ""), layer.Output, maxMaps, SignedScale.For(values)));
        }
        terminal.Write(table);

        var last = outputs[^1].Output;
        if (last.Shape.Rank == 1 && last.Length > 1)
        {
            var scores = last.Span.ToArray();
            var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(3);
            terminal.Text($"Output of the last layer ({outputs[^1].Description}), largest first: " +
                string.Join(", ", order.Select(i => $"{i}: {Terminal.Number(Math.Round(scores[i], 3))}")) + (label is null ? "" : $"; the true class is {label}."));
        }
        if (report is { Notes.Count: > 0 }) terminal.Text($"Note: {imagePath}: {string.Join("; ", report.Notes)}.");
        MapGrid.Write(path, sections);
        terminal.Text("Each layer has one colour scale: red positive, blue negative, white zero.");
        terminal.Text($"Picture written: {path}");
        return ConvolveApp.Success;
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
