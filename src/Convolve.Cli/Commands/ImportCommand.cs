using System.CommandLine;
using System.Globalization;
using Convolve.Onnx;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve import FILE.onnx --out MODEL</c>: an ONNX model as a Convolve model file (a chain as a Sequential, any other graph as a Graph).</summary>
internal static class ImportCommand
{
    public static Command Create(Terminal terminal)
    {
        var onnxPath = new Argument<string>("onnx") { Description = "An ONNX model of Convolve's operators (Conv, BatchNormalization, pooling, activations, Gemm/MatMul, element-wise and shape operators, Add/Concat merges); a chain imports as a Sequential, any other graph as a Graph." };
        var output = new Option<string>("--out") { Description = "The Convolve model file to write.", Required = true };
        var inputShape = new Option<string?>("--input-shape")
        {
            Description = "The input item shape C,H,W when the ONNX input's dimensions after the batch are not fixed numbers.",
        };
        var command = new Command("import", "Read an ONNX model into a Convolve model file, for inference or fine-tuning.") { onnxPath, output, inputShape };
        command.SetAction(result => Run(terminal, result.InvocationConfiguration.Error, result.GetValue(onnxPath)!, result.GetValue(output)!, result.GetValue(inputShape)));
        return command;
    }

    internal static int Run(Terminal terminal, TextWriter error, string onnxPath, string outputPath, string? inputShape)
    {
        if (!File.Exists(onnxPath)) throw new ArgumentException($"{onnxPath}: no such ONNX file.");
        OutputPaths.CheckFile("--out", outputPath, example: Path.GetFileNameWithoutExtension(onnxPath) + ".cvm");
        var shape = inputShape is null ? (Shape?)null : ParseShape(inputShape);
        var model = OnnxImporter.Load(onnxPath, shape, warning => Warnings.Write(error, terminal, warning));
        var metadata = new Dictionary<string, string> { ["imported-from"] = Path.GetFileName(onnxPath) };
        ModelFile.Save(model, outputPath, new ModelFileExtras(metadata, new Dictionary<string, Tensor>()));
        SummaryCommand.Print(terminal, ($"{Path.GetFileName(onnxPath)}: imported from ONNX", model));
        terminal.Text($"Wrote {outputPath}.");
        return ConvolveApp.Success;
    }

    /// <summary>"3,224,224" as a shape; anything else is an error naming the option.</summary>
    internal static Shape ParseShape(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) || dims[i] <= 0)
                throw new ArgumentException($"--input-shape: expected positive whole numbers separated by commas (C,H,W), got '{text}'.");
        return new Shape(dims);
    }
}
