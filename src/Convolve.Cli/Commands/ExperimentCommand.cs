using System.CommandLine;
using System.Globalization;
using System.Text;
using Convolve.Data;
using Convolve.Experiments;
using Convolve.Training;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>convolve experiment ann-vs-cnn | translation | data-size</c>: the article's claims about
/// CNNs, measured on real digits with fixed seeds. The math is in <c>Convolve.Experiments</c>;
/// this file parses options, prints tables and writes CSV.
/// </summary>
internal static class ExperimentCommand
{
    public static Command Create(Terminal terminal)
    {
        var command = new Command("experiment", "The article's claims measured on real digits: ann-vs-cnn, translation, data-size.");
        command.Subcommands.Add(AnnVsCnnCommand(terminal));
        command.Subcommands.Add(TranslationCommand(terminal));
        command.Subcommands.Add(DataSizeCommand(terminal));
        return command;
    }

    /// <summary>The settings every experiment has; the defaults are those of ann-vs-cnn, and a subcommand's settings change some.</summary>
    private record CommonSettings
    {
        public string Data { get; init; } = Datasets.Digits;
        public int Epochs { get; init; } = 3;
        public int Batch { get; init; } = 64;
        public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
        /// <summary>Null for the optimizer's default rate.</summary>
        public float? LearningRate { get; init; }
        public int Seed { get; init; }
        /// <summary>Training images drawn per class; null for all.</summary>
        public int? TrainPerClass { get; init; }
        /// <summary>Test images drawn per class; null for all.</summary>
        public int? TestPerClass { get; init; }
        /// <summary>Comma-separated names of the models to compare.</summary>
        public string Models { get; init; } = Names(AnnVsCnn.DefaultCandidates);
        public string? Csv { get; init; }

        /// <summary>The models named and the training settings; an unknown model is an error naming it.</summary>
        public Run Parse() => new(Data, TrainPerClass, TestPerClass, ParseModels(Models), Csv,
            new ExperimentSettings(Epochs, Batch, Seed, new OptimizerSettings(Optimizer, LearningRate ?? OptimizerSettings.DefaultLearningRate(Optimizer))));

        protected static string Names(IEnumerable<Candidate> models) => string.Join(",", models.Select(m => m.Name));
    }

    /// <summary>The options of <see cref="CommonSettings"/>, after those a subcommand added to <paramref name="options"/>.</summary>
    private static OptionBinder<T> WithCommonOptions<T>(OptionBinder<T> options) where T : CommonSettings, new()
    {
        var defaults = options.Defaults;
        // A default of null (every image) is not shown by the help's [default: ...]: say it in words.
        static string PerClass(string description, int? value) => value is null ? $"{description} (default: all)." : $"{description}.";
        return options
            .Option(s => s.Data, "--data", DataOption.Help)
            .Option(s => s.Epochs, "--epochs", "Passes over the training images.")
            .Option(s => s.Batch, "--batch", "Images per optimisation step.")
            .Option(s => s.Optimizer, "--optimizer", OptimizerHelp.Optimizer)
            .Option(s => s.LearningRate, "--lr", OptimizerHelp.LearningRate(OptimizerSettings.DefaultSgdLearningRate))
            .Option(s => s.Seed, "--seed", "Seed of initialisation, shuffling and subsets: the same seed repeats a run exactly.", min: 0)
            .Option(s => s.TrainPerClass, "--train-per-class", PerClass("Training images per class, drawn at random with the seed", defaults.TrainPerClass))
            .Option(s => s.TestPerClass, "--test-per-class", PerClass("Test images per class, drawn at random with the seed", defaults.TestPerClass))
            .Option(s => s.Models, "--models", $"Comma-separated models to compare: {string.Join(", ", Candidate.All.Select(c => c.Name))}.")
            .Option(s => s.Csv, "--csv", "Also write the results to this CSV file.");
    }

    private sealed record TranslationSettings : CommonSettings
    {
        public TranslationSettings()
        {
            Epochs = 4;
            Batch = 16;
            TrainPerClass = 200;
            TestPerClass = 50;
            Models = Names(Translation.DefaultCandidates);
        }

        public int Canvas { get; init; } = TranslationOptions.Default.CanvasSize;
        /// <summary>"Y,X".</summary>
        public string TrainAt { get; init; } = $"{TranslationOptions.Default.TrainTop},{TranslationOptions.Default.TrainLeft}";
        public string Offsets { get; init; } = string.Join(",", TranslationOptions.Default.TestOffsets);
        public bool Diagonal { get; init; }
        public bool Augment { get; init; }
    }

    private sealed record DataSizeSettings : CommonSettings
    {
        /// <summary>Comma-separated images per class, or "all".</summary>
        public string Sizes { get; init; } = string.Join(",", DataSize.DefaultSizes) + ",all";
        public int MinSteps { get; init; } = 300;
    }

    /// <summary>The common settings of one run, parsed.</summary>
    private sealed record Run(string Data, int? TrainPerClass, int? TestPerClass, IReadOnlyList<Candidate> Models, string? Csv, ExperimentSettings Settings)
    {
        /// <summary>Loads the data and draws the per-class subsets; prints what was used.</summary>
        public (ImageDataset Train, ImageDataset Test) Load(Terminal terminal)
        {
            if (!(Settings.OptimizerOrDefault.LearningRate > 0))
                throw new ArgumentException($"--lr must be positive, got {Settings.OptimizerOrDefault.LearningRate.ToString(CultureInfo.InvariantCulture)}.");
            if (Csv is not null) OutputPaths.CheckFile("--csv", Csv, example: "results.csv");
            var splits = DataOption.Load(Data, terminal, seed: Settings.Seed);
            var train = TrainPerClass is { } n ? TakePerClass(splits.Train, n, "--train-per-class") : splits.Train;
            var test = TestPerClass is { } m ? TakePerClass(splits.Test, m, "--test-per-class") : splits.Test;
            return (train, test);
        }

        private ImageDataset TakePerClass(ImageDataset data, int perClass, string option)
        {
            try
            {
                return DatasetSplit.TakePerClass(data, perClass, Settings.Seed);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{option} {perClass}: {e.Message}");
            }
        }

        /// <summary>The settings line printed before the results.</summary>
        public string Describe(ImageDataset train, ImageDataset test, string? epochs = null) =>
            $"Data: {Data}, {Terminal.Count(train.Count)} training images{(TrainPerClass is { } n ? $" ({n} per class)" : "")}, " +
            $"{Terminal.Count(test.Count)} test images{(TestPerClass is { } m ? $" ({m} per class)" : "")}. " +
            $"Training: {epochs ?? Terminal.Plural(Settings.Epochs, "epoch")}, batch {Settings.BatchSize}, " +
            $"{Settings.OptimizerOrDefault}, seed {Settings.Seed}, {Environment.ProcessorCount} cores.";
    }

    private static Command AnnVsCnnCommand(Terminal terminal)
    {
        var options = WithCommonOptions(new OptionBinder<CommonSettings>());
        var command = options.CreateCommand("ann-vs-cnn",
            "A fully connected network (mlp) against a CNN (seed) on the same digits: parameters, test accuracy, training time.");
        command.SetAction(result =>
        {
            var run = options.Read(result).Parse();
            var (train, test) = run.Load(terminal);
            terminal.Heading("ANN versus CNN");
            terminal.Text(run.Describe(train, test));
            var rows = AnnVsCnn.Run(train, test, run.Models, run.Settings,
                row => terminal.Text($"  {row.Name}: {Percent(row.TestAccuracy)} ({row.TrainSeconds:F1} s)"));

            var table = terminal.Table("Model", "Layers", ">Parameters", ">Test accuracy", ">Training time", ">Images/s");
            foreach (var row in rows)
            {
                var candidate = run.Models.First(c => c.Name == row.Name);
                table.AddRow(Escape(row.Name), Escape(candidate.Description), Terminal.Count(row.Parameters), Percent(row.TestAccuracy),
                    $"{row.TrainSeconds:F1} s", Terminal.Count((long)Math.Round(row.ImagesPerSecond)));
            }
            terminal.Write(table);
            WriteCsv(terminal, run.Csv, "model,parameters,test_accuracy,train_seconds,images_per_second",
                rows.Select(r => Csv(r.Name, r.Parameters, r.TestAccuracy, r.TrainSeconds, r.ImagesPerSecond)));
            return ConvolveApp.Success;
        });
        return command;
    }

    private static Command TranslationCommand(Terminal terminal)
    {
        var options = WithCommonOptions(new OptionBinder<TranslationSettings>()
            .Option(s => s.Canvas, "--canvas", "Side of the square canvas the digits are placed on, in pixels.")
            .Option(s => s.TrainAt, "--train-at", "Where the training digits' top-left corner is, as Y,X.")
            .Option(s => s.Offsets, "--offsets", "Comma-separated test offsets, used for both Y and X.")
            .Option(s => s.Diagonal, "--diagonal", "Test only the offsets (d, d) instead of every (Y, X) pair.")
            .Option(s => s.Augment, "--augment", "Also train each model on centred digits shifted at random each epoch (random-shift augmentation)."));
        var command = options.CreateCommand("translation",
            "Train with every digit at one place of a larger canvas, test with the digits moved: " +
            "accuracy by offset for an MLP, a CNN with a dense head and a CNN with a global-average-pooling head.");
        command.SetAction(result => RunTranslation(terminal, options.Read(result)));
        return command;
    }

    private static int RunTranslation(Terminal terminal, TranslationSettings settings)
    {
        var run = settings.Parse();
        var (top, left) = ParsePair(settings.TrainAt, "--train-at");
        var options = new TranslationOptions(settings.Canvas, top, left, ParseInts(settings.Offsets, "--offsets", min: 0),
            settings.Diagonal, settings.Augment);
        var (train, test) = run.Load(terminal);
        terminal.Heading("Translation: digits trained in one place, tested elsewhere");
        terminal.Text(run.Describe(train, test));
        terminal.Text($"Canvas {options.CanvasSize}x{options.CanvasSize}; training digits at (y {top}, x {left}); " +
            $"test offsets {string.Join(", ", options.TestOffsets)}{(options.DiagonalOnly ? " (diagonal)" : " (every y, x pair)")}.");
        var rows = Translation.Run(train, test, run.Models, options, run.Settings,
            row => terminal.Text($"  {row.Name} trained {row.TrainingPlacement}: {Percent(row.Accuracy[0])} " +
                $"at ({row.Offsets[0].Top}, {row.Offsets[0].Left}), worst {Percent(row.Worst)} ({row.TrainSeconds:F1} s)"));

        PrintTranslationSummary(terminal, rows, top, left);
        if (options.DiagonalOnly) PrintDiagonal(terminal, rows, options.TestOffsets);
        else PrintOffsetGrids(terminal, rows, options.TestOffsets);
        WriteCsv(terminal, run.Csv, "model,training,offset_y,offset_x,test_accuracy",
            rows.SelectMany(r => r.Offsets.Select((o, i) => Csv(r.Name, r.TrainingPlacement, o.Top, o.Left, r.Accuracy[i]))));
        return ConvolveApp.Success;
    }

    private static void PrintTranslationSummary(Terminal terminal, IReadOnlyList<TranslationRow> rows, int top, int left)
    {
        var summary = terminal.Table("Model", "Trained with digits", ">Parameters", ">At training place", ">Mean", ">Worst", ">Training time");
        foreach (var row in rows)
        {
            float? home = row.Training == TranslationTraining.FixedPosition ? row.At(top, left) : null;
            summary.AddRow(Escape(row.Name), Escape(row.TrainingPlacement), Terminal.Count(row.Parameters),
                home is { } h ? Percent(h) : "-", Percent(row.Mean), Percent(row.Worst), $"{row.TrainSeconds:F1} s");
        }
        terminal.Write(summary);
    }

    private static void PrintDiagonal(Terminal terminal, IReadOnlyList<TranslationRow> rows, IReadOnlyList<int> offsets)
    {
        var table = terminal.Table([.. new[] { "Model", "Trained with digits" }.Concat(offsets.Select(d => $">({d}, {d})"))]);
        foreach (var row in rows) table.AddRow([Escape(row.Name), Escape(row.TrainingPlacement), .. row.Accuracy.Select(a => Percent(a))]);
        terminal.Text("Test accuracy with the digits' top-left corner at (y, x):");
        terminal.Write(table);
    }

    private static void PrintOffsetGrids(Terminal terminal, IReadOnlyList<TranslationRow> rows, IReadOnlyList<int> offsets)
    {
        foreach (var row in rows)
        {
            terminal.Text($"{row.Name}, trained with digits {row.TrainingPlacement}: test accuracy by offset (rows y, columns x)");
            var grid = terminal.Table([.. new[] { "y \\ x" }.Concat(offsets.Select(d => ">" + d))]);
            foreach (int y in offsets)
                grid.AddRow([y.ToString(CultureInfo.InvariantCulture), .. offsets.Select(x => Percent(row.At(y, x)!.Value))]);
            terminal.Write(grid);
        }
    }

    private static Command DataSizeCommand(Terminal terminal)
    {
        var options = WithCommonOptions(new OptionBinder<DataSizeSettings>()
            .Option(s => s.Sizes, "--sizes", "Comma-separated training images per class; 'all' for the whole training set.")
            .Option(s => s.MinSteps, "--min-steps",
                "Train small sets for more epochs, so that every run takes at least this many optimisation steps.", min: 0));
        var command = options.CreateCommand("data-size", "Test accuracy against the number of training images per class, ANN against CNN.");
        command.SetAction(result =>
        {
            var settings = options.Read(result);
            var run = settings.Parse();
            var (perClass, includeAll) = ParseSizes(settings.Sizes);
            int steps = settings.MinSteps;
            var (train, test) = run.Load(terminal);
            terminal.Heading("Test accuracy against training set size");
            terminal.Text(run.Describe(train, test, $"{Terminal.Plural(run.Settings.Epochs, "epoch")} or more (at least {Terminal.Plural(steps, "step")})"));
            var rows = DataSize.Run(train, test, run.Models, perClass, includeAll, run.Settings, steps,
                row => terminal.Text($"  {(row.PerClass is { } n ? $"{n} per class" : "all images")}, {row.Name}: {Percent(row.TestAccuracy)} " +
                    $"({Terminal.Plural(row.Epochs, "epoch")}, {row.TrainSeconds:F1} s)"));

            var names = run.Models.Select(m => m.Name).ToList();
            var table = terminal.Table([.. new[] { ">Per class", ">Training images", ">Epochs" }.Concat(names.Select(n => ">" + n))]);
            foreach (var group in rows.GroupBy(r => r.PerClass))
            {
                var first = group.First();
                table.AddRow([SizeLabel(first.PerClass), Terminal.Count(first.TrainCount), first.Epochs.ToString(CultureInfo.InvariantCulture),
                    .. names.Select(n => Percent(group.First(r => r.Name == n).TestAccuracy))]);
            }
            terminal.Write(table);
            WriteCsv(terminal, run.Csv, "per_class,train_images,model,epochs,test_accuracy,train_seconds",
                rows.Select(r => Csv(SizeLabel(r.PerClass), r.TrainCount, r.Name, r.Epochs, r.TestAccuracy, r.TrainSeconds)));
            return ConvolveApp.Success;
        });
        return command;
    }

    private static string SizeLabel(int? perClass) => perClass?.ToString(CultureInfo.InvariantCulture) ?? "all";

    private static string Percent(float accuracy) => (accuracy * 100).ToString("F2", CultureInfo.InvariantCulture) + "%";

    private static string Escape(string text) => Spectre.Console.Markup.Escape(text);

    private static IReadOnlyList<Candidate> ParseModels(string text)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new ArgumentException("--models: no model named.");
        try
        {
            return [.. names.Select(Candidate.Find)];
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--models: {e.Message}");
        }
    }

    private static List<int> ParseInts(string text, string option, int min)
    {
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
                throw new ArgumentException($"{option}: '{part}' is not a whole number (expected a comma-separated list like 0,7,14).");
            if (value < min) throw new ArgumentException($"{option}: {value} is below {min}.");
            values.Add(value);
        }
        return values;
    }

    private static (int, int) ParsePair(string text, string option)
    {
        var values = ParseInts(text, option, min: 0);
        if (values.Count != 2) throw new ArgumentException($"{option}: expected Y,X (two numbers), got '{text}'.");
        return (values[0], values[1]);
    }

    private static (List<int> PerClass, bool IncludeAll) ParseSizes(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool all = parts.Any(p => p.Equals("all", StringComparison.OrdinalIgnoreCase));
        var numbers = parts.Where(p => !p.Equals("all", StringComparison.OrdinalIgnoreCase)).SelectMany(p => ParseInts(p, "--sizes", min: 1)).ToList();
        if (numbers.Count == 0 && !all) throw new ArgumentException("--sizes: no size given.");
        return (numbers, all);
    }

    private static string Csv(params object[] values) =>
        string.Join(",", values.Select(v => v switch
        {
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            double d => d.ToString("0.###", CultureInfo.InvariantCulture),
            string s when s.Contains(',') || s.Contains('"') => "\"" + s.Replace("\"", "\"\"") + "\"",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        }));

    private static void WriteCsv(Terminal terminal, string? path, string header, IEnumerable<string> lines)
    {
        if (path is null) return;
        var text = new StringBuilder(header).Append('\n');
        foreach (var line in lines) text.Append(line).Append('\n');
        Serialization.AtomicFile.Write(path, Encoding.UTF8.GetBytes(text.ToString()));
        terminal.Text($"Results written: {path}");
    }
}
