using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Convolve.Data;
using Convolve.Distributed;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Training.Diagnostics;

namespace Convolve.Training;

/// <summary>How a <see cref="TrainingSession"/> trains.</summary>
public sealed record TrainingOptions(int Epochs = 10, int BatchSize = 64, int Seed = 0, OptimizerSettings? Optimizer = null,
    Augmentation? Augmentation = null, ScheduleKind Schedule = ScheduleKind.Constant)
{
    /// <summary>The optimizer settings, SGD with <see cref="OptimizerSettings"/>'s defaults when none are given.</summary>
    public OptimizerSettings OptimizerOrDefault => Optimizer ?? new OptimizerSettings();
}

/// <summary>One row of a training history.</summary>
public sealed record EpochRecord(int Epoch, float TrainLoss, float TrainAccuracy, float? ValidationLoss, float? ValidationAccuracy, double Seconds);

/// <summary>
/// A training run that can stop and go on: epochs of <see cref="Trainer.TrainEpoch"/> over a
/// <see cref="DataLoader"/> whose order and augmentation depend only on (seed, epoch), a
/// history, and checkpoints that hold the model,
/// the optimizer's state, the position within the epoch and the layers' random state. A run
/// resumed from a checkpoint continues exactly as the uninterrupted run would have.
/// </summary>
public sealed class TrainingSession
{
    private const string Kind = "convolve-checkpoint";
    private EpochCursor cursor;
    private DataLoader? loader;
    private readonly List<EpochRecord> history = [];

    /// <summary>Starts a run for a built model.</summary>
    public TrainingSession(Model model, TrainingOptions options)
    {
        if (options.Epochs <= 0 || options.BatchSize <= 0)
            throw new ArgumentException($"TrainingSession: epochs and batch size must be positive, got {options.Epochs} and {options.BatchSize}.");
        Model = model;
        Options = options;
        Trainer = new Trainer(model, options.OptimizerOrDefault.Create(model.Parameters));
    }

    /// <summary>The model being trained (its weights change in place).</summary>
    public Model Model { get; }
    /// <summary>Epochs, batch size, optimizer, schedule and seed of this run.</summary>
    public TrainingOptions Options { get; private set; }
    /// <summary>The trainer that takes the steps, with the optimizer and its state.</summary>
    public Trainer Trainer { get; }

    /// <summary>
    /// The run's diagnostics (the trainer's <see cref="Trainer.Monitor"/>): subscribe to
    /// <see cref="TrainingMonitor.Raised"/> to hear of trouble as it is found. After each epoch
    /// <see cref="RunEpoch"/> also runs its <see cref="TrainingMonitor.CheckEpoch"/>.
    /// </summary>
    public TrainingMonitor Monitor => Trainer.Monitor ??= new TrainingMonitor(Model);

    /// <summary>
    /// Continues the run with another base learning rate (the schedule starts from it at the
    /// current step), as after a divergence one resumes the last good checkpoint with a smaller
    /// rate. From here on the run differs from the one that was stopped.
    /// </summary>
    public void ChangeLearningRate(float learningRate)
    {
        var settings = Options.OptimizerOrDefault with { LearningRate = learningRate };
        settings.Validate();
        Options = Options with { Optimizer = settings };
        if (Trainer.Schedule is { } schedule) Trainer.Schedule = schedule.WithBaseRate(learningRate);
    }

    /// <summary>
    /// Trains from here on across the processes of <paramref name="parallel"/> (see
    /// <see cref="DataParallel"/>): checks that every rank has the same options, position in the
    /// run and model layout (a <see cref="RankMismatchException"/> on every rank if not), then
    /// gives every rank rank 0's weights and optimizer state. A collective call, as is each
    /// <see cref="RunEpoch"/> after it, which also checks that the ranks train on the same data.
    /// </summary>
    /// <param name="parallel">The ranks to train with.</param>
    public void Distribute(DataParallel parallel)
    {
        ArgumentNullException.ThrowIfNull(parallel);
        string run = JsonSerializer.Serialize(Options, CheckpointJson.Default.TrainingOptions) + ";" + CompletedEpochs + ";"
            + JsonSerializer.Serialize(cursor, CheckpointJson.Default.EpochCursor);
        parallel.RequireSame("training options or position in the run", Encoding.UTF8.GetBytes(run));
        parallel.Synchronize(Model, Trainer.Optimizer);
        Trainer.Parallel = parallel;
        loader = null; // the next epoch checks the data
    }

    /// <summary>Epochs finished so far.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>Whether every epoch has run.</summary>
    public bool IsFinished => CompletedEpochs >= Options.Epochs;

    /// <summary>One record per finished epoch.</summary>
    public IReadOnlyList<EpochRecord> History => history;

    /// <summary>Whether the current epoch was stopped part-way (and will continue from there).</summary>
    public bool IsMidEpoch => cursor.NextBatch > 0;

    /// <summary>
    /// Runs (or continues) the next epoch, then evaluates on <paramref name="validation"/> if given.
    /// Returns its record, or null when <paramref name="cancellation"/> stopped it part-way.
    /// Throws a <see cref="TrainingDivergedException"/> when the loss, a weight or a gradient
    /// becomes non-finite; the model then holds the last good weights and the session cannot go on.
    /// </summary>
    public EpochRecord? RunEpoch(ImageDataset train, ImageDataset? validation = null,
        Action<BatchProgress>? onBatch = null, CancellationToken cancellation = default)
    {
        if (IsFinished) throw new InvalidOperationException($"TrainingSession: all {Options.Epochs} epochs have run.");
        var started = System.Diagnostics.Stopwatch.StartNew();
        if (loader?.Data != train)
        {
            Trainer.Parallel?.RequireSame("training data", DataFingerprint(train));
            loader = new DataLoader(train, new DataLoaderOptions { BatchSize = Options.BatchSize, Seed = Options.Seed, Augmentation = Options.Augmentation });
            Trainer.Schedule = Options.OptimizerOrDefault.CreateSchedule(Options.Schedule, (long)loader.BatchCount * Options.Epochs);
        }
        var result = Trainer.TrainEpoch(loader, CompletedEpochs, onBatch, cancellation, cursor);
        Trainer.Monitor?.VerifyWeights(Trainer); // before any checkpoint of them is written
        if (!result.Completed)
        {
            cursor = result.Cursor;
            return null;
        }
        cursor = default;
        Evaluation? check = validation is null ? null : Trainer.Evaluate(validation);
        var record = new EpochRecord(CompletedEpochs + 1, result.Loss, result.Accuracy, check?.Loss, check?.Accuracy, started.Elapsed.TotalSeconds);
        history.Add(record);
        CompletedEpochs++;
        Trainer.Monitor?.CheckEpoch(record.Epoch - 1, record.ValidationAccuracy ?? record.TrainAccuracy, train, validation,
            Options.OptimizerOrDefault.LearningRate);
        return record;
    }

    // The images' and labels' bytes, hashed: what two ranks must agree on to train one model.
    private static byte[] DataFingerprint(ImageDataset data)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(data.Images.Span));
        hash.AppendData(MemoryMarshal.AsBytes(data.Labels.AsSpan()));
        return hash.GetHashAndReset();
    }

    /// <summary>The history as CSV: epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds.</summary>
    public string HistoryCsv()
    {
        var csv = new StringBuilder("epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n");
        foreach (var r in history)
            csv.Append(CultureInfo.InvariantCulture,
                $"{r.Epoch},{r.TrainLoss:R},{r.TrainAccuracy:R},{r.ValidationLoss:R},{r.ValidationAccuracy:R},{r.Seconds:F3}\n");
        return csv.ToString();
    }

    /// <summary>
    /// Writes a checkpoint (a model file whose metadata and extra tensors hold the run's state),
    /// atomically. <paramref name="metadata"/> adds entries of the caller's (e.g. the data set's name).
    /// </summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["kind"] = Kind,
            ["options"] = JsonSerializer.Serialize(Options, CheckpointJson.Default.TrainingOptions),
            ["completed_epochs"] = CompletedEpochs.ToString(CultureInfo.InvariantCulture),
            ["cursor"] = JsonSerializer.Serialize(cursor, CheckpointJson.Default.EpochCursor),
            ["history"] = JsonSerializer.Serialize(history, CheckpointJson.Default.ListEpochRecord),
            ["optimizer_steps"] = Trainer.Optimizer.Steps.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var layer in Model.Layers)
            if (layer.RandomState is { } state) entries[$"random_state.{layer.Name}"] = string.Join(",", state);
        var tensors = Trainer.Optimizer.State.ToDictionary(s => $"optimizer.{s.Name}", s => new Tensor(new Shape(s.Values.Length), s.Values));
        ModelFile.Save(Model, path, new ModelFileExtras(entries, tensors));
    }

    /// <summary>
    /// Continues a run from a checkpoint written by <see cref="SaveCheckpoint"/>. A model file
    /// that is not a checkpoint, or of an unreadable version, is refused with the file's name.
    /// </summary>
    public static (TrainingSession Session, IReadOnlyDictionary<string, string> Metadata) Resume(string path)
    {
        var (model, extras) = ModelFile.Read(path);
        var meta = extras.Metadata;
        if (meta.GetValueOrDefault("kind") != Kind)
            throw new ModelFormatException($"{path}: a model file, but not a training checkpoint (no training state in it).");
        try
        {
            var options = JsonSerializer.Deserialize(meta["options"], CheckpointJson.Default.TrainingOptions)!;
            var session = new TrainingSession(model, options)
            {
                CompletedEpochs = int.Parse(meta["completed_epochs"], CultureInfo.InvariantCulture),
                cursor = JsonSerializer.Deserialize(meta["cursor"], CheckpointJson.Default.EpochCursor),
            };
            session.history.AddRange(JsonSerializer.Deserialize(meta["history"], CheckpointJson.Default.ListEpochRecord)!);
            var state = extras.Tensors.Where(t => t.Key.StartsWith("optimizer.", StringComparison.Ordinal))
                .ToDictionary(t => t.Key["optimizer.".Length..], t => t.Value.ToArray());
            session.Trainer.Optimizer.LoadState(long.Parse(meta["optimizer_steps"], CultureInfo.InvariantCulture), state);
            foreach (var layer in model.Layers)
                if (meta.TryGetValue($"random_state.{layer.Name}", out var text))
                    layer.RandomState = [.. text.Split(',').Select(v => long.Parse(v, CultureInfo.InvariantCulture))];
            return (session, meta);
        }
        catch (Exception e) when (e is KeyNotFoundException or JsonException or FormatException or ArgumentException)
        {
            throw new ModelFormatException($"{path}: the training state in the checkpoint is incomplete or invalid: {e.Message}");
        }
    }
}

/// <summary>
/// Source-generated JSON metadata for a checkpoint's training state (trim- and AOT-safe):
/// camelCase names, enums by name, and NaN or infinity written as strings.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(TrainingOptions))]
[JsonSerializable(typeof(EpochCursor))]
[JsonSerializable(typeof(List<EpochRecord>))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
