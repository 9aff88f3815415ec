using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;

namespace Convolve.PeerBench;

/// <summary>The benchmark's constants: what every engine trains and infers on.</summary>
public static class Workload
{
    public const int BatchSize = 64;
    public const int Classes = 10;
    public const int Channels = 1, Height = 28, Width = 28;
    public const int ImageSize = Channels * Height * Width;
    public const float LearningRate = 0.01f;
    public const float Momentum = 0.9f;
    public const int Seed = 1;

    /// <summary>The three models of issue 5, by their names in <c>Convolve.Models.Architectures</c>.</summary>
    public static readonly string[] Models = ["seed", "lenet5", "mnist-cnn"];

    /// <summary>
    /// The model as the Convolve worker builds it (same layers, same seed), without a trailing
    /// softmax: the network up to the logits, which is what the Convolve worker times with
    /// <c>ForwardLogits</c> and what the other engines' models compute. This is what ONNX Runtime runs.
    /// </summary>
    public static Sequential LogitsModel(string name)
    {
        var architecture = Architectures.Get(name);
        var layers = architecture.Create(architecture.InputShape[0], architecture.DefaultClasses).Layers;
        var model = new Sequential(layers[^1] is Softmax ? layers.Take(layers.Count - 1) : layers);
        model.Build(architecture.InputShape, Seed);
        return model;
    }

    /// <summary>
    /// The one batch every engine uses: the first 64 training images of the digits embedded in
    /// Convolve (values in [0, 1]), as [64, 1, 28, 28] row-major floats, and their labels.
    /// </summary>
    public static (float[] Images, int[] Labels) Batch()
    {
        var train = Datasets.LoadDigits().Train;
        var images = train.Images.Slice(0, BatchSize).ToArray();
        var labels = train.Labels.AsSpan(0, BatchSize).ToArray();
        return (images, labels);
    }

    /// <summary>
    /// Writes <see cref="Batch"/> for the workers: 64x784 float32 then 64 int32, little-endian.
    /// Workers read this file rather than the data set, so every engine, Python's too, sees the
    /// same bytes and no worker's peak memory includes the 20,000 embedded digits.
    /// </summary>
    public static void WriteBatchFile(string path)
    {
        var (images, labels) = Batch();
        using var file = File.Create(path);
        file.Write(MemoryMarshal.AsBytes(images.AsSpan()));
        file.Write(MemoryMarshal.AsBytes(labels.AsSpan()));
    }

    /// <summary>Reads what <see cref="WriteBatchFile"/> wrote.</summary>
    public static (float[] Images, int[] Labels) ReadBatchFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int imageBytes = BatchSize * ImageSize * sizeof(float);
        if (bytes.Length != imageBytes + BatchSize * sizeof(int))
            throw new InvalidDataException($"{path}: expected {imageBytes + BatchSize * sizeof(int)} bytes (64 images and 64 labels), got {bytes.Length}.");
        return (MemoryMarshal.Cast<byte, float>(bytes.AsSpan(0, imageBytes)).ToArray(), MemoryMarshal.Cast<byte, int>(bytes.AsSpan(imageBytes)).ToArray());
    }
}

/// <summary>
/// Times a step: warm-up first (at least 3 steps and <c>max(<see cref="WarmupSeconds"/>, seconds / 2)</c>,
/// so that .NET's tiered JIT has replaced its first, unoptimised code with the tier-1 code, which
/// takes 2-3 s of steady calls here, and every engine's caches are in place), then <see cref="Windows"/> windows of
/// <c>seconds / Windows</c> each; the figure is the median window's rate, which a short burst of
/// load from another process moves less than a mean would.
/// </summary>
public static class Stopwatches
{
    public const int Windows = 5;

    /// <summary>The shortest warm-up (seconds); the same for every engine, the Python worker included.</summary>
    public const double WarmupSeconds = 3;

    public static double ImagesPerSecond(Action step, int imagesPerStep, double seconds)
    {
        var clock = Stopwatch.StartNew();
        for (int steps = 0; steps < 3 || clock.Elapsed.TotalSeconds < Math.Max(WarmupSeconds, seconds / 2); steps++) step();
        var rates = new double[Windows];
        for (int w = 0; w < Windows; w++)
        {
            int steps = 0;
            clock.Restart();
            do { step(); steps++; } while (clock.Elapsed.TotalSeconds < seconds / Windows);
            rates[w] = steps * (double)imagesPerStep / clock.Elapsed.TotalSeconds;
        }
        Array.Sort(rates);
        return rates[Windows / 2];
    }
}

/// <summary>Resident memory of this process from <c>/proc/self/status</c>, in KiB (0 where there is no /proc).</summary>
public static class Memory
{
    /// <summary>Peak resident set size (VmHWM) so far.</summary>
    public static long PeakKiB() => Read("VmHWM:");

    /// <summary>Current resident set size (VmRSS).</summary>
    public static long CurrentKiB() => Read("VmRSS:");

    private static long Read(string key)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return 0;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0]);
        return 0;
    }
}

/// <summary>
/// What one worker process measured. A worker prints it as one line starting with
/// <see cref="Prefix"/>; the Python worker prints the same JSON.
/// </summary>
public sealed record WorkerResult
{
    public const string Prefix = "PEERBENCH-RESULT ";

    public required string Engine { get; init; }
    public required string Model { get; init; }
    public required string Mode { get; init; }
    public required int Threads { get; init; }
    /// <summary>Training images per second at batch 64 (mode "train").</summary>
    public double? Train { get; init; }
    /// <summary>Inference images per second at batch 64 (mode "infer").</summary>
    public double? Infer64 { get; init; }
    /// <summary>Inference images per second at batch 1 (mode "infer").</summary>
    public double? Infer1 { get; init; }
    /// <summary>Peak resident memory of the whole process (VmHWM), KiB.</summary>
    public long PeakKiB { get; init; }
    /// <summary>Resident memory once the engine was loaded and the data read, before the model was made, KiB.</summary>
    public long StartKiB { get; init; }
    /// <summary>Free text: the engine's version, thread setting as seen from inside.</summary>
    public string? Note { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToLine() => Prefix + JsonSerializer.Serialize(this, Json);

    public static WorkerResult? TryParse(string line) =>
        line.StartsWith(Prefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize<WorkerResult>(line[Prefix.Length..], Json) : null;
}
