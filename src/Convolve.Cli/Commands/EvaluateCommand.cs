using System.CommandLine;
using Convolve.Cli.Pictures;
using Convolve.Training;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve evaluate</c>: accuracy, per-class precision and recall, and the confusion matrix of a saved model.</summary>
internal static class EvaluateCommand
{
    public static Command Create(Terminal terminal)
    {
        var modelPath = new Argument<string>("model") { Description = "A model file saved by 'convolve train'." };
        var data = new Option<string?>("--data") { Description = DataOption.Help + " Default: the data set the model was trained on." };
        var images = new Option<string?>("--images") { Description = "Folder to write the confusion matrix as a PNG into." };
        var command = new Command("evaluate", "Test a saved model: accuracy, precision and recall per class, confusion matrix.") { modelPath, data, images };
        command.SetAction(result => Run(terminal, result.InvocationConfiguration.Error, result.GetValue(modelPath)!, result.GetValue(data), result.GetValue(images)));
        return command;
    }

    internal static int Run(Terminal terminal, TextWriter error, string path, string? dataName, string? imagesFolder)
    {
        if (imagesFolder is not null) OutputPaths.CheckFolder("--images", imagesFolder);
        var saved = SavedModel.Load(path);
        var preparation = saved.Preparation;
        string name = dataName ?? saved.Data ?? Data.Datasets.Digits;
        var test = DataOption.Load(name, terminal, channels: saved.Model.InputShape[0], height: saved.Model.InputShape[1], width: saved.Model.InputShape[2]).Test;
        if (test.ImageShape != saved.Model.InputShape)
            throw new ArgumentException($"{path}: the model takes {saved.Model.InputShape.ToImageString()} images, but '{name}' has {test.ImageShape.ToImageString()}.");
        var outputShape = saved.Model.GetOutputShape(saved.Model.InputShape.Prepend(1));
        if (outputShape[^1] != test.ClassCount)
            throw new ArgumentException($"{path}: the model has {outputShape[^1]} outputs, but '{name}' has {test.ClassCount} classes.");
        if (saved.ClassNames is { } modelClasses && !modelClasses.SequenceEqual(test.ClassNames))
            Warnings.Write(error, terminal, $"the model's classes are {Warnings.Brief(modelClasses)}, the data's are {Warnings.Brief(test.ClassNames)}: accuracy compares class indices only.");
        // The data set holds 0..1 values; the model may want them scaled or normalised (a transfer model).
        test = preparation.Apply(test);

        var optimizer = new Sgd(saved.Model.Parameters); // required by Trainer; evaluation never steps it
        var evaluation = new Trainer(saved.Model, optimizer).Evaluate(test);
        var report = ClassificationReport.From(evaluation, test.ClassNames);

        terminal.Text($"{path} on the {Terminal.Count(test.Count)} test images of '{name}':");
        terminal.Markup($"Accuracy: [bold green]{report.Accuracy * 100:F2}%[/]   (loss {evaluation.Loss:F4})");
        var perClass = terminal.Table("Class", ">Precision", ">Recall", ">F1", ">Images");
        for (int c = 0; c < test.ClassCount; c++)
            perClass.AddRow(Markup.Escape(test.ClassNames[c]), $"{report.Precision[c] * 100:F1}%", $"{report.Recall[c] * 100:F1}%", $"{report.F1(c) * 100:F1}%", Terminal.Count(report.Support[c]));
        terminal.Write(perClass);

        terminal.Text("Confusion matrix (rows: true class, columns: predicted):");
        var headers = new List<string> { "" };
        headers.AddRange(test.ClassNames.Select(n => ">" + n));
        var matrix = terminal.Table([.. headers]);
        for (int r = 0; r < test.ClassCount; r++)
        {
            var cells = new List<string> { Markup.Escape(test.ClassNames[r]) };
            for (int c = 0; c < test.ClassCount; c++)
            {
                string count = Terminal.Count(report.Confusion[r, c]);
                cells.Add(report.Confusion[r, c] == 0 ? "[grey]0[/]" : r == c ? $"[green]{count}[/]" : $"[red]{count}[/]");
            }
            matrix.AddRow([.. cells]);
        }
        terminal.Write(matrix);

        if (imagesFolder is not null)
        {
            Directory.CreateDirectory(imagesFolder);
            string png = System.IO.Path.Combine(imagesFolder, "confusion.png");
            var values = new float[test.ClassCount, test.ClassCount];
            int largest = 1;
            for (int r = 0; r < test.ClassCount; r++)
            for (int c = 0; c < test.ClassCount; c++)
            {
                values[r, c] = report.Confusion[r, c];
                largest = Math.Max(largest, report.Confusion[r, c]);
            }
            HeatMap.Write(png, new HeatPanel(values, new SequentialScale(0, largest), "confusion: rows true, columns predicted"));
            terminal.Text($"Confusion matrix picture: {png}");
        }
        return ConvolveApp.Success;
    }
}
