using System.CommandLine;
using Convolve.Data;
using Convolve.Imaging;
using Convolve.Tensors;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve predict</c>: the most likely classes, with probabilities, for image files.</summary>
internal static class PredictCommand
{
    public static Command Create(Terminal terminal)
    {
        var modelPath = new Argument<string>("model") { Description = "A model file saved by 'convolve train'." };
        var files = new Argument<string[]>("images") { Description = "Image files (PNG, JPEG, ...); each is resized to the model's input.", Arity = ArgumentArity.OneOrMore };
        var top = OptionFactory.Int("--top", "How many classes to list per image.", 3);
        var command = new Command("predict", "Classify image files with a saved model.") { modelPath, files, top };
        command.SetAction(result => Run(terminal, result.GetValue(modelPath)!, result.GetValue(files)!, result.GetValue(top)));
        return command;
    }

    internal static int Run(Terminal terminal, string path, string[] files, int top)
    {
        var saved = SavedModel.Load(path);
        var shape = saved.Model.InputShape;
        var decoder = new SkiaImageDecoder();
        var input = new Tensor(shape.Prepend(1));
        var softmax = new Layers.Softmax();
        int failures = 0;
        var table = terminal.Table("Image", "Class", ">Probability");
        foreach (string file in files)
        {
            try
            {
                ImageResize.ToTensor(decoder.Decode(file), shape[0], shape[1], shape[2], input.Span);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException)
            {
                terminal.Text($"{file}: {e.Message}");
                failures++;
                continue;
            }
            var output = saved.Model.Forward(input);
            // Models trained for cross-entropy may end in logits; softmax turns them into probabilities.
            float[] probabilities = (saved.Model.Layers[^1] is Layers.Softmax ? output : softmax.Forward(output)).ToArray();
            var ranked = Enumerable.Range(0, probabilities.Length).OrderByDescending(c => probabilities[c]).Take(top).ToList();
            for (int i = 0; i < ranked.Count; i++)
                table.AddRow(i == 0 ? Markup.Escape(file) : "", Markup.Escape(saved.ClassName(ranked[i])), $"{probabilities[ranked[i]] * 100:F1}%");
        }
        terminal.Write(table);
        return failures == 0 ? ConvolveApp.Success : ConvolveApp.Failure;
    }
}
