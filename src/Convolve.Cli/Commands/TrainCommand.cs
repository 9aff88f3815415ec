using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Convolve.Data;
using Convolve.Kernels.Cpu;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Training;
using Convolve.Cli.Pictures;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>convolve train</c>: trains a built-in architecture on a data set with a live progress
/// display, validates after each epoch, reports the test accuracy and saves the model.
/// A checkpoint is written after every epoch and when Ctrl+C, SIGTERM or SIGHUP stops the run;
/// <c>--resume</c> continues from one exactly, to the same output files. Every output is checked
/// before the work starts.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Exit code when Ctrl+C stopped training (128 + SIGINT, as shells report it); SIGTERM gives 143.</summary>
    public const int Interrupted = StopSignals.InterruptExitCode;

    public static Command Create(Terminal terminal)
    {
        var model = new Option<string>("--model") { Description = $"Architecture: {string.Join(", ", Architectures.All.Where(a => a.Name != "article").Select(a => a.Name))}.", DefaultValueFactory = _ => "seed" };
        var data = new Option<string>("--data") { Description = DataOption.Help, DefaultValueFactory = _ => Datasets.Digits };
        var epochs = OptionFactory.Int("--epochs", "Passes over the training images.", 10);
        var batch = OptionFactory.Int("--batch", "Images per optimisation step.", 64);
        var optimizer = new Option<OptimizerKind>("--optimizer") { Description = "sgd (with momentum), adam or adamw.", DefaultValueFactory = _ => OptimizerKind.Sgd };
        var learningRate = new Option<float?>("--lr") { Description = OptimizerHelp.LearningRate(OptimizerSettings.DefaultSgdLearningRate) };
        var schedule = new Option<ScheduleKind>("--schedule") { Description = "Learning rate over the run: cosine (from --lr down to 0) or constant.", DefaultValueFactory = _ => ScheduleKind.Cosine };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => OptimizerSettings.DefaultMomentum };
        var weightDecay = new Option<float>("--weight-decay") { Description = "Weight decay (L2 for SGD/Adam, decoupled for AdamW).", DefaultValueFactory = _ => 0f };
        var seed = OptionFactory.Int("--seed", "Seed of initialisation, shuffling and splits: the same seed repeats a run exactly.", 0, min: 0);
        var threads = OptionFactory.Int("--threads", "The most threads the kernels use (0: one per core).", 0, min: 0);
        var validation = new Option<double>("--validation") { Description = "Fraction of the training images held out for validation after each epoch (0 for none).", DefaultValueFactory = _ => 0.1 };
        var limit = OptionFactory.OptionalInt("--limit", "Use only the first N training images (quick experiments).");
        var shift = OptionFactory.Int("--shift", "Augmentation: shift each image by up to N pixels at random (0 for none).", 2, min: 0);
        var flip = new Option<bool>("--flip") { Description = "Augmentation: flip images left-right at random." };
        var rgb = new Option<bool>("--rgb") { Description = "Image folders: read colour (3 channels) instead of gray." };
        var output = new Option<string?>("--out") { Description = "Where to save the trained model (default: <model>-<data>.cvm; with --resume, the file the stopped run was to write)." };
        var checkpoint = new Option<string?>("--checkpoint")
        {
            Description = "Checkpoint file, written after each epoch and when Ctrl+C or SIGTERM stops the run (exit code 130 or 143). " +
                "Default: the --out file with .ckpt before its extension, deleted once the model is saved; a file named here is kept.",
        };
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue the run saved in this checkpoint, with its model, data and settings, to its --out and --curves. " +
                "Training options typed again must agree with the checkpoint's (a resumed run keeps its settings); --lr continues at a new rate; --out, --curves, --checkpoint and --threads may change.",
        };
        var curves = new Option<string?>("--curves") { Description = "Folder for the training curves (CSV and PNG)." };
        var findLr = new Option<bool>("--find-lr") { Description = "Run a learning-rate range test, print the suggested --lr and stop without training (with --curves: lr-find.csv and .png)." };
        var command = new Command("train", "Train a CNN on real images and report its test accuracy.")
        {
            model, data, epochs, batch, optimizer, learningRate, schedule, momentum, weightDecay, seed, threads, validation, limit, shift, flip, rgb,
            output, checkpoint, resume, curves, findLr,
        };
        command.SetAction(result =>
        {
            // With --resume the checkpoint names the architecture; a --model typed as well must agree with it.
            bool modelGiven = result.GetResult(model) is { Implicit: false };
            var settings = new Settings(modelGiven || result.GetValue(resume) is null ? result.GetValue(model)! : null, result.GetValue(data)!, result.GetValue(epochs), result.GetValue(batch),
                result.GetValue(optimizer), result.GetValue(learningRate), result.GetValue(schedule), result.GetValue(momentum), result.GetValue(weightDecay),
                result.GetValue(seed), result.GetValue(threads), result.GetValue(validation), result.GetValue(limit), result.GetValue(shift), result.GetValue(flip),
                result.GetValue(rgb), result.GetValue(output), result.GetValue(checkpoint), result.GetValue(resume), result.GetValue(curves), result.GetValue(findLr))
            {
                Given = command.Options.Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToHashSet(),
            };
            return Run(terminal, settings);
        });
        return command;
    }

    /// <param name="Model">The architecture; null when resuming without naming one.</param>
    internal sealed record Settings(string? Model, string Data, int Epochs, int Batch, OptimizerKind Optimizer, float? LearningRate,
        ScheduleKind Schedule, float Momentum, float WeightDecay, int Seed, int Threads, double Validation, int? Limit, int Shift, bool Flip, bool Rgb,
        string? Output, string? Checkpoint, string? Resume, string? Curves, bool FindLr = false)
    {
        /// <summary>The options typed on the command line (e.g. "--lr"), as opposed to left at their defaults.</summary>
        public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();
    }

    internal static int Run(Terminal terminal, Settings s, CancellationToken stop = default)
    {
        if (s.Validation is < 0 or >= 1) throw new ArgumentException($"--validation must be in [0, 1), got {s.Validation}.");
        TrainingDiagnosticsView.Validate(new OptimizerSettings(s.Optimizer, s.LearningRate ?? 1, s.Momentum, WeightDecay: s.WeightDecay));
        var clock = Stopwatch.StartNew();
        TrainingSession? session = null;
        IReadOnlyDictionary<string, string>? saved = null;
        string architectureName;
        if (s.Resume is not null)
        {
            (session, saved) = TrainingSession.Resume(s.Resume);
            architectureName = saved.GetValueOrDefault("architecture", "?");
            if (s.Model is not null && s.Model != architectureName)
                throw new ArgumentException($"{s.Resume}: the checkpoint is of a '{architectureName}' model, but --model is '{s.Model}'.");
            s = TrainRun.Apply(s, session.Options, saved);
            if (s.LearningRate is { } rate && rate != session.Options.OptimizerOrDefault.LearningRate)
            {
                terminal.Text(string.Create(CultureInfo.InvariantCulture,
                    $"Continuing with --lr {rate} instead of the run's {session.Options.OptimizerOrDefault.LearningRate}: from here on it is a different run from the one stopped."));
                session.ChangeLearningRate(rate);
            }
        }
        else architectureName = Architectures.Get(s.Model ?? "seed").Name; // fails early on an unknown name

        // Where the run writes, checked before any work so that a long run cannot end in "Is a directory".
        string defaultName = $"{architectureName}-{Path.GetFileName(Path.TrimEndingDirectorySeparator(s.Data))}.cvm";
        string output = s.Output ?? (saved is null ? defaultName : TrainRun.Output(saved, s.Resume!, defaultName));
        string checkpointPath = s.Checkpoint ?? s.Resume ?? Path.ChangeExtension(output, ".ckpt" + Path.GetExtension(output));
        // A checkpoint the run made at its default place is deleted once the model is saved; one the user named is kept.
        bool checkpointNamed = s.Checkpoint is not null || (saved is not null && !TrainRun.IsDefaultCheckpoint(saved));
        OutputPaths.CheckFile("--out", output, example: defaultName);
        OutputPaths.CheckFile(s.Checkpoint is null && s.Resume is not null ? "--resume" : "--checkpoint", checkpointPath);
        OutputPaths.CheckDistinct("--checkpoint", checkpointPath, "--out", output);
        if (s.Curves is not null) OutputPaths.CheckFolder("--curves", s.Curves);
        if (session is not null)
            terminal.Text($"Resuming {s.Resume}: {session.CompletedEpochs} of {session.Options.Epochs} epochs done{(session.IsMidEpoch ? ", the next one part-way" : "")}; the model goes to {output}.");

        var splits = DataOption.Load(s.Data, terminal, channels: s.Rgb ? 3 : 1, seed: s.Seed);
        var train = splits.Train;
        if (s.Limit is { } n && n < train.Count) train = train.Subset([.. Enumerable.Range(0, n)]);
        ImageDataset? validation = null;
        if (s.Validation > 0) (train, validation) = DatasetSplit.TrainValidation(train, s.Validation, s.Seed);

        if (session is null)
        {
            // Made now that the data says how many channels and classes there are.
            var net = Architectures.Get(architectureName).Build(s.Seed, train.ImageShape[0], train.ClassCount);
            if (net.InputShape != train.ImageShape)
                throw new ArgumentException($"{architectureName} takes {net.InputShape.ToImageString()} images, but '{s.Data}' has {train.ImageShape.ToImageString()}.");
            float lr = s.LearningRate ?? OptimizerSettings.DefaultLearningRate(s.Optimizer);
            var augmentation = s.Shift > 0 || s.Flip ? new Augmentation { MaxShift = s.Shift, HorizontalFlip = s.Flip } : null;
            session = new TrainingSession(net, new TrainingOptions(s.Epochs, s.Batch, s.Seed,
                new OptimizerSettings(s.Optimizer, lr, s.Momentum, WeightDecay: s.WeightDecay), augmentation, s.Schedule));
        }
        else if (session.Model.InputShape != train.ImageShape)
            throw new ArgumentException($"{s.Resume}: the model takes {session.Model.InputShape.ToImageString()} images, but '{s.Data}' has {train.ImageShape.ToImageString()}.");
        if (s.FindLr) return TrainingDiagnosticsView.FindLearningRate(terminal, session.Model, train, session.Options.OptimizerOrDefault, session.Options.BatchSize, s.Seed, s.Curves);
        var diagnostics = TrainingDiagnosticsView.Attach(terminal, session);

        session.Model.Preparation ??= InputPreparation.FromTrainingData(train); // saved with the model: predict prepares images as these were
        session.Model.SetMaxThreads(s.Threads);
        var metadata = new Dictionary<string, string>
        {
            ["architecture"] = architectureName,
            ["data"] = s.Data,
            ["classes"] = string.Join("\n", train.ClassNames),
        };
        var checkpointMetadata = new Dictionary<string, string>(metadata);
        foreach (var (key, value) in TrainRun.Entries(s, output, checkpointNamed)) checkpointMetadata[key] = value;

        // Ctrl+C, SIGTERM (docker stop, systemd, CI) and SIGHUP stop training with a checkpoint, from
        // the header on. Only while training: the checkpoint after the last epoch is complete, so a
        // stop during the final evaluation or save needs nothing more.
        using (var signals = new StopSignals(stop))
        {
            PrintHeader(terminal, architectureName, s.Data, session, train, validation, splits.Test, s.Threads);
            while (!session.IsFinished)
            {
                EpochRecord? record;
                try { record = RunEpoch(terminal, session, train, validation, signals.Token); }
                catch (Training.Diagnostics.TrainingDivergedException e) { return diagnostics.ReportDiverged(e, train, checkpointPath, File.Exists(checkpointPath)); }
                diagnostics.Flush();
                session.SaveCheckpoint(checkpointPath, checkpointMetadata);
                if (record is null)
                {
                    string by = signals.ReceivedName is { } name ? $" by {name}" : "";
                    terminal.Text($"Stopped{by} during epoch {session.CompletedEpochs + 1}. Checkpoint saved: {checkpointPath}");
                    terminal.Text($"Continue with: convolve train --resume {TrainRun.Quote(checkpointPath)}");
                    return signals.ExitCode;
                }
                PrintEpoch(terminal, record);
            }
        }

        var test = session.Trainer.Evaluate(splits.Test);
        ModelFile.Save(session.Model, output, new ModelFileExtras(metadata, new Dictionary<string, Tensors.Tensor>()));
        if (s.Curves is not null) Curves.Write(s.Curves, $"{architectureName}-{Path.GetFileName(Path.TrimEndingDirectorySeparator(s.Data))}", session);
        if (!checkpointNamed) DeleteCheckpoint(terminal, checkpointPath);
        terminal.Blank();
        terminal.Markup($"Test accuracy: [bold green]{test.Accuracy * 100:F2}%[/] on {Terminal.Count(splits.Test.Count)} images (loss {test.Loss:F4}).");
        terminal.Text($"Model saved: {output}   ({clock.Elapsed.TotalSeconds:F1} s in all)");
        if (s.Curves is not null) terminal.Text($"Training curves: {Path.Combine(s.Curves, "curves.csv")}, loss.png, accuracy.png");
        return diagnostics.ReportFinished(train, () => Architectures.Get(architectureName).Build(session.Options.Seed, train.ImageShape[0], train.ClassCount));
    }

    // The run is complete and saved: the default checkpoint (twice the model's size, with the
    // optimizer's state) has no further use. Failing to delete it does not fail the run.
    private static void DeleteCheckpoint(Terminal terminal, string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            terminal.Text($"Could not delete the checkpoint {path}: {e.Message}");
        }
    }

    private static void PrintHeader(Terminal terminal, string architecture, string data, TrainingSession session,
        ImageDataset train, ImageDataset? validation, ImageDataset test, int threads)
    {
        var o = session.Options;
        terminal.Text($"Model: {architecture} ({Terminal.Count(session.Model.Summarize().TotalParameters)} parameters), input {session.Model.InputShape.ToImageString()}");
        terminal.Text($"Data: {data}: {Terminal.Count(train.Count)} training, {Terminal.Count(validation?.Count ?? 0)} validation, {Terminal.Count(test.Count)} test images, {train.ClassCount} classes");
        terminal.Text($"Training: {Terminal.Plural(o.Epochs, "epoch")}, batch {o.BatchSize}, {o.OptimizerOrDefault}, {o.Schedule.ToString().ToLowerInvariant()} schedule, seed {o.Seed}" +
            (o.Augmentation is { IsIdentity: false } a ? $", augmentation {a}" : "") +
            (threads > 0 ? $", at most {Terminal.Plural(ThreadCount.Resolve(threads), "thread")} of {Terminal.Plural(Environment.ProcessorCount, "core")}" : $", {Terminal.Plural(Environment.ProcessorCount, "core")}"));
    }

    private static EpochRecord? RunEpoch(Terminal terminal, TrainingSession session, ImageDataset train, ImageDataset? validation, CancellationToken stop)
    {
        int epoch = session.CompletedEpochs + 1, total = session.Options.Epochs;
        if (terminal.Plain || !terminal.Console.Profile.Capabilities.Interactive)
            return session.RunEpoch(train, validation, cancellation: stop);

        EpochRecord? record = null;
        var clock = Stopwatch.StartNew();
        terminal.Console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"Epoch {epoch}/{total}", maxValue: train.Count);
                int startSeen = -1;
                record = session.RunEpoch(train, validation, progress =>
                {
                    if (startSeen < 0) startSeen = progress.Seen - Math.Min(progress.Seen, session.Options.BatchSize);
                    double rate = (progress.Seen - startSeen) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    task.Description = string.Create(CultureInfo.InvariantCulture,
                        $"Epoch {epoch}/{total}  loss {progress.MeanLoss:F4}  acc {progress.Accuracy * 100:F1}%  {rate:N0} img/s");
                    task.Value = progress.Seen;
                }, stop);
                task.Value = train.Count;
            });
        return record;
    }

    private static void PrintEpoch(Terminal terminal, EpochRecord r)
    {
        string validation = r.ValidationAccuracy is { } va ? $"  val loss {r.ValidationLoss:F4}  val acc {va * 100:F2}%" : "";
        terminal.Text(string.Create(CultureInfo.InvariantCulture,
            $"Epoch {r.Epoch}: loss {r.TrainLoss:F4}  acc {r.TrainAccuracy * 100:F2}%{validation}  ({r.Seconds:F1} s)"));
    }
}
