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
        var options = new OptionBinder<Settings>()
            .Argument(s => s.Model, "model", "A model file saved by 'convolve train'.")
            .Argument(s => s.Images, "images",
                "Image files (PNG, JPEG, ...); each is prepared as the model expects (resized, converted, scaled).", ArgumentArity.OneOrMore)
            .Option(s => s.Top, "--top", "How many classes to list per image.");
        var command = options.CreateCommand("predict", "Classify image files with a saved model.");
        command.SetAction(result => Run(terminal, result.InvocationConfiguration.Error, options.Read(result)));
        return command;
    }

    internal sealed record Settings
    {
        /// <summary>The model file.</summary>
        public string Model { get; init; } = "";
        /// <summary>The image files to classify.</summary>
        public string[] Images { get; init; } = [];
        /// <summary>How many classes to list per image.</summary>
        public int Top { get; init; } = 3;
    }

    internal static int Run(Terminal terminal, TextWriter error, Settings s)
    {
        var saved = SavedModel.Load(s.Model);
        saved.RequireImages();
        var decoder = new SkiaImageDecoder();
        var predictions = new List<(string File, Prediction Prediction)>();
        int failures = 0;
        foreach (string file in s.Images)
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
                var ranked = Enumerable.Range(0, probabilities.Length).OrderByDescending(c => probabilities[c]).Take(s.Top).ToList();
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
        if (failures > 0 && s.Images.Length > 1)
            error.WriteLine($"convolve: {failures} of {Terminal.Plural(s.Images.Length, "image")} could not be used.");
        return failures == 0 ? ConvolveApp.Success : ConvolveApp.Failure;
    }
}
