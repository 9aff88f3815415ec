using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx;
using Convolve.Serialization;
using Convolve.Tensors;
using Google.Protobuf;

namespace Convolve.Cli.Tests;

/// <summary>
/// The command-line probes of the hardening issue for model files, as a user runs them: each gives
/// an answer or a one-line refusal and exit code 1, never "unexpected ...Exception"
/// (coverage's are in LargeInputTests).
/// </summary>
public sealed class HardeningProbeTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-hardening-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static Sequential Small()
    {
        var model = new Sequential(new Conv2D(1, 2, 3), new ReLU(), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 4, 4), seed: 6);
        return model;
    }

    [Fact]
    public void Import_Opset99_PrintsTheWarning()
    {
        var proto = OnnxExporter.Export(Small());
        proto.OpsetImport[0].Version = 99;
        string onnx = Path.Combine(folder, "future.onnx"), cvm = Path.Combine(folder, "future.cvm");
        File.WriteAllBytes(onnx, proto.ToByteArray());

        var r = CliRunner.Run("import", onnx, "--out", cvm);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"convolve: warning: {onnx}: opset 99 is newer than the newest checked, 18; operators may have changed meaning, " +
            "so compare the imported model's outputs with the original's.", r.Error.Trim());
        Assert.True(File.Exists(cvm));
    }

    [Fact]
    public void Summary_OfAModelWithNaNWeights_IsRefusedInOneLine()
    {
        var model = Small();
        model.Parameters.First().Value.Span[0] = float.NaN;
        string path = Path.Combine(folder, "nan.cvm");
        ModelFile.Save(model, path);

        var r = CliRunner.Run("summary", path);

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"convolve: {path}: tensor 'conv2d_1.weight' at byte ", r.Error);
        Assert.Contains("holds 1 non-finite value (NaN or infinity) of 18", r.Error);
        Assert.DoesNotContain("unexpected", r.Error);
    }

    [Fact]
    public void Import_AnOnnxWeightWithADimensionOf2e9_IsRefusedInOneLine()
    {
        var proto = OnnxExporter.Export(Small());
        proto.Graph.Initializer.First(t => t.Dims.Count == 4).Dims[0] = 2_000_000_000;
        string onnx = Path.Combine(folder, "big.onnx");
        File.WriteAllBytes(onnx, proto.ToByteArray());

        var r = CliRunner.Run("import", onnx, "--out", Path.Combine(folder, "big.cvm"));

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"convolve: {onnx}: Conv node '", r.Error);
        Assert.Contains("dimensions [2000000000, 1, 3, 3] hold more than 2,147,483,591 elements", r.Error);
    }
}
