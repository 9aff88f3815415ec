using System.Globalization;
using Convolve.Training;

namespace Convolve.Cli.Commands;

/// <summary>
/// What a training checkpoint remembers about its run beyond the training state: where the run's
/// files go (<c>--out</c>, <c>--curves</c>, whether the checkpoint is the default one) and the data
/// settings (<c>--data</c>, <c>--validation</c>, <c>--limit</c>, <c>--rgb</c>). With them,
/// <c>convolve train --resume CKPT</c> continues the same run to the same files; options typed
/// again must agree with the checkpoint (<see cref="Apply"/>).
/// </summary>
internal static class TrainRun
{
    private const string OutKey = "train-out", CurvesKey = "train-curves", CheckpointKey = "train-checkpoint", DataKey = "train-data",
        ValidationKey = "train-validation", LimitKey = "train-limit", RgbKey = "train-rgb";

    /// <summary>The value of <see cref="CheckpointKey"/> for a checkpoint at its default place (deleted when the run finishes).</summary>
    private const string DefaultCheckpoint = "default";

    /// <summary>
    /// The entries a checkpoint of this run carries besides the model's metadata: absolute paths,
    /// so that a run resumed from another folder writes to the same files.
    /// </summary>
    public static Dictionary<string, string> Entries(TrainCommand.Settings s, string output, bool checkpointNamed)
    {
        var entries = new Dictionary<string, string>
        {
            [OutKey] = Path.GetFullPath(output),
            [CheckpointKey] = checkpointNamed ? "named" : DefaultCheckpoint,
            [DataKey] = Directory.Exists(s.Data) ? Path.GetFullPath(s.Data) : s.Data,
            [ValidationKey] = s.Validation.ToString("R", CultureInfo.InvariantCulture),
            [LimitKey] = s.Limit?.ToString(CultureInfo.InvariantCulture) ?? "",
            [RgbKey] = s.Rgb ? "true" : "false",
        };
        if (s.Curves is not null) entries[CurvesKey] = Path.GetFullPath(s.Curves);
        return entries;
    }

    /// <summary>The model file a resumed run saves to when no <c>--out</c> is given.</summary>
    public static string Output(IReadOnlyDictionary<string, string> saved, string checkpoint, string defaultName)
    {
        if (saved.TryGetValue(OutKey, out var output) && output.Length > 0) return output;
        // A checkpoint written before runs recorded their output: its default name is the output's
        // with .ckpt before the extension, so the output goes beside it, never into the current folder.
        string folder = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        string name = Path.GetFileName(checkpoint);
        const string Suffix = ".ckpt.cvm";
        return Path.Combine(folder, name.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase) && name.Length > Suffix.Length
            ? name[..^Suffix.Length] + ".cvm" : defaultName);
    }

    /// <summary>Whether the checkpoint is at its default place, made by the run itself (and so deleted when the run has saved its model).</summary>
    public static bool IsDefaultCheckpoint(IReadOnlyDictionary<string, string> saved) => saved.GetValueOrDefault(CheckpointKey) == DefaultCheckpoint;

    /// <summary>
    /// The settings of a run resumed from a checkpoint: the training options, data, validation
    /// split, limit, colour and curves folder as the checkpoint recorded them. Every training
    /// option typed on the command line (<see cref="TrainCommand.Settings.Given"/>) that differs
    /// from the checkpoint's is refused in one message naming each, because a resumed run
    /// continues exactly the run that was stopped: a new epoch count or batch size would silently
    /// make it another run. The one exception is <c>--lr</c>: continuing a diverged run's last good
    /// checkpoint with a smaller rate is the usual remedy, so a typed rate replaces the run's and the
    /// caller says so.
    /// </summary>
    public static TrainCommand.Settings Apply(TrainCommand.Settings s, TrainingOptions options, IReadOnlyDictionary<string, string> saved)
    {
        var given = s.Given;
        string savedData = saved.GetValueOrDefault("data", "?");
        if (given.Contains("--data"))
        {
            if (!SameData(s.Data, savedData, saved.GetValueOrDefault(DataKey)))
                throw new ArgumentException($"{s.Resume}: the checkpoint was trained on '{savedData}', but --data is '{s.Data}'.");
        }
        else s = s with { Data = saved.GetValueOrDefault(DataKey) is { Length: > 0 } data && Directory.Exists(data) ? data : savedData };

        var differences = new List<string>();
        var optimizer = options.OptimizerOrDefault;
        void Compare<T>(string option, T typed, T kept, Func<T, string> show)
        {
            if (given.Contains(option) && !EqualityComparer<T>.Default.Equals(typed, kept))
                differences.Add($"{option} {show(typed)} differs from the checkpoint's {show(kept)}");
        }
        Compare("--epochs", s.Epochs, options.Epochs, Whole);
        Compare("--batch", s.Batch, options.BatchSize, Whole);
        Compare("--optimizer", s.Optimizer, optimizer.Kind, k => k.ToString().ToLowerInvariant());
        Compare("--schedule", s.Schedule, options.Schedule, k => k.ToString().ToLowerInvariant());
        Compare("--momentum", s.Momentum, optimizer.Momentum, Number);
        Compare("--weight-decay", s.WeightDecay, optimizer.WeightDecay, Number);
        Compare("--seed", s.Seed, options.Seed, Whole);
        Compare("--shift", s.Shift, options.Augmentation?.MaxShift ?? 0, Whole);
        Compare("--flip", s.Flip, options.Augmentation?.HorizontalFlip ?? false, b => b ? "on" : "off");

        // Data settings: a checkpoint without them (written before they were recorded) takes the command line's.
        if (saved.TryGetValue(ValidationKey, out var validationText)
            && double.TryParse(validationText, NumberStyles.Float, CultureInfo.InvariantCulture, out double validation))
        {
            Compare("--validation", s.Validation, validation, v => v.ToString(CultureInfo.InvariantCulture));
            s = s with { Validation = validation };
        }
        if (saved.TryGetValue(LimitKey, out var limitText))
        {
            int? limit = int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
            Compare("--limit", s.Limit, limit, l => l is { } v ? Whole(v) : "(all images)");
            s = s with { Limit = limit };
        }
        if (saved.TryGetValue(RgbKey, out var rgbText))
        {
            bool rgb = rgbText == "true";
            Compare("--rgb", s.Rgb, rgb, b => b ? "on" : "off");
            s = s with { Rgb = rgb };
        }
        if (differences.Count > 0)
            throw new ArgumentException($"{s.Resume}: {string.Join("; ", differences)}. A resumed run keeps its settings: " +
                "leave these options out to continue it, or start a new run without --resume.");

        // The run's own settings from here on: the seed also draws the validation split.
        s = s with
        {
            Epochs = options.Epochs,
            Batch = options.BatchSize,
            Optimizer = optimizer.Kind,
            LearningRate = given.Contains("--lr") ? s.LearningRate : optimizer.LearningRate,
            Schedule = options.Schedule,
            Momentum = optimizer.Momentum,
            WeightDecay = optimizer.WeightDecay,
            Seed = options.Seed,
            Shift = options.Augmentation?.MaxShift ?? 0,
            Flip = options.Augmentation?.HorizontalFlip ?? false,
        };
        if (s.Curves is null && saved.TryGetValue(CurvesKey, out var curves) && curves.Length > 0) s = s with { Curves = curves };
        return s;
    }

    /// <summary>A path or argument as a shell reads it back: quoted when it holds spaces or shell characters.</summary>
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:+=@,%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''") + "'";

    private static bool SameData(string typed, string savedData, string? savedFull) =>
        typed == savedData
        || (Directory.Exists(typed) && (Same(typed, savedData) || (savedFull is not null && Same(typed, savedFull))));

    private static bool Same(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static string Whole(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(float value) => value.ToString(CultureInfo.InvariantCulture);
}
