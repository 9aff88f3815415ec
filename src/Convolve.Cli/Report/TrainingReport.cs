using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Convolve.Analysis;
using Convolve.Cli.Pictures;
using Convolve.Data;
using Convolve.Models;
using Convolve.Training;
using SkiaSharp;

namespace Convolve.Cli.Report;

/// <summary>One test image the model got wrong, with how sure it was.</summary>
/// <param name="Index">Position in the test set.</param>
/// <param name="Label">The true class.</param>
/// <param name="Predicted">The class the model chose.</param>
/// <param name="Top">The three most probable classes, most probable first.</param>
/// <param name="Png">The image, as PNG bytes.</param>
internal sealed record Mistake(int Index, int Label, int Predicted, IReadOnlyList<(int Class, double Probability)> Top, byte[] Png)
{
    /// <summary>The probability given to the (wrong) predicted class.</summary>
    public double Confidence => Top[0].Probability;
}

/// <summary>What the machine is: operating system, CPU, cores and the vector width the kernels use.</summary>
internal sealed record MachineInfo(string OperatingSystem, string Cpu, int Cores, string Simd)
{
    /// <summary>This machine, as this process sees it.</summary>
    public static MachineInfo Current() => new(RuntimeInformation.OSDescription, CpuName(), Environment.ProcessorCount, SimdInUse());

    // The kernels pick the widest accelerated vector, so this is the width they run at.
    private static string SimdInUse() =>
        Vector512.IsHardwareAccelerated ? "AVX-512 (Vector512, 16 floats per vector)"
        : Vector256.IsHardwareAccelerated ? "AVX2 (Vector256, 8 floats per vector)"
        : Vector128.IsHardwareAccelerated ? $"{(IsArm64 ? "AdvSimd" : "SSE")} (Vector128, 4 floats per vector)"
        : "no hardware vectors (plain loops)";

    private static bool IsArm64 => RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64;

    private static string CpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and >= 0)
                        return line[(colon + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}

/// <summary>
/// Everything <c>convolve train --report</c> shows, computed once the run has finished:
/// the run's settings and machine, the per-epoch history, the test set's confusion matrix, the
/// first-layer filters and the worst mistakes. <see cref="ReportHtml"/> draws it.
/// </summary>
internal sealed class TrainingReport
{
    /// <summary>How many of the most confident mistakes the report shows.</summary>
    public const int WorstMistakes = 16;

    /// <summary>The command line as typed.</summary>
    public required string CommandLine { get; init; }

    /// <summary>The architecture's name and its parameter count.</summary>
    public required string Architecture { get; init; }

    /// <summary>Parameters of the model.</summary>
    public required long Parameters { get; init; }

    /// <summary>The run's seed.</summary>
    public required int Seed { get; init; }

    /// <summary>The <c>--data</c> value.</summary>
    public required string DataName { get; init; }

    /// <summary>SHA-256 of the data as loaded, in lower-case hex (see <see cref="HashData"/>).</summary>
    public required string DataSha256 { get; init; }

    /// <summary>Images trained on, held out for validation and tested on.</summary>
    public required (int Train, int Validation, int Test) Counts { get; init; }

    /// <summary>The class names, in label order.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Where the run ran.</summary>
    public required MachineInfo Machine { get; init; }

    /// <summary>Loss and accuracy per epoch.</summary>
    public required IReadOnlyList<EpochRecord> History { get; init; }

    /// <summary>Training images per second over the epochs run (including the optimisation steps).</summary>
    public required double ImagesPerSecond { get; init; }

    /// <summary>Test-set counts: [true class, predicted class].</summary>
    public required int[,] Confusion { get; init; }

    /// <summary>The first convolution's filters as a PNG, or null when the model has none.</summary>
    public required byte[]? FiltersPng { get; init; }

    /// <summary>A caption for <see cref="FiltersPng"/>.</summary>
    public required string FiltersCaption { get; init; }

    /// <summary>The first-layer filters before training (epoch 0) and after each epoch recorded, one PNG strip each.</summary>
    public required IReadOnlyList<(int Epoch, byte[] Png)> FilterHistory { get; init; }

    /// <summary>What the per-epoch filters show, or why there are none.</summary>
    public required string FilterHistoryCaption { get; init; }

    /// <summary>The epoch time predicted before training; null when none was made (see <see cref="PredictionNote"/>).</summary>
    public required EpochTimePrediction? Prediction { get; init; }

    /// <summary>Why there is no prediction, when there is none.</summary>
    public required string PredictionNote { get; init; }

    /// <summary>The most confident mistakes on the test set, most confident first.</summary>
    public required IReadOnlyList<Mistake> Mistakes { get; init; }

    /// <summary>Test images classified correctly (the confusion matrix's diagonal).</summary>
    public int Correct => Enumerable.Range(0, ClassNames.Count).Sum(c => Confusion[c, c]);

    /// <summary>Precision of <paramref name="c"/>: right among those predicted as it; null when none were.</summary>
    public double? Precision(int c)
    {
        int predicted = Enumerable.Range(0, ClassNames.Count).Sum(t => Confusion[t, c]);
        return predicted == 0 ? null : (double)Confusion[c, c] / predicted;
    }

    /// <summary>Recall of <paramref name="c"/>: found among the images of it; null when the test set has none.</summary>
    public double? Recall(int c)
    {
        int actual = Enumerable.Range(0, ClassNames.Count).Sum(p => Confusion[c, p]);
        return actual == 0 ? null : (double)Confusion[c, c] / actual;
    }

    /// <summary>
    /// The report of a finished run: evaluates the session's model on <paramref name="test"/>
    /// (probabilities for the worst mistakes) and draws the pictures; <paramref name="log"/> gives
    /// the filters after each epoch and the predicted epoch time.
    /// </summary>
    public static TrainingReport Build(string commandLine, string architecture, string dataName, DatasetSplits loaded,
        TrainingSession session, ImageDataset train, ImageDataset? validation, ImageDataset test, ReportLog log)
    {
        var model = session.Model;
        var (confusion, mistakes) = Evaluate(model, test);
        var history = session.History;
        double seconds = history.Sum(r => r.Seconds);
        var (filters, caption) = Filters(model);
        return new TrainingReport
        {
            CommandLine = commandLine,
            Architecture = architecture,
            Parameters = model.Summarize().TotalParameters,
            Seed = session.Options.Seed,
            DataName = dataName,
            DataSha256 = HashData(loaded),
            Counts = (train.Count, validation?.Count ?? 0, test.Count),
            ClassNames = test.ClassNames,
            Machine = MachineInfo.Current(),
            History = history,
            ImagesPerSecond = seconds > 0 ? (double)train.Count * history.Count / seconds : 0,
            Confusion = confusion,
            FiltersPng = filters,
            FiltersCaption = caption,
            FilterHistory = [.. log.Filters.Select(f => (f.Epoch, FilterStrip(f)))],
            FilterHistoryCaption = DescribeFilterHistory(log.Filters, history.Count, filters is not null),
            Prediction = log.Prediction,
            PredictionNote = log.Prediction is not null ? ""
                : "no prediction: this run was not calibrated (the checkpoint holds none; 'convolve train --report' predicts the epoch time).",
            Mistakes = mistakes,
        };
    }

    /// <summary>Writes the report to <paramref name="path"/> through a temporary file.</summary>
    public void Write(string path) => Serialization.AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(ReportHtml.Render(this)));

    /// <summary>
    /// SHA-256 of the data as loaded: the training set's pixels (float32) and labels (int32), then
    /// the test set's, each in the machine's byte order (little-endian on every platform .NET runs on).
    /// </summary>
    public static string HashData(DatasetSplits loaded)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var set in new[] { loaded.Train, loaded.Test })
        {
            hash.AppendData(MemoryMarshal.AsBytes(set.Images.Span));
            hash.AppendData(MemoryMarshal.AsBytes(set.Labels.AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // The confusion matrix and the most confident mistakes, from one pass over the test set.
    private static (int[,] Confusion, IReadOnlyList<Mistake> Mistakes) Evaluate(Model model, ImageDataset test)
    {
        int classes = test.ClassCount, batchSize = 256;
        var confusion = new int[classes, classes];
        var wrong = new List<(int Index, int Label, int Predicted, (int Class, double Probability)[] Top)>();
        var loader = new DataLoader(test, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });
        var probabilities = new double[classes];
        foreach (var batch in loader.Epoch(0))
        {
            var logits = model.ForwardLogits(batch.Images, training: false);
            int width = logits.Shape[1];
            for (int i = 0; i < batch.Count; i++)
            {
                var row = logits.Span.Slice(i * width, width);
                Softmax(row, probabilities);
                int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row), label = batch.Labels[i];
                confusion[label, predicted]++;
                if (predicted != label)
                    wrong.Add((batch.Index * batchSize + i, label, predicted,
                        [.. probabilities.Select((p, c) => (c, p)).OrderByDescending(t => t.p).Take(3)]));
            }
        }
        var worst = wrong.OrderByDescending(w => w.Top[0].Probability).ThenBy(w => w.Index).Take(WorstMistakes)
            .Select(w => new Mistake(w.Index, w.Label, w.Predicted, w.Top, ImagePng(test, w.Index))).ToList();
        return (confusion, worst);
    }

    private static void Softmax(ReadOnlySpan<float> logits, double[] probabilities)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (float v in logits) max = Math.Max(max, v);
        for (int c = 0; c < logits.Length; c++) sum += probabilities[c] = Math.Exp(logits[c] - max);
        for (int c = 0; c < logits.Length; c++) probabilities[c] /= sum;
    }

    // One image of the data set as a PNG, its values stretched to black..white (gray or RGB).
    private static byte[] ImagePng(ImageDataset data, int index)
    {
        var shape = data.ImageShape; // [C, H, W]
        int channels = shape[0], height = shape[1], width = shape[2], size = channels * height * width;
        float[] values = data.Images.Span.Slice(index * size, size).ToArray();
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        float range = max > min ? max - min : 1;
        byte Level(int c, int y, int x) => (byte)Math.Clamp((int)Math.Round((values[(c * height + y) * width + x] - min) / range * 255), 0, 255);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, channels >= 3
                    ? new SKColor(Level(0, y, x), Level(1, y, x), Level(2, y, x))
                    : new SKColor(Level(0, y, x), Level(0, y, x), Level(0, y, x)));
        return Encode(bitmap);
    }

    // The first convolution's filters, drawn as `convolve filters` draws them (each to its own scale).
    private static (byte[]? Png, string Caption) Filters(Model model)
    {
        var conv = LayerOutputs.FirstConvolution(model);
        if (conv is null) return (null, "The model has no convolution layer, so it has no filters to draw.");
        var weight = conv.Weight.Value; // [K, C, kH, kW]
        int k = weight.Shape[0], c = weight.Shape[1], kH = weight.Shape[2], kW = weight.Shape[3];
        var tiles = new List<MapTile>();
        for (int f = 0; f < k; f++)
            for (int ch = 0; ch < c; ch++)
            {
                tiles.Add(new MapTile(Commands.FiltersCommand.KernelGrid(weight.Span, f * c + ch, kH, kW), c == 1 ? $"{f}" : $"{f}.{ch}"));
            }
        int zoom = Math.Max(1, Commands.FiltersCommand.TargetTileSize / Math.Max(kH, kW));
        string title = $"{conv.Name} {conv}: {Terminal.Plural(k, "filter")} {kH}x{kW}" + (c > 1 ? $" x {c} channels" : "") +
            ", each scaled to its own largest |weight|";
        using var bitmap = MapGrid.Render([new MapSection(title, tiles, null, zoom, c == 1 ? 8 : c * Math.Max(1, 8 / c))]);
        return (Encode(bitmap), title + ". Red is a positive weight, blue a negative one, white zero.");
    }

    /// <summary>Tiles of the filter strips, at most this many to a line.</summary>
    public const int StripColumns = 32;

    /// <summary>Pixels between the tiles of a filter strip (and around them).</summary>
    public const int StripGap = 3;

    /// <summary>Pixels per weight in a filter strip: tiles about 21 pixels wide, each weight at least 2x2 pixels.</summary>
    public static int StripZoom(int kH, int kW) => Math.Max(2, 21 / Math.Max(kH, kW));

    // One epoch's filters as a strip of small tiles, each filter (and input channel) scaled to its
    // own largest |weight| as `convolve filters` draws them: the shape is what changes from epoch to epoch.
    private static byte[] FilterStrip(FilterSnapshot s)
    {
        int k = s.Shape[0], c = s.Shape[1], kH = s.Shape[2], kW = s.Shape[3], tiles = k * c;
        const int gap = StripGap;
        int zoom = StripZoom(kH, kW), tileW = kW * zoom, tileH = kH * zoom;
        int columns = Math.Min(StripColumns, tiles), rows = (tiles + StripColumns - 1) / StripColumns;
        using var bitmap = new SKBitmap(new SKImageInfo(columns * (tileW + gap) + gap, rows * (tileH + gap) + gap, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
        for (int t = 0; t < tiles; t++)
        {
            var values = Commands.FiltersCommand.KernelGrid(s.Weights, t, kH, kW);
            var scale = DivergingScale.For(values);
            int x0 = gap + t % StripColumns * (tileW + gap), y0 = gap + t / StripColumns * (tileH + gap);
            for (int y = 0; y < kH; y++)
                for (int x = 0; x < kW; x++)
                {
                    fill.Color = scale.Map(values[y, x]);
                    canvas.DrawRect(x0 + x * zoom, y0 + y * zoom, zoom, zoom, fill);
                }
        }
        canvas.Flush();
        return Encode(bitmap);
    }

    private static string DescribeFilterHistory(IReadOnlyList<FilterSnapshot> filters, int epochs, bool hasConvolution)
    {
        if (!hasConvolution) return "The model has no convolution layer, so it has no filters to follow.";
        if (filters.Count == 0)
            return "This checkpoint holds no filters from earlier epochs (it was written by a version of convolve that did not record them), " +
                "so only the last epoch's filters are shown, below.";
        var s = filters[0].Shape;
        string what = $"The first convolution's {Terminal.Plural(s[0], "filter")} ({s[2]}x{s[3]}" + (s[1] > 1 ? $" x {s[1]} channels, one tile each" : "") +
            "), one row per epoch, each filter scaled to its own largest |weight|: red positive, blue negative, white zero. " +
            "Read a column downwards to watch one filter change as it learns.";
        int missing = Enumerable.Range(1, epochs).Count(e => filters.All(f => f.Epoch != e));
        if (missing > 0)
            what += $" {Terminal.Plural(missing, "epoch")} of this run left no filters (trained by a version of convolve that did not record them).";
        return what;
    }

    private static byte[] Encode(SKBitmap bitmap)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"the report's picture could not be encoded as PNG ({bitmap.Width}x{bitmap.Height} pixels).");
        return data.ToArray();
    }
}
