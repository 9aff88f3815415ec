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

    /// <summary>The options every experiment has, created fresh for each subcommand.</summary>
    private sealed class CommonOptions
    {
        public readonly Option<string> Data = new("--data") { Description = DataOption.Help, DefaultValueFactory = _ => Datasets.Digits };
        public readonly Option<int> Epochs;
        public readonly Option<int> Batch;
        public readonly Option<OptimizerKind> Optimizer = new("--optimizer") { Description = OptimizerHelp.Optimizer, DefaultValueFactory = _ => OptimizerKind.Sgd };
        public readonly Option<float?> LearningRate = new("--lr") { Description = OptimizerHelp.LearningRate(OptimizerSettings.DefaultSgdLearningRate) };
        public readonly Option<int> Seed = OptionFactory.Int("--seed", "Seed of initialisation, shuffling and subsets: the same seed repeats a run exactly.", 0, min: 0);
        public readonly Option<int?> TrainPerClass;
        public readonly Option<int?> TestPerClass;
        public readonly Option<string> Models;
        public readonly Option<string?> Csv = new("--csv") { Description = "Also write the results to this CSV file." };

        public CommonOptions(int epochs, int batch, int? trainPerClass, int? testPerClass, IEnumerable<Candidate> models)
        {
            Epochs = OptionFactory.Int("--epochs", "Passes over the training images.", epochs);
            Batch = OptionFactory.Int("--batch", "Images per optimisation step.", batch);
            TrainPerClass = PerClass("--train-per-class", "Training images per class, drawn at random with the seed", trainPerClass);
            TestPerClass = PerClass("--test-per-class", "Test images per class, drawn at random with the seed", testPerClass);
            Models = new Option<string>("--models")
            {
                Description = $"Comma-separated models to compare: {string.Join(", ", Candidate.All.Select(c => c.Name))}.",
                DefaultValueFactory = _ => string.Join(",", models.Select(m => m.Name)),
            };
        }

        private static Option<int?> PerClass(string name, string description, int? defaultValue)
        {
            var option = OptionFactory.OptionalInt(name, $"{description} (default: {(defaultValue is { } d ? d.ToString(CultureInfo.InvariantCulture) : "all")}).");
            if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
            return option;
        }

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Data, Epochs, Batch, Optimizer, LearningRate, Seed, TrainPerClass, TestPerClass, Models, Csv })
                command.Options.Add(option);
        }

        public Run Read(ParseResult result) => new(result.GetValue(Data)!, result.GetValue(TrainPerClass), result.GetValue(TestPerClass),
            ParseModels(result.GetValue(Models)!), result.GetValue(Csv),
            new ExperimentSettings(result.GetValue(Epochs), result.GetValue(Batch), result.GetValue(Seed),
                new OptimizerSettings(result.GetValue(Optimizer),
                    result.GetValue(LearningRate) ?? OptimizerSettings.DefaultLearningRate(result.GetValue(Optimizer)))));
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
        var common = new CommonOptions(epochs: 3, batch: 64, trainPerClass: null, testPerClass: null, AnnVsCnn.DefaultCandidates);
        var command = new Command("ann-vs-cnn", "A fully connected network (mlp) against a CNN (seed) on the same digits: parameters, test accuracy, training time.");
        common.AddTo(command);
        command.SetAction(result =>
        {
            var run = common.Read(result);
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
        var defaults = TranslationOptions.Default;
        var common = new CommonOptions(epochs: 4, batch: 16, trainPerClass: 200, testPerClass: 50, Translation.DefaultCandidates);
        var canvas = OptionFactory.Int("--canvas", "Side of the square canvas the digits are placed on, in pixels.", defaults.CanvasSize);
        var trainAt = new Option<string>("--train-at") { Description = "Where the training digits' top-left corner is, as Y,X.", DefaultValueFactory = _ => $"{defaults.TrainTop},{defaults.TrainLeft}" };
        var offsets = new Option<string>("--offsets") { Description = "Comma-separated test offsets, used for both Y and X.", DefaultValueFactory = _ => string.Join(",", defaults.TestOffsets) };
        var diagonal = new Option<bool>("--diagonal") { Description = "Test only the offsets (d, d) instead of every (Y, X) pair." };
        var augment = new Option<bool>("--augment") { Description = "Also train each model on centred digits shifted at random each epoch (random-shift augmentation)." };
        var command = new Command("translation",
            "Train with every digit at one place of a larger canvas, test with the digits moved: accuracy by offset for an MLP, a CNN with a dense head and a CNN with a global-average-pooling head.")
        { canvas, trainAt, offsets, diagonal, augment };
        common.AddTo(command);
        command.SetAction(result =>
        {
            var run = common.Read(result);
            var (top, left) = ParsePair(result.GetValue(trainAt)!, "--train-at");
            var options = new TranslationOptions(result.GetValue(canvas), top, left, ParseInts(result.GetValue(offsets)!, "--offsets", min: 0),
                result.GetValue(diagonal), result.GetValue(augment));
            var (train, test) = run.Load(terminal);
            terminal.Heading("Translation: digits trained in one place, tested elsewhere");
            terminal.Text(run.Describe(train, test));
            terminal.Text($"Canvas {options.CanvasSize}x{options.CanvasSize}; training digits at (y {top}, x {left}); " +
                $"test offsets {string.Join(", ", options.TestOffsets)}{(options.DiagonalOnly ? " (diagonal)" : " (every y, x pair)")}.");
            var rows = Translation.Run(train, test, run.Models, options, run.Settings,
                row => terminal.Text($"  {row.Name} trained {row.TrainingPlacement}: {Percent(row.Accuracy[0])} at ({row.Offsets[0].Top}, {row.Offsets[0].Left}), worst {Percent(row.Worst)} ({row.TrainSeconds:F1} s)"));

            var summary = terminal.Table("Model", "Trained with digits", ">Parameters", ">At training place", ">Mean", ">Worst", ">Training time");
            foreach (var row in rows)
            {
                float? home = row.Training == TranslationTraining.FixedPosition ? row.At(top, left) : null;
                summary.AddRow(Escape(row.Name), Escape(row.TrainingPlacement), Terminal.Count(row.Parameters),
                    home is { } h ? Percent(h) : "-", Percent(row.Mean), Percent(row.Worst), $"{row.TrainSeconds:F1} s");
            }
            terminal.Write(summary);

            if (options.DiagonalOnly)
            {
                var table = terminal.Table([.. new[] { "Model", "Trained with digits" }.Concat(options.TestOffsets.Select(d => $">({d}, {d})"))]);
                foreach (var row in rows) table.AddRow([Escape(row.Name), Escape(row.TrainingPlacement), .. row.Accuracy.Select(a => Percent(a))]);
                terminal.Text("Test accuracy with the digits' top-left corner at (y, x):");
                terminal.Write(table);
            }
            else
            {
                foreach (var row in rows)
                {
                    terminal.Text($"{row.Name}, trained with digits {row.TrainingPlacement}: test accuracy by offset (rows y, columns x)");
                    var grid = terminal.Table([.. new[] { "y \\ x" }.Concat(options.TestOffsets.Select(d => ">" + d))]);
                    foreach (int y in options.TestOffsets)
                        grid.AddRow([y.ToString(CultureInfo.InvariantCulture), .. options.TestOffsets.Select(x => Percent(row.At(y, x)!.Value))]);
                    terminal.Write(grid);
                }
            }
            WriteCsv(terminal, run.Csv, "model,training,offset_y,offset_x,test_accuracy",
                rows.SelectMany(r => r.Offsets.Select((o, i) => Csv(r.Name, r.TrainingPlacement, o.Top, o.Left, r.Accuracy[i]))));
            return ConvolveApp.Success;
        });
        return command;
    }

    private static Command DataSizeCommand(Terminal terminal)
    {
        var common = new CommonOptions(epochs: 3, batch: 64, trainPerClass: null, testPerClass: null, AnnVsCnn.DefaultCandidates);
        var sizes = new Option<string>("--sizes")
        {
            Description = "Comma-separated training images per class; 'all' for the whole training set.",
            DefaultValueFactory = _ => string.Join(",", DataSize.DefaultSizes) + ",all",
        };
        var minSteps = OptionFactory.Int("--min-steps", "Train small sets for more epochs, so that every run takes at least this many optimisation steps.", 300, min: 0);
        var command = new Command("data-size", "Test accuracy against the number of training images per class, ANN against CNN.") { sizes, minSteps };
        common.AddTo(command);
        command.SetAction(result =>
        {
            var run = common.Read(result);
            var (perClass, includeAll) = ParseSizes(result.GetValue(sizes)!);
            int steps = result.GetValue(minSteps);
            var (train, test) = run.Load(terminal);
            terminal.Heading("Test accuracy against training set size");
            terminal.Text(run.Describe(train, test, $"{Terminal.Plural(run.Settings.Epochs, "epoch")} or more (at least {Terminal.Plural(steps, "step")})"));
            var rows = DataSize.Run(train, test, run.Models, perClass, includeAll, run.Settings, steps,
                row => terminal.Text($"  {(row.PerClass is { } n ? $"{n} per class" : "all images")}, {row.Name}: {Percent(row.TestAccuracy)} ({Terminal.Plural(row.Epochs, "epoch")}, {row.TrainSeconds:F1} s)"));

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
