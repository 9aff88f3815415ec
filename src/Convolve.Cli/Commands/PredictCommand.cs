using System.CommandLine;
using Convolve.Data;
using Convolve.Imaging;
using Convolve.Models;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>convolve predict</c>: the most likely classes, with probabilities, for image files. Each
/// image is prepared as the model file says (size, channels, scale, normalisation); what was done
/// to it and anything unusual about it is noted under the table. A file that cannot be used is
/// reported on the error output, once, and makes the exit code non-zero; the others are still
/// predicted.
/// </summary>
internal static class PredictCommand
{
    public static Command Create(Terminal terminal)
    {
        var modelPath = new Argument<string>("model") { Description = "A model file saved by 'convolve train'." };
        var files = new Argument<string[]>("images") { Description = "Image files (PNG, JPEG, ...); each is prepared as the model expects (resized, converted, scaled).", Arity = ArgumentArity.OneOrMore };
        var top = OptionFactory.Int("--top", "How many classes to list per image.", 3);
        var command = new Command("predict", "Classify image files with a saved model.") { modelPath, files, top };
        command.SetAction(result => Run(terminal, result.InvocationConfiguration.Error, result.GetValue(modelPath)!, result.GetValue(files)!, result.GetValue(top)));
        return command;
    }

    internal static int Run(Terminal terminal, TextWriter error, string path, string[] files, int top)
    {
        var saved = SavedModel.Load(path);
        saved.RequireImages();
        var decoder = new SkiaImageDecoder();
        var predictions = new List<(string File, Prediction Prediction)>();
        int failures = 0;
        foreach (string file in files)
        {
            try
            {
                predictions.Add((file, saved.Model.Predict(ModelInput.Decode(decoder, file))));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException or ArgumentException)
            {
                error.WriteLine($"convolve: {ModelInput.NameOnce(file, e.Message)}");
                failures++;
            }
        }
        if (predictions.Count > 0)
        {
            var table = terminal.Table("Image", "Class", ">Probability");
            foreach (var (file, prediction) in predictions)
            {
                float[] probabilities = prediction.Probabilities;
                var ranked = Enumerable.Range(0, probabilities.Length).OrderByDescending(c => probabilities[c]).Take(top).ToList();
                for (int i = 0; i < ranked.Count; i++)
                    table.AddRow(i == 0 ? Markup.Escape(file) : "", Markup.Escape(saved.ClassName(ranked[i])), $"{probabilities[ranked[i]] * 100:F1}%");
            }
            terminal.Write(table);
            var noted = predictions.Where(p => p.Prediction.Preparation.Notes.Count > 0).ToList();
            if (noted.Count > 0)
            {
                terminal.Text("Notes:");
                foreach (var (file, prediction) in noted)
                    terminal.Text($"  {file}: {string.Join("; ", prediction.Preparation.Notes)}.");
            }
        }
        if (failures > 0 && files.Length > 1)
            error.WriteLine($"convolve: {failures} of {Terminal.Plural(files.Length, "image")} could not be used.");
        return failures == 0 ? ConvolveApp.Success : ConvolveApp.Failure;
    }
}
