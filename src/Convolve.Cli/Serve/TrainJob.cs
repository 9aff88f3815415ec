using System.Diagnostics;
using System.Numerics.Tensors;
using Convolve.Cli.Commands;
using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Training;
using Convolve.Training.Diagnostics;

namespace Convolve.Cli.Serve;

/// <summary>The images of a run: training (after the limit), validation held out of it, and test.</summary>
internal sealed record TrainData(ImageDataset Train, ImageDataset? Validation, ImageDataset Test)
{
    /// <summary>
    /// The named data set <paramref name="s"/> trains on, limited and split as <c>convolve train</c>
    /// does, so that a checkpoint written here resumes on the command line and the other way round.
    /// </summary>
    public static TrainData Load(TrainCommand.Settings s)
    {
        var splits = Datasets.Load(s.Data);
        var train = splits.Train;
        if (s.Limit is { } n && n < train.Count) train = train.Subset([.. Enumerable.Range(0, n)]);
        ImageDataset? validation = null;
        if (s.Validation > 0) (train, validation) = DatasetSplit.TrainValidation(train, s.Validation, s.Seed);
        return new TrainData(train, validation, splits.Test);
    }
}

/// <summary>
/// One training run of the Train page, on a thread of its own: epochs of
/// <see cref="TrainingSession.RunEpoch"/> with a checkpoint after each (as <c>convolve train</c>
/// writes them), a point for the curves at most every <see cref="PointInterval"/>, the first layer's
/// weights at most every <see cref="FilterInterval"/> and after each epoch. Stopping
/// (<see cref="Stop"/>) ends the current batch and writes a checkpoint; a finished run saves its
/// model beside the checkpoint and adds it to the served models. The per-batch callback allocates
/// nothing unless it sends a point.
/// </summary>
internal sealed class TrainJob
{
    /// <summary>The shortest time between two points of the curves (so at most ten events a second).</summary>
    public static readonly TimeSpan PointInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The shortest time between two filter updates (each is a few thousand numbers).</summary>
    public static readonly TimeSpan FilterInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The most dense-layer units shown as filters (a 784-input unit is an image of its own).</summary>
    private const int MaxDenseUnits = 16;

    /// <summary>The most points kept; past it every other point goes and points come half as often.</summary>
    private const int MaxPoints = 4000;

    /// <summary>The most warnings kept (the diagnostics repeat themselves on a run gone wrong).</summary>
    private const int MaxWarnings = 20;

    /// <summary>The batch number of filters sent at the end of an epoch.</summary>
    public const int EpochEnd = -1;

    private readonly TrainRunner runner;
    private readonly ServedModels models;
    // Both let go when the run ends: a data set is tens of megabytes, and the session's loader holds on to it.
    private TrainData? data;
    private TrainingSession? session;
    private readonly Dictionary<string, string> modelMetadata, checkpointMetadata;
    private readonly Action<BatchProgress> onBatch;
    private long pointTicks = Ticks(PointInterval);
    private long lastPoint, lastFilters, callStarted;
    private int callStartSeen = -1, baseSeen, baseCorrect;
    private double baseLoss;
    private bool haveBase;

    /// <summary>A run of <paramref name="session"/> numbered <paramref name="number"/>, writing into <paramref name="folder"/>.</summary>
    public TrainJob(TrainRunner runner, ServedModels models, int number, TrainCommand.Settings settings, string architecture,
        TrainingSession session, TrainData data, string folder, List<TrainPoint>? points)
    {
        this.runner = runner;
        this.models = models;
        this.data = data;
        Counts = (data.Train.Count, data.Validation?.Count ?? 0, data.Test.Count);
        Number = number;
        Id = $"run-{number}";
        Settings = settings;
        Architecture = architecture;
        this.session = session;
        Options = session.Options;
        CheckpointPath = Path.Combine(folder, CheckpointName(number));
        ModelPath = Path.Combine(folder, $"{Id}.cvm");
        Points = points ?? [];
        Epochs = [.. session.History];
        modelMetadata = new Dictionary<string, string>
        {
            ["architecture"] = architecture,
            ["data"] = settings.Data,
            ["classes"] = string.Join("\n", data.Train.ClassNames),
        };
        checkpointMetadata = new Dictionary<string, string>(modelMetadata);
        foreach (var (key, value) in TrainRun.Entries(settings, ModelPath, checkpointNamed: false)) checkpointMetadata[key] = value;
        onBatch = OnBatch;
        session.Monitor.Raised += diagnostic =>
        {
            var warning = new TrainWarning(Id, diagnostic.Severity.ToString().ToLowerInvariant(), diagnostic.ToString().ReplaceLineEndings(" "));
            runner.Publish("warning", warning, () =>
            {
                if (Warnings.Count < MaxWarnings) Warnings.Add(warning);
            });
        };
    }

    /// <summary>The checkpoint file's name for run <paramref name="number"/>.</summary>
    public static string CheckpointName(int number) => $"run-{number}.ckpt.cvm";

    /// <summary>The id the page names the run by.</summary>
    public string Id { get; }

    /// <summary>The run's number.</summary>
    public int Number { get; }

    /// <summary>The settings, as <c>convolve train</c> has them.</summary>
    public TrainCommand.Settings Settings { get; }

    /// <summary>The architecture's name.</summary>
    public string Architecture { get; }

    /// <summary>Epochs, batch size, optimizer and seed of the run.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Where the checkpoint goes.</summary>
    public string CheckpointPath { get; }

    /// <summary>Where the finished model goes.</summary>
    public string ModelPath { get; }

    /// <summary>Cancelled to stop the run after the current batch.</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>The training thread's work; set once when the run starts.</summary>
    public Task Task { get; set; } = Task.CompletedTask;

    // The state the page sees: written under the runner's lock.

    /// <summary>running, stopping, stopped, finished or failed.</summary>
    public string Status { get; set; } = "running";

    /// <summary>The curves' points.</summary>
    public List<TrainPoint> Points { get; }

    /// <summary>
    /// The finished epochs' records: a copy of the session's history, since the page reads it while
    /// the training thread adds to the session's own.
    /// </summary>
    public List<EpochRecord> Epochs { get; }

    /// <summary>The latest first-layer weights.</summary>
    public TrainFilters? Filters { get; set; }

    /// <summary>The served model's name when finished.</summary>
    public string? ModelName { get; set; }

    /// <summary>The test evaluation when finished.</summary>
    public Evaluation? Test { get; set; }

    /// <summary>One line on what happened last.</summary>
    public string? Message { get; set; }

    /// <summary>The diagnostics' warnings.</summary>
    public List<TrainWarning> Warnings { get; } = [];

    /// <summary>The numbers of images per epoch: training, validation, test.</summary>
    public (int Train, int Validation, int Test) Counts { get; }

    /// <summary>The settings as the page shows them.</summary>
    public TrainRunSettings View()
    {
        var o = Options;
        var optimizer = o.OptimizerOrDefault;
        string name = TrainChoices.NameOf(optimizer.Kind);
        int limit = Settings.Limit ?? Counts.Train + Counts.Validation;
        return new TrainRunSettings(Architecture, Settings.Data, o.Epochs, optimizer.LearningRate, o.BatchSize, limit, o.Seed, name,
            TrainChoices.CommandLineOf(Architecture, Settings.Data, o.Epochs, o.BatchSize, name, optimizer.LearningRate, limit, o.Seed));
    }

    /// <summary>Trains until the run finishes, is stopped or fails; runs on its own thread.</summary>
    public void Run()
    {
        var data = this.data!;
        var session = this.session!;
        try
        {
            while (!session.IsFinished)
            {
                callStartSeen = -1;
                haveBase = false;
                callStarted = Stopwatch.GetTimestamp();
                var record = session.RunEpoch(data.Train, data.Validation, onBatch, Stop.Token);
                session.SaveCheckpoint(CheckpointPath, checkpointMetadata);
                if (record is null)
                {
                    runner.Ended(this, "stopped", $"Stopped during epoch {session.CompletedEpochs + 1} of {session.Options.Epochs}; " +
                        $"the checkpoint is saved, and Resume continues {Id} from there.");
                    return;
                }
                runner.Publish("epoch", new TrainEpoch(Id, record), () => Epochs.Add(record));
                PublishFilters(record.Epoch, EpochEnd);
            }
            var test = session.Trainer.Evaluate(data.Test);
            ModelFile.Save(session.Model, ModelPath, new ModelFileExtras(modelMetadata, new Dictionary<string, Tensors.Tensor>()));
            string name = models.Add($"trained-{Number}", session.Model, data.Train.ClassNames, $"trained on the Train page ({Id})");
            DeleteCheckpoint();
            runner.Ended(this, "finished", $"Finished: test accuracy {test.Accuracy * 100:F2}% on {Terminal.Count(data.Test.Count)} images; " +
                $"the model is '{name}' on the Draw page.", () =>
                {
                    Test = test;
                    ModelName = name;
                });
        }
        catch (TrainingDivergedException e)
        {
            runner.Ended(this, "failed", "The run diverged: " + e.Message.ReplaceLineEndings(" "));
        }
        catch (Exception e)
        {
            runner.Ended(this, "failed", "The run failed: " + Failures.Message(e).ReplaceLineEndings(" "));
        }
        finally
        {
            this.data = null;
            this.session = null;
        }
    }

    // On the training thread after every batch.
    private void OnBatch(BatchProgress p)
    {
        long now = Stopwatch.GetTimestamp();
        int done = session!.CompletedEpochs;
        if (callStartSeen < 0) callStartSeen = (p.Batch - 1) * Options.BatchSize; // every batch but an epoch's last is full
        double lossSum = (double)p.MeanLoss * p.Seen;
        int correct = (int)Math.Round((double)p.Accuracy * p.Seen);
        if (p.Batch == 1) SetBase(0, 0, 0);
        else if (!haveBase)
        {
            // A run resumed part-way through an epoch: the sums before this batch are not known, so its window starts after it.
            SetBase(p.Seen, lossSum, correct);
            return;
        }
        if (p.Batch == p.BatchCount || now - lastPoint >= pointTicks)
        {
            int count = p.Seen - baseSeen;
            double seconds = Stopwatch.GetElapsedTime(callStarted, now).TotalSeconds;
            var point = new TrainPoint(Id, done + (double)p.Batch / p.BatchCount, done + 1, p.Batch, p.BatchCount,
                (float)((lossSum - baseLoss) / count), (float)(correct - baseCorrect) / count, p.MeanLoss, p.Accuracy,
                seconds > 0 ? (p.Seen - callStartSeen) / seconds : 0);
            runner.Publish("batch", point, () => AddPoint(point));
            SetBase(p.Seen, lossSum, correct);
            lastPoint = now;
        }
        if (now - lastFilters >= Ticks(FilterInterval)) PublishFilters(done + 1, p.Batch);
    }

    private void SetBase(int seen, double loss, int correct)
    {
        baseSeen = seen;
        baseLoss = loss;
        baseCorrect = correct;
        haveBase = true;
    }

    // Under the runner's lock.
    private void AddPoint(TrainPoint point)
    {
        Points.Add(point);
        if (Points.Count < MaxPoints) return;
        int kept = 0;
        for (int i = 0; i < Points.Count; i += 2) Points[kept++] = Points[i];
        Points.RemoveRange(kept, Points.Count - kept);
        pointTicks *= 2;
    }

    /// <summary>Sends the first layer's weights (epoch from 1; batch <see cref="EpochEnd"/> after the epoch).</summary>
    private void PublishFilters(int epoch, int batch)
    {
        lastFilters = Stopwatch.GetTimestamp();
        if (Snapshot(epoch, batch) is { } filters) runner.Publish("filters", filters, () => Filters = filters);
    }

    private TrainFilters? Snapshot(int epoch, int batch)
    {
        var model = session!.Model;
        foreach (var layer in model.Layers)
        {
            if (layer is Conv2D conv)
            {
                var shape = conv.Weight.Shape; // [K, C/groups, kH, kW]
                string layerText = $"first convolution: {Terminal.Plural(shape[0], "filter")} of {shape[2]}x{shape[3]}" +
                    (shape[1] > 1 ? $" over {shape[1]} channels" : "");
                return Filters(layerText, shape[0], shape[1], shape[2], shape[3], conv.Weight.Value.Span);
            }
            if (layer is Dense dense)
            {
                var image = model.InputShape; // [C, H, W], flattened into the dense layer's inputs
                var shape = dense.Weight.Shape; // [out, in]
                if (shape[1] != image.Size) return null;
                int units = Math.Min(MaxDenseUnits, shape[0]);
                string layerText = $"first dense layer: the weights of {units} of its {Terminal.Plural(shape[0], "unit")}, as images";
                return Filters(layerText, units, image[0], image[1], image[2], dense.Weight.Value.Span[..(units * shape[1])]);
            }
        }
        return null;

        TrainFilters Filters(string layerText, int count, int channels, int height, int width, ReadOnlySpan<float> values) =>
            new(Id, layerText, epoch, batch, count, channels, height, width,
                values.IsEmpty ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(values)), values.ToArray()); // MaxMagnitude keeps the sign
    }

    // The run is complete and its model saved: the checkpoint (with the optimizer's state) has no further use.
    private void DeleteCheckpoint()
    {
        try
        {
            File.Delete(CheckpointPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind, it is listed as resumable; resuming it evaluates and saves the finished model again.
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
