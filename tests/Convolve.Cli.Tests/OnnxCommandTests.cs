using Convolve.Models;
using Convolve.Onnx;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Cli.Tests;

/// <summary><c>convolve export</c> and <c>convolve import</c>: files written, what they print, what they refuse.</summary>
public sealed class OnnxCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("convolve-onnx-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    [Fact]
    public void ExportThenImport_WritesAnOnnxFile_AndAModelWithTheSameOutputs()
    {
        var model = Architectures.Get("lenet5").Build(seed: 4);
        ModelFile.Save(model, PathOf("lenet5.cvm"));

        var export = CliRunner.Run("export", PathOf("lenet5.cvm"), "--onnx", PathOf("lenet5.onnx"));
        Assert.Equal((0, ""), (export.ExitCode, export.Error));
        long bytes = new FileInfo(PathOf("lenet5.onnx")).Length;
        Assert.Equal($"Wrote {PathOf("lenet5.onnx")} ({bytes:N0} bytes): ONNX opset 13, input 'input' [N, 1, 28, 28], output 'output' [N, 10], " +
            $"{model.Summarize().TotalParameters:N0} parameters.", export.Flat.Trim());
        Assert.Equal("input", OnnxModel.Load(PathOf("lenet5.onnx")).RuntimeInputs.Single().Name);

        var import = CliRunner.Run("import", PathOf("lenet5.onnx"), "--out", PathOf("back.cvm"));
        Assert.Equal((0, ""), (import.ExitCode, import.Error));
        Assert.Contains("lenet5.onnx: imported from ONNX", import.Flat);
        Assert.Contains($"Total parameters: {model.Summarize().TotalParameters:N0}", import.Flat);
        Assert.Contains($"Wrote {PathOf("back.cvm")}.", import.Flat);

        var (back, extras) = ModelFile.Read(PathOf("back.cvm"));
        Assert.Equal("lenet5.onnx", extras.Metadata["imported-from"]);
        var input = new Tensor(new Shape(3, 1, 28, 28));
        var random = new Random(1);
        foreach (ref float v in input.Span) v = (float)random.NextDouble();
        Assert.Equal(model.Forward(input).ToArray(), back.Forward(input).ToArray());
    }

    [Fact]
    public void Import_OfADynamicImageSize_AsksForTheInputShape_ThenUsesIt()
    {
        // A 1x1 convolution exported for 1x4x4 images, then its H and W made symbolic.
        var model = new Sequential(new Layers.Conv2D(1, 2, kernelSize: 1), new Layers.ReLU());
        model.Build(new Shape(1, 4, 4), seed: 1);
        var proto = OnnxExporter.Export(model);
        foreach (int d in (int[])[2, 3])
            proto.Graph.Input[0].Type.TensorType.Shape.Dim[d] = new Onnx.Protos.TensorShapeProto.Types.Dimension { DimParam = "S" };
        File.WriteAllBytes(PathOf("dynamic.onnx"), Google.Protobuf.MessageExtensions.ToByteArray(proto));

        var refused = CliRunner.Run("import", PathOf("dynamic.onnx"), "--out", PathOf("m.cvm"));
        Assert.Equal(ConvolveApp.Failure, refused.ExitCode);
        Assert.Equal($"convolve: {PathOf("dynamic.onnx")}: input 'input' has declared shape [?, 1, ?, ?]; the dimensions after the batch " +
            "must be fixed numbers, or the item shape given (e.g. --input-shape C,H,W).", refused.Error.Trim());
        Assert.False(File.Exists(PathOf("m.cvm")));

        var imported = CliRunner.Run("import", PathOf("dynamic.onnx"), "--out", PathOf("m.cvm"), "--input-shape", "1,6,5");
        Assert.Equal((0, ""), (imported.ExitCode, imported.Error));
        Assert.Equal(new Shape(1, 6, 5), ModelFile.Load(PathOf("m.cvm")).InputShape);

        var bad = CliRunner.Run("import", PathOf("dynamic.onnx"), "--out", PathOf("m.cvm"), "--input-shape", "1,x,5");
        Assert.Equal("convolve: --input-shape: expected positive whole numbers separated by commas (C,H,W), got '1,x,5'.", bad.Error.Trim());
    }

    [Fact]
    public void Import_OfAFileThatIsNotOnnx_SaysSo_ExitCode1()
    {
        File.WriteAllBytes(PathOf("empty.onnx"), []);
        var r = CliRunner.Run("import", PathOf("empty.onnx"), "--out", PathOf("m.cvm"));
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal($"convolve: {PathOf("empty.onnx")}: the file is empty (0 bytes); expected an ONNX model.", r.Error.Trim());
    }

    [Fact]
    public void Export_OfAMissingModel_SaysSo_ExitCode1()
    {
        var r = CliRunner.Run("export", PathOf("none.cvm"), "--onnx", PathOf("none.onnx"));
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal($"convolve: {PathOf("none.cvm")}: no such model file (train one with 'convolve train --out FILE').", r.Error.Trim());
        Assert.False(File.Exists(PathOf("none.onnx")));
    }

    [Fact]
    public void Export_WithoutTheOnnxOption_IsAUsageError()
    {
        var r = CliRunner.Run("export", PathOf("m.cvm"));
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Contains("--onnx", r.Error);
    }
}
