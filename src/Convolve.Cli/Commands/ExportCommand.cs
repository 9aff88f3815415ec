using System.CommandLine;
using Convolve.Onnx;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve export MODEL --onnx FILE</c>: a saved model as an ONNX file for other runtimes.</summary>
internal static class ExportCommand
{
    public static Command Create(Terminal terminal)
    {
        var options = new OptionBinder<Settings>()
            .Argument(s => s.Model, "model", "A model file saved by 'convolve train' or 'convolve import'.")
            .Option(s => s.Onnx, "--onnx",
                $"The ONNX file to write (opset {OnnxExporter.Opset}; input '{OnnxExporter.InputName}', output '{OnnxExporter.OutputName}', any batch size).",
                required: true);
        var command = options.CreateCommand("export", "Write a saved model as an ONNX file (runs in ONNX Runtime, PyTorch, ...).");
        command.SetAction(result => Run(terminal, options.Read(result)));
        return command;
    }

    internal sealed record Settings
    {
        /// <summary>The model file.</summary>
        public string Model { get; init; } = "";
        /// <summary>The ONNX file to write; required.</summary>
        public string Onnx { get; init; } = "";
    }

    internal static int Run(Terminal terminal, Settings s)
    {
        OutputPaths.CheckFile("--onnx", s.Onnx, example: Path.GetFileNameWithoutExtension(s.Model) + ".onnx");
        var model = SavedModel.Load(s.Model).Model;
        var bytes = OnnxExporter.ToBytes(model);
        Serialization.AtomicFile.Write(s.Onnx, bytes);
        var input = model.InputShape.Prepend(1);
        var output = model.GetOutputShape(input);
        terminal.Text($"Wrote {s.Onnx} ({Terminal.Count(bytes.Length)} bytes): ONNX opset {OnnxExporter.Opset}, " +
            $"input '{OnnxExporter.InputName}' {Dims(input)}, output '{OnnxExporter.OutputName}' {Dims(output)}, " +
            $"{Terminal.Count(model.Summarize().TotalParameters)} parameters.");
        return ConvolveApp.Success;
    }

    // [N, 1, 28, 28]: the batch is symbolic in the file.
    private static string Dims(Tensors.Shape shape) => $"[{OnnxExporter.BatchDimension}, {string.Join(", ", shape.Dims[1..].ToArray())}]";
}
