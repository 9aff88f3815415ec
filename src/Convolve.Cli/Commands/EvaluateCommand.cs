using System.CommandLine;
using Convolve.Cli.Pictures;
using Convolve.Data;
using Convolve.Training;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve evaluate</c>: accuracy, per-class precision and recall, and the confusion matrix of a saved model.</summary>
internal static class EvaluateCommand
{
    public static Command Create(Terminal terminal)
    {
        var options = new OptionBinder<Settings>()
            .Argument(s => s.Model, "model", "A model file saved by 'convolve train'.")
            .Option(s => s.Data, "--data", DataOption.Help + " Default: the data set the model was trained on.")
            .Option(s => s.Images, "--images", "Folder to write the confusion matrix as a PNG into.");
        var command = options.CreateCommand("evaluate", "Test a saved model: accuracy, precision and recall per class, confusion matrix.");
        command.SetAction(result => Run(terminal, result.InvocationConfiguration.Error, options.Read(result)));
        return command;
    }

    internal sealed record Settings
    {
        /// <summary>The model file.</summary>
        public string Model { get; init; } = "";
        /// <summary>The data set to test on; null for the one the model was trained on.</summary>
        public string? Data { get; init; }
        /// <summary>Folder for the confusion matrix picture; null for none.</summary>
        public string? Images { get; init; }
    }

    internal static int Run(Terminal terminal, TextWriter error, Settings s)
    {
        if (s.Images is not null) OutputPaths.CheckFolder("--images", s.Images);
        var saved = SavedModel.Load(s.Model);
        string name = s.Data ?? saved.Data ?? Datasets.Digits;
        var test = LoadTestSet(terminal, error, saved, name);
        var optimizer = new Sgd(saved.Model.Parameters); // required by Trainer; evaluation never steps it
        var evaluation = new Trainer(saved.Model, optimizer).Evaluate(test);
        var report = ClassificationReport.From(evaluation, test.ClassNames);

        terminal.Text($"{s.Model} on the {Terminal.Count(test.Count)} test images of '{name}':");
        terminal.Markup($"Accuracy: [bold green]{report.Accuracy * 100:F2}%[/]   (loss {evaluation.Loss:F4})");
        PrintPerClass(terminal, report, test.ClassNames);
        PrintConfusion(terminal, report, test.ClassNames);
        if (s.Images is not null) DrawConfusion(terminal, report, test.ClassCount, s.Images);
        return ConvolveApp.Success;
    }

    // The test images of `name`, checked against the model and prepared as it wants them.
    private static ImageDataset LoadTestSet(Terminal terminal, TextWriter error, SavedModel saved, string name)
    {
        var inputShape = saved.Model.InputShape;
        var preparation = saved.Preparation;
        var test = DataOption.Load(name, terminal, channels: inputShape[0], height: inputShape[1], width: inputShape[2]).Test;
        if (test.ImageShape != inputShape)
            throw new ArgumentException(
                $"{saved.Path}: the model takes {inputShape.ToImageString()} images, but '{name}' has {test.ImageShape.ToImageString()}.");
        var outputShape = saved.Model.GetOutputShape(inputShape.Prepend(1));
        if (outputShape[^1] != test.ClassCount)
            throw new ArgumentException($"{saved.Path}: the model has {outputShape[^1]} outputs, but '{name}' has {test.ClassCount} classes.");
        if (saved.ClassNames is { } modelClasses && !modelClasses.SequenceEqual(test.ClassNames))
            Warnings.Write(error, terminal, $"the model's classes are {Warnings.Brief(modelClasses)}, the data's are {Warnings.Brief(test.ClassNames)}: " +
                "accuracy compares class indices only.");
        // The data set holds 0..1 values; the model may want them scaled or normalised (a transfer model).
        return preparation.Apply(test);
    }

    private static void PrintPerClass(Terminal terminal, ClassificationReport report, IReadOnlyList<string> classNames)
    {
        var perClass = terminal.Table("Class", ">Precision", ">Recall", ">F1", ">Images");
        for (int c = 0; c < classNames.Count; c++)
            perClass.AddRow(Markup.Escape(classNames[c]), $"{report.Precision[c] * 100:F1}%", $"{report.Recall[c] * 100:F1}%", $"{report.F1(c) * 100:F1}%",
                Terminal.Count(report.Support[c]));
        terminal.Write(perClass);
    }

    private static void PrintConfusion(Terminal terminal, ClassificationReport report, IReadOnlyList<string> classNames)
    {
        terminal.Text("Confusion matrix (rows: true class, columns: predicted):");
        var headers = new List<string> { "" };
        headers.AddRange(classNames.Select(n => ">" + n));
        var matrix = terminal.Table([.. headers]);
        for (int r = 0; r < classNames.Count; r++)
        {
            var cells = new List<string> { Markup.Escape(classNames[r]) };
            for (int c = 0; c < classNames.Count; c++)
            {
                string count = Terminal.Count(report.Confusion[r, c]);
                cells.Add(report.Confusion[r, c] == 0 ? "[grey]0[/]" : r == c ? $"[green]{count}[/]" : $"[red]{count}[/]");
            }
            matrix.AddRow([.. cells]);
        }
        terminal.Write(matrix);
    }

    private static void DrawConfusion(Terminal terminal, ClassificationReport report, int classCount, string folder)
    {
        Directory.CreateDirectory(folder);
        string png = System.IO.Path.Combine(folder, "confusion.png");
        var values = new float[classCount, classCount];
        int largest = 1;
        for (int r = 0; r < classCount; r++)
            for (int c = 0; c < classCount; c++)
            {
                values[r, c] = report.Confusion[r, c];
                largest = Math.Max(largest, report.Confusion[r, c]);
            }
        HeatMap.Write(png, new HeatPanel(values, new SequentialScale(0, largest), "confusion: rows true, columns predicted"));
        terminal.Text($"Confusion matrix picture: {png}");
    }
}
