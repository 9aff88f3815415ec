using System.CommandLine;
using System.Globalization;
using Convolve.Onnx;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>convolve import FILE.onnx --out MODEL</c>: an ONNX model as a Convolve model file (a chain as a Sequential, any other graph as a Graph).
/// </summary>
internal static class ImportCommand
{
    public static Command Create(Terminal terminal)
    {
        var options = new OptionBinder<Settings>()
            .Argument(s => s.Onnx, "onnx",
                "An ONNX model of Convolve's operators (Conv, BatchNormalization, pooling, activations, Gemm/MatMul, element-wise and shape operators, " +
                "Add/Concat merges); a chain imports as a Sequential, any other graph as a Graph.")
            .Option(s => s.Output, "--out", "The Convolve model file to write.", required: true)
            .Option(s => s.InputShape, "--input-shape", "The input item shape C,H,W when the ONNX input's dimensions after the batch are not fixed numbers.");
        var command = options.CreateCommand("import", "Read an ONNX model into a Convolve model file, for inference or fine-tuning.");
        command.SetAction(result => Run(terminal, result.InvocationConfiguration.Error, options.Read(result)));
        return command;
    }

    internal sealed record Settings
    {
        /// <summary>The ONNX file to read.</summary>
        public string Onnx { get; init; } = "";
        /// <summary>The model file to write; required.</summary>
        public string Output { get; init; } = "";
        /// <summary>"C,H,W" when the ONNX input does not fix it; else null.</summary>
        public string? InputShape { get; init; }
    }

    internal static int Run(Terminal terminal, TextWriter error, Settings s)
    {
        if (!File.Exists(s.Onnx)) throw new ArgumentException($"{s.Onnx}: no such ONNX file.");
        OutputPaths.CheckFile("--out", s.Output, example: Path.GetFileNameWithoutExtension(s.Onnx) + ".cvm");
        var shape = s.InputShape is null ? (Shape?)null : ParseShape(s.InputShape);
        var model = OnnxImporter.Load(s.Onnx, shape, warning => Warnings.Write(error, terminal, warning));
        var metadata = new Dictionary<string, string> { ["imported-from"] = Path.GetFileName(s.Onnx) };
        ModelFile.Save(model, s.Output, new ModelFileExtras(metadata, new Dictionary<string, Tensor>()));
        SummaryCommand.Print(terminal, ($"{Path.GetFileName(s.Onnx)}: imported from ONNX", model));
        terminal.Text($"Wrote {s.Output}.");
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
