using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Convolve.Cli.Pictures;
using Convolve.Data;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Training;
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
        string architectures = string.Join(", ", Architectures.All.Where(a => a.Name != "article").Select(a => a.Name));
        var options = new OptionBinder<Settings>()
            .Option(s => s.Model, "--model", $"Architecture: {architectures}.")
            .Option(s => s.Data, "--data", DataOption.Help)
            .Option(s => s.Epochs, "--epochs", "Passes over the training images.")
            .Option(s => s.Batch, "--batch", "Images per optimisation step.")
            .Option(s => s.Optimizer, "--optimizer", "sgd (with momentum), adam or adamw.")
            .Option(s => s.LearningRate, "--lr", OptimizerHelp.LearningRate(OptimizerSettings.DefaultSgdLearningRate))
            .Option(s => s.Schedule, "--schedule", "Learning rate over the run: cosine (from --lr down to 0) or constant.")
            .Option(s => s.Momentum, "--momentum", "SGD momentum.")
            .Option(s => s.WeightDecay, "--weight-decay", "Weight decay (L2 for SGD/Adam, decoupled for AdamW).")
            .Option(s => s.Seed, "--seed", "Seed of initialisation, shuffling and splits: the same seed repeats a run exactly.", min: 0)
            .Option(s => s.Threads, "--threads", "The most threads the kernels use (0: one per core).", min: 0)
            .Option(s => s.Validation, "--validation", "Fraction of the training images held out for validation after each epoch (0 for none).")
            .Option(s => s.Limit, "--limit", "Use only the first N training images (quick experiments).")
            .Option(s => s.Shift, "--shift", "Augmentation: shift each image by up to N pixels at random (0 for none).", min: 0)
            .Option(s => s.Flip, "--flip", "Augmentation: flip images left-right at random.")
            .Option(s => s.Rgb, "--rgb", "Image folders: read colour (3 channels) instead of gray.")
            .Option(s => s.Output, "--out",
                "Where to save the trained model (default: <model>-<data>.cvm; with --resume, the file the stopped run was to write).")
            .Option(s => s.Checkpoint, "--checkpoint",
                "Checkpoint file, written after each epoch and when Ctrl+C or SIGTERM stops the run (exit code 130 or 143). " +
                "Default: the --out file with .ckpt before its extension, deleted once the model is saved; a file named here is kept.")
            .Option(s => s.Resume, "--resume",
                "Continue the run saved in this checkpoint, with its model, data and settings, to its --out and --curves. " +
                "Training options typed again must agree with the checkpoint's (a resumed run keeps its settings); " +
                "--lr continues at a new rate; --out, --curves, --checkpoint and --threads may change.")
            .Option(s => s.Curves, "--curves", "Folder for the training curves (CSV and PNG).")
            .Option(s => s.Report, "--report",
                "Write a one-file HTML report of the run (settings, data checksum, machine, curves, confusion matrix, filters after each epoch, " +
                "worst mistakes, epoch time predicted by a short calibration before training and measured).")
            .Option(s => s.FindLr, "--find-lr",
                "Run a learning-rate range test, print the suggested --lr and stop without training (with --curves: lr-find.csv and .png).");
        var command = options.CreateCommand("train", "Train a CNN on real images and report its test accuracy.");
        command.SetAction(result =>
        {
            var given = options.Given(result);
            var settings = options.Read(result) with { Given = given, CommandLine = Report.CommandLine.Of(result) };
            // With --resume the checkpoint names the architecture; a --model typed as well must agree with it.
            if (settings.Resume is not null && !given.Contains("--model")) settings = settings with { Model = null };
            return Run(terminal, settings);
        });
        return command;
    }

    /// <summary>The settings of a run; the defaults are those of the command line.</summary>
    internal sealed record Settings
    {
        /// <summary>The architecture; null when resuming without naming one.</summary>
        public string? Model { get; init; } = "seed";
        public string Data { get; init; } = Datasets.Digits;
        public int Epochs { get; init; } = 10;
        public int Batch { get; init; } = 64;
        public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
        /// <summary>Null for the optimizer's default rate.</summary>
        public float? LearningRate { get; init; }
        public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;
        public float Momentum { get; init; } = OptimizerSettings.DefaultMomentum;
        public float WeightDecay { get; init; }
        public int Seed { get; init; }
        /// <summary>The most threads the kernels use; 0 for one per core.</summary>
        public int Threads { get; init; }
        public double Validation { get; init; } = 0.1;
        /// <summary>Only the first this many training images; null for all.</summary>
        public int? Limit { get; init; }
        public int Shift { get; init; } = 2;
        public bool Flip { get; init; }
        public bool Rgb { get; init; }
        public string? Output { get; init; }
        public string? Checkpoint { get; init; }
        public string? Resume { get; init; }
        public string? Curves { get; init; }
        public bool FindLr { get; init; }
        /// <summary>The HTML report to write; null for none.</summary>
        public string? Report { get; init; }
        /// <summary>The command line as typed, for the report.</summary>
        public string CommandLine { get; init; } = "convolve train";

        /// <summary>The options typed on the command line (e.g. "--lr"), as opposed to left at their defaults.</summary>
        public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();
    }

    /// <summary>Where a run writes: the model, and the checkpoint (kept at the end when <paramref name="CheckpointNamed"/>).</summary>
    private sealed record Outputs(string Model, string Checkpoint, bool CheckpointNamed);

    /// <summary>The images of a run: training (after --limit), validation held out of it (or none), and test.</summary>
    private sealed record TrainingData(ImageDataset Train, ImageDataset? Validation, ImageDataset Test, DatasetSplits Loaded);

    internal static int Run(Terminal terminal, Settings s, CancellationToken stop = default)
    {
        Validate(s);
        // Under mpirun, rank 0 alone prints (TrainProcesses).
        int? rank = TrainProcesses.LaunchedRank;
        if (rank > 0) terminal = new Terminal(TextWriter.Null, plain: true);
        var clock = Stopwatch.StartNew();
        TrainingSession? session = null;
        IReadOnlyDictionary<string, string>? saved = null;
        string architecture;
        if (s.Resume is not null) (session, saved, architecture, s) = Resume(terminal, s);
        else architecture = Architectures.Get(s.Model ?? "seed").Name; // fails early on an unknown name
        var outputs = CheckOutputs(s, architecture, saved);
        if (session is not null)
            terminal.Text($"Resuming {s.Resume}: {session.CompletedEpochs} of {session.Options.Epochs} epochs done" +
                $"{(session.IsMidEpoch ? ", the next one part-way" : "")}; the model goes to {outputs.Model}.");
        var data = LoadData(terminal, s);
        if (session is null) session = NewSession(s, architecture, data.Train);
        else if (session.Model.InputShape != data.Train.ImageShape)
            throw new ArgumentException($"{s.Resume}: the model takes {session.Model.InputShape.ToImageString()} images, " +
                $"but '{s.Data}' has {data.Train.ImageShape.ToImageString()}.");
        if (s.FindLr && rank is not null) throw new ArgumentException("--find-lr runs in one process: run it without mpirun.");
        if (s.FindLr)
            return TrainingDiagnosticsView.FindLearningRate(terminal, session.Model, data.Train, session.Options.OptimizerOrDefault,
                session.Options.BatchSize, s.Seed, s.Curves);
        var log = Report.ReportLog.Start(session, saved);
        if (rank is null)
        {
            if (saved is not null) TrainProcesses.CheckResume(saved, 1, s.Resume!);
            return TrainAndSave(terminal, s, session, architecture, data, outputs, clock, stop, log, processes: null);
        }
        using var processes = TrainProcesses.Start(session, s, saved);
        if (processes is null) return ConvolveApp.Failure; // rank 0 reports why
        return processes.Guard(() => TrainAndSave(terminal, s, session, architecture, data, outputs, clock, stop, log, processes));
    }

    private static void Validate(Settings s)
    {
        if (s.Validation is < 0 or >= 1) throw new ArgumentException($"--validation must be in [0, 1), got {s.Validation}.");
        if (s.FindLr && s.Report is not null)
            throw new ArgumentException("--report with --find-lr: the range test stops before training, so there is no run to report; drop one of them.");
        TrainingDiagnosticsView.Validate(new OptimizerSettings(s.Optimizer, s.LearningRate ?? 1, s.Momentum, WeightDecay: s.WeightDecay));
    }

    // The session saved in --resume, with the run's settings (TrainRun.Apply); a typed --lr changes its rate.
    private static (TrainingSession Session, IReadOnlyDictionary<string, string> Saved, string Architecture, Settings Settings) Resume(
        Terminal terminal, Settings s)
    {
        var (session, saved) = TrainingSession.Resume(s.Resume!);
        string architecture = saved.GetValueOrDefault("architecture", "?");
        if (s.Model is not null && s.Model != architecture)
            throw new ArgumentException($"{s.Resume}: the checkpoint is of a '{architecture}' model, but --model is '{s.Model}'.");
        s = TrainRun.Apply(s, session.Options, saved);
        float runRate = session.Options.OptimizerOrDefault.LearningRate;
        if (s.LearningRate is { } rate && rate != runRate)
        {
            terminal.Text(string.Create(CultureInfo.InvariantCulture,
                $"Continuing with --lr {rate} instead of the run's {runRate}: from here on it is a different run from the one stopped."));
            session.ChangeLearningRate(rate);
        }
        return (session, saved, architecture, s);
    }

    // Where the run writes, checked before any work so that a long run cannot end in "Is a directory".
    private static Outputs CheckOutputs(Settings s, string architecture, IReadOnlyDictionary<string, string>? saved)
    {
        string defaultName = $"{architecture}-{Path.GetFileName(Path.TrimEndingDirectorySeparator(s.Data))}.cvm";
        string output = s.Output ?? (saved is null ? defaultName : TrainRun.Output(saved, s.Resume!, defaultName));
        string checkpoint = s.Checkpoint ?? s.Resume ?? Path.ChangeExtension(output, ".ckpt" + Path.GetExtension(output));
        // A checkpoint the run made at its default place is deleted once the model is saved; one the user named is kept.
        bool checkpointNamed = s.Checkpoint is not null || (saved is not null && !TrainRun.IsDefaultCheckpoint(saved));
        OutputPaths.CheckFile("--out", output, example: defaultName);
        OutputPaths.CheckFile(s.Checkpoint is null && s.Resume is not null ? "--resume" : "--checkpoint", checkpoint);
        OutputPaths.CheckDistinct("--checkpoint", checkpoint, "--out", output);
        if (s.Curves is not null) OutputPaths.CheckFolder("--curves", s.Curves);
        if (s.Report is not null)
        {
            OutputPaths.CheckFile("--report", s.Report, example: "run.html");
            OutputPaths.CheckDistinct("--report", s.Report, "--out", output);
            OutputPaths.CheckDistinct("--report", s.Report, "--checkpoint", checkpoint);
        }
        return new Outputs(output, checkpoint, checkpointNamed);
    }

    private static TrainingData LoadData(Terminal terminal, Settings s)
    {
        var splits = DataOption.Load(s.Data, terminal, channels: s.Rgb ? 3 : 1, seed: s.Seed);
        var train = splits.Train;
        if (s.Limit is { } n && n < train.Count) train = train.Subset([.. Enumerable.Range(0, n)]);
        ImageDataset? validation = null;
        if (s.Validation > 0) (train, validation) = DatasetSplit.TrainValidation(train, s.Validation, s.Seed);
        return new TrainingData(train, validation, splits.Test, splits);
    }

    // Made once the data says how many channels and classes there are.
    private static TrainingSession NewSession(Settings s, string architecture, ImageDataset train)
    {
        var net = Architectures.Get(architecture).Build(s.Seed, train.ImageShape[0], train.ClassCount);
        if (net.InputShape != train.ImageShape)
            throw new ArgumentException(
                $"{architecture} takes {net.InputShape.ToImageString()} images, but '{s.Data}' has {train.ImageShape.ToImageString()}.");
        float lr = s.LearningRate ?? OptimizerSettings.DefaultLearningRate(s.Optimizer);
        var augmentation = s.Shift > 0 || s.Flip ? new Augmentation { MaxShift = s.Shift, HorizontalFlip = s.Flip } : null;
        return new TrainingSession(net, new TrainingOptions(s.Epochs, s.Batch, s.Seed,
            new OptimizerSettings(s.Optimizer, lr, s.Momentum, WeightDecay: s.WeightDecay), augmentation, s.Schedule));
    }

    private static int TrainAndSave(Terminal terminal, Settings s, TrainingSession session, string architecture, TrainingData data,
        Outputs outputs, Stopwatch clock, CancellationToken stop, Report.ReportLog log, TrainProcesses? processes)
    {
        bool root = processes is null || processes.Mpi.Rank == 0;
        var diagnostics = TrainingDiagnosticsView.Attach(terminal, session);
        session.Model.Preparation ??= InputPreparation.FromTrainingData(data.Train); // saved with the model: predict prepares images as these were
        session.Model.SetMaxThreads(s.Threads);
        var metadata = new Dictionary<string, string>
        {
            ["architecture"] = architecture,
            ["data"] = s.Data,
            ["classes"] = string.Join("\n", data.Train.ClassNames),
        };
        var checkpointMetadata = new Dictionary<string, string>(metadata);
        foreach (var (key, value) in TrainRun.Entries(s, outputs.Model, outputs.CheckpointNamed)) checkpointMetadata[key] = value;
        checkpointMetadata[TrainProcesses.ProcessesKey] = (processes?.Mpi.Size ?? 1).ToString(CultureInfo.InvariantCulture);

        // Ctrl+C, SIGTERM (docker stop, systemd, CI) and SIGHUP stop training with a checkpoint, from
        // the header on. Only while training: the checkpoint after the last epoch is complete, so a
        // stop during the final evaluation or save needs nothing more.
        using (var signals = new StopSignals(stop))
        {
            PrintHeader(terminal, architecture, s.Data, session, data.Train, data.Validation, data.Test, s.Threads);
            if (processes is not null)
                terminal.Text($"Processes: {processes.Mpi.Size} (MPI), each training {session.Options.BatchSize / processes.Mpi.Size}" +
                    $"{(session.Options.BatchSize % processes.Mpi.Size == 0 ? "" : " or so")} images of each batch of {session.Options.BatchSize}");
            if (s.Report is not null && root) log.Calibrate(terminal, architecture, session, data.Train, data.Validation);
            processes?.Parallel.ResetCommunicationTime();
            int epochsBefore = session.History.Count;
            if (TrainEpochs(terminal, session, data, root ? outputs.Checkpoint : null, checkpointMetadata, diagnostics, signals, log) is { } stopped)
                return stopped;
            if (processes is not null)
            {
                double epochs = session.History.Skip(epochsBefore).Sum(r => r.Seconds), communication = processes.Parallel.CommunicationTime.TotalSeconds;
                terminal.Text(string.Create(CultureInfo.InvariantCulture, $"Communication: {communication:F1} s of the {epochs:F1} s " +
                    $"{(session.History.Count - epochsBefore == 1 ? "epoch" : "epochs")} took on rank 0 " +
                    $"({communication / Math.Max(epochs, 1e-9):P0}; all-reduce calls, waiting for the other ranks included)."));
            }
        }
        if (!root) return ConvolveApp.Success; // rank 0 evaluates and saves

        var test = session.Trainer.Evaluate(data.Test);
        ModelFile.Save(session.Model, outputs.Model, new ModelFileExtras(metadata, new Dictionary<string, Tensors.Tensor>()));
        if (s.Curves is not null) Curves.Write(s.Curves, $"{architecture}-{Path.GetFileName(Path.TrimEndingDirectorySeparator(s.Data))}", session);
        if (s.Report is not null)
            Report.TrainingReport.Build(s.CommandLine, architecture, s.Data, data.Loaded, session, data.Train, data.Validation, data.Test, log).Write(s.Report);
        if (!outputs.CheckpointNamed) DeleteCheckpoint(terminal, outputs.Checkpoint);
        terminal.Blank();
        terminal.Markup($"Test accuracy: [bold green]{test.Accuracy * 100:F2}%[/] on {Terminal.Count(data.Test.Count)} images (loss {test.Loss:F4}).");
        terminal.Text($"Model saved: {outputs.Model}   ({clock.Elapsed.TotalSeconds:F1} s in all)");
        if (s.Curves is not null) terminal.Text($"Training curves: {Path.Combine(s.Curves, "curves.csv")}, loss.png, accuracy.png");
        if (s.Report is not null) terminal.Text($"Report: {s.Report}");
        return diagnostics.ReportFinished(data.Train,
            () => Architectures.Get(architecture).Build(session.Options.Seed, data.Train.ImageShape[0], data.Train.ClassCount));
    }

    // The epochs left, each followed by a checkpoint; the exit code when the run stopped or diverged, null when it finished.
    // Without a checkpoint (a rank other than 0 of an MPI run) nothing is written or reported.
    private static int? TrainEpochs(Terminal terminal, TrainingSession session, TrainingData data, string? checkpoint,
        Dictionary<string, string> checkpointMetadata, TrainingDiagnosticsView diagnostics, StopSignals signals, Report.ReportLog log)
    {
        while (!session.IsFinished)
        {
            EpochRecord? record;
            try { record = RunEpoch(terminal, session, data.Train, data.Validation, signals.Token); }
            catch (Training.Diagnostics.TrainingDivergedException e)
            {
                return checkpoint is null ? TrainingDiagnosticsView.Diverged : diagnostics.ReportDiverged(e, data.Train, checkpoint, File.Exists(checkpoint));
            }
            diagnostics.Flush();
            if (checkpoint is null)
            {
                if (record is null) return signals.ExitCode;
                continue;
            }
            if (record is not null) log.Record(session.Model, record.Epoch); // the report's filters after each epoch, kept in the checkpoint
            log.WriteTo(checkpointMetadata);
            session.SaveCheckpoint(checkpoint, checkpointMetadata);
            if (record is null)
            {
                string by = signals.ReceivedName is { } name ? $" by {name}" : "";
                terminal.Text($"Stopped{by} during epoch {session.CompletedEpochs + 1}. Checkpoint saved: {checkpoint}");
                terminal.Text($"Continue with: convolve train --resume {TrainRun.Quote(checkpoint)}");
                return signals.ExitCode;
            }
            PrintEpoch(terminal, record);
        }
        return null;
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
        terminal.Text($"Model: {architecture} ({Terminal.Count(session.Model.Summarize().TotalParameters)} parameters), " +
            $"input {session.Model.InputShape.ToImageString()}");
        terminal.Text($"Data: {data}: {Terminal.Count(train.Count)} training, {Terminal.Count(validation?.Count ?? 0)} validation, " +
            $"{Terminal.Count(test.Count)} test images, {train.ClassCount} classes");
        string cores = Terminal.Plural(Environment.ProcessorCount, "core");
        terminal.Text($"Training: {Terminal.Plural(o.Epochs, "epoch")}, batch {o.BatchSize}, {o.OptimizerOrDefault}, " +
            $"{o.Schedule.ToString().ToLowerInvariant()} schedule, seed {o.Seed}" +
            (o.Augmentation is { IsIdentity: false } a ? $", augmentation {a}" : "") +
            (threads > 0 ? $", at most {Terminal.Plural(Math.Min(threads, Environment.ProcessorCount), "thread")} of {cores}" : $", {cores}"));
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
