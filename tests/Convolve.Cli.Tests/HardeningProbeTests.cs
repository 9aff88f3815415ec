using System.Diagnostics;
using Google.Protobuf;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Cli.Tests;

/// <summary>
/// The command-line probes of the hardening issue, as a user runs them: each gives an answer or a
/// one-line refusal and exit code 1, never "unexpected ...Exception".
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
    public void Coverage_Size100000_AnswersInWellUnderASecond()
    {
        var clock = Stopwatch.StartNew();
        var r = CliRunner.Run("coverage", "--size", "100000");
        clock.Stop();

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("A 3x3 filter over a 100000x100000 image, stride 1, padding 0: 99998x99998 window positions", r.Flat);
        Assert.Contains("Fewest uses: 1; most: 9", r.Flat);
        Assert.Contains("All uses add up to 89,996,400,036", r.Flat);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Coverage_AboveTheLimit_IsRefusedInOneLine()
    {
        var r = CliRunner.Run("coverage", "--size", "2000000");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("convolve: an image of 2000000x2000000 is larger than this computes: each side can be at most 1,000,000 pixels.", r.Error.Trim());
    }

    [Fact]
    public void Coverage_ImageOfAHugeGrid_IsRefusedBeforeCounting()
    {
        var r = CliRunner.Run("coverage", "--size", "100000", "--image", Path.Combine(folder, "c.png"));
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("convolve: --image: a 100000x100000 grid is too large to draw", r.Error);
        Assert.False(File.Exists(Path.Combine(folder, "c.png")));
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
        Assert.Contains($"Warning: {onnx}: opset 99 is newer than the newest checked, 18; operators may have changed meaning", r.Flat);
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
