using System.CommandLine;
using Convolve.Onnx;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve export MODEL --onnx FILE</c>: a saved model as an ONNX file for other runtimes.</summary>
internal static class ExportCommand
{
    public static Command Create(Terminal terminal)
    {
        var modelPath = new Argument<string>("model") { Description = "A model file saved by 'convolve train' or 'convolve import'." };
        var onnx = new Option<string>("--onnx")
        {
            Description = $"The ONNX file to write (opset {OnnxExporter.Opset}; input '{OnnxExporter.InputName}', output '{OnnxExporter.OutputName}', any batch size).",
            Required = true,
        };
        var command = new Command("export", "Write a saved model as an ONNX file (runs in ONNX Runtime, PyTorch, ...).") { modelPath, onnx };
        command.SetAction(result => Run(terminal, result.GetValue(modelPath)!, result.GetValue(onnx)!));
        return command;
    }

    internal static int Run(Terminal terminal, string path, string onnxPath)
    {
        OutputPaths.CheckFile("--onnx", onnxPath, example: Path.GetFileNameWithoutExtension(path) + ".onnx");
        var model = SavedModel.Load(path).Model;
        var bytes = OnnxExporter.ToBytes(model);
        Serialization.AtomicFile.Write(onnxPath, bytes);
        var input = model.InputShape.Prepend(1);
        var output = model.GetOutputShape(input);
        terminal.Text($"Wrote {onnxPath} ({Terminal.Count(bytes.Length)} bytes): ONNX opset {OnnxExporter.Opset}, " +
            $"input '{OnnxExporter.InputName}' {Dims(input)}, output '{OnnxExporter.OutputName}' {Dims(output)}, " +
            $"{Terminal.Count(model.Summarize().TotalParameters)} parameters.");
        return ConvolveApp.Success;
    }

    // [N, 1, 28, 28]: the batch is symbolic in the file.
    private static string Dims(Tensors.Shape shape) => $"[{OnnxExporter.BatchDimension}, {string.Join(", ", shape.Dims[1..].ToArray())}]";
}
