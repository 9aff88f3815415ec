using Convolve.Data;
using Convolve.Imaging;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Cli.Tests.Commands;

/// <summary><c>convolve transfer</c> on a tiny backbone and tiny generated data sets.</summary>
public sealed class TransferCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("convolve-transfer-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    // A "pre-trained" backbone for 1x8x8 images: conv 1->4 3x3, ReLU, global average pool to 4 features.
    private static Sequential Backbone(int channels = 1)
    {
        var model = new Sequential(new Conv2D(channels, 4, 3, padding: 1), new ReLU(), new GlobalAvgPool2D(keepDims: false));
        model.Build(new Shape(channels, 8, 8), seed: 1);
        return model;
    }

    // 12 images bright on the left, then 12 bright on the right, 10x10 uint8, as NumPy would save them.
    private string HalvesNpy()
    {
        var random = new Random(2);
        var pixels = new byte[24 * 10 * 10];
        for (int i = 0; i < 24; i++)
            for (int y = 0; y < 10; y++)
                for (int x = 0; x < 10; x++)
                    pixels[(i * 10 + y) * 10 + x] = (byte)(((x < 5) == (i < 12) ? 200 : 20) + random.Next(30));
        string path = PathOf("halves.npy");
        File.WriteAllBytes(path, Npy.Format("|u1", [24, 10, 10], pixels));
        return path;
    }

    private string OnnxBackbone()
    {
        string path = PathOf("backbone.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(OnnxExporter.Export(Backbone())));
        return path;
    }

    [Fact]
    public void Npy_WithAnOnnxBackbone_PrintsTheComparison_SavesTheModels_AndReusesTheCacheOnASecondRun()
    {
        string backbone = OnnxBackbone(), data = HalvesNpy();
        string[] args = ["transfer", "--backbone", backbone, "--data", data, "--labels", "left:12,right:12", "--epochs", "2", "--batch", "8",
            "--test", "0.25", "--fine-tune-last", "1", "--out", PathOf("head.cvm"), "--combined-out", PathOf("full.cvm")];
        var first = CliRunner.Run(args);
        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.Contains("Backbone: backbone.onnx: input [1, 8, 8], features [4], 40 parameters (frozen), 3 layers", first.Flat);
        Assert.Contains($"Data: {data}: 24 images (12 left, 12 right), 10x10x1; 18 to train, 6 held out (25% of each class, seed 0)", first.Flat);
        Assert.Contains("Backbone features: computed for 24 images in", first.Flat);
        foreach (string row in new[] { "| frozen backbone + head | 4 features |", "| head alone, from scratch | 10x10x1 pixels |",
                     "| seed CNN, from scratch | 10x10x1 pixels |", "| fine-tuned last 1 + head | images |" })
            Assert.Contains(row, System.Text.RegularExpressions.Regex.Replace(first.Output, " +", " "));
        Assert.Contains($"Head saved: {PathOf("head.cvm")} (takes [4, 1, 1] backbone features)", first.Flat);

        var (head, extras) = ModelFile.Read(PathOf("head.cvm"));
        Assert.Equal(new Shape(4, 1, 1), head.InputShape);
        Assert.Equal("left\nright", extras.Metadata["classes"]);
        var full = ModelFile.Load(PathOf("full.cvm"));
        Assert.Equal(new Shape(1, 8, 8), full.InputShape);
        Assert.Equal(new Shape(3, 2), full.Forward(new Tensor(new Shape(3, 1, 8, 8))).Shape);
        var caches = Directory.GetFiles(directory, "head.features-*.npy");
        Assert.Single(caches);

        var second = CliRunner.Run(args);
        Assert.Equal((0, ""), (second.ExitCode, second.Error));
        Assert.Contains($"Backbone features: reused the cache {caches[0]} (same backbone, preprocessing and images)", second.Flat);
        // The same seed and the same features: the same table.
        Assert.Equal(TableOf(first.Output), TableOf(second.Output));
    }

    // The table rows without the time column (times differ between runs).
    private static string[] TableOf(string output) =>
        [.. output.Split('\n').Where(l => l.StartsWith('|')).Select(l => l[..l.TrimEnd().TrimEnd('|').LastIndexOf('|')])];

    [Fact]
    public void ImageFolder_WithACvmBackbone_TrainsOnItsClasses()
    {
        ModelFile.Save(Backbone(), PathOf("backbone.cvm"));
        foreach (var (cls, bright) in new[] { ("dark", false), ("light", true) })
        {
            Directory.CreateDirectory(PathOf(Path.Combine("images", cls)));
            for (int i = 0; i < 5; i++)
            {
                var pixels = Enumerable.Range(0, 36).Select(p => (byte)((bright ? 180 : 30) + (p * 7 + i * 13) % 40)).ToArray();
                SkiaImageEncoder.Save(new DecodedImage(6, 6, 1, pixels), PathOf(Path.Combine("images", cls, $"{i}.png")));
            }
        }
        var r = CliRunner.Run("transfer", "--backbone", PathOf("backbone.cvm"), "--data", PathOf("images"), "--epochs", "1", "--scratch-size", "6,6",
            "--out", PathOf("head.cvm"));
        Assert.Equal((0, ""), (r.ExitCode, r.Error));
        Assert.Contains($"Data: {PathOf("images")}: 10 images (5 dark, 5 light), 6x6x1; 8 to train, 2 held out", r.Flat);
        Assert.True(File.Exists(PathOf("head.cvm")));
    }

    [Fact]
    public void CutAfter_UsesTheFirstLayersOutputsAsFeatures()
    {
        string backbone = OnnxBackbone(), data = HalvesNpy();
        var r = CliRunner.Run("transfer", "--backbone", backbone, "--cut-after", "2", "--data", data, "--labels", "a:12,b:12", "--epochs", "1",
            "--out", PathOf("head.cvm"));
        Assert.Equal((0, ""), (r.ExitCode, r.Error));
        // Conv and ReLU keep the 8x8 map of 4 channels: 256 features.
        Assert.Contains("Backbone: backbone.onnx (first 2 layers): input [1, 8, 8], features [4, 8, 8], 40 parameters (frozen), 2 layers", r.Flat);
        Assert.Contains("| frozen backbone + head | 256 features |", System.Text.RegularExpressions.Regex.Replace(r.Output, " +", " "));

        var all = CliRunner.Run("transfer", "--backbone", backbone, "--cut-after", "3", "--data", data, "--labels", "a:12,b:12");
        Assert.Equal("convolve: --cut-after 3: the backbone has 3 layers; keep fewer to drop some.", all.Error.Trim());
    }

    [Fact]
    public void MissingBackbone_SaysSo()
    {
        var r = CliRunner.Run("transfer", "--backbone", PathOf("missing.onnx"), "--data", HalvesNpy(), "--labels", "a:12,b:12");
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal($"convolve: --backbone {PathOf("missing.onnx")}: no such file.", r.Error.Trim());
    }

    [Fact]
    public void DataOfOneClass_IsRefused_AndNothingIsWritten()
    {
        var r = CliRunner.Run("transfer", "--backbone", OnnxBackbone(), "--data", HalvesNpy(), "--labels", "only:24", "--out", PathOf("head.cvm"));
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal($"convolve: --data {PathOf("halves.npy")}: all 24 images are of one class (only); a classifier needs at least two.", r.Error.Trim());
        Assert.Empty(Directory.GetFiles(directory, "head*"));
    }

    [Fact]
    public void NpyWithoutLabels_AsksForThem()
    {
        var r = CliRunner.Run("transfer", "--backbone", OnnxBackbone(), "--data", HalvesNpy());
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal($"convolve: --data {PathOf("halves.npy")}: say which class each of its 24 images is with --labels " +
            "(a .npy file of class numbers, or runs such as face:100,non-face:100).", r.Error.Trim());
    }

    [Fact]
    public void ABackboneWhoseInputDoesNotFitTheImages_IsRefused()
    {
        ModelFile.Save(Backbone(channels: 2), PathOf("two.cvm"));
        var r = CliRunner.Run("transfer", "--backbone", PathOf("two.cvm"), "--data", HalvesNpy(), "--labels", "a:12,b:12");
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal("convolve: The backbone takes 2-channel inputs [2, 8, 8]; images with 1 channel cannot be converted to that " +
            "(only gray to RGB and RGB to gray).",
            r.Error.Trim());
    }

    [Fact]
    public void FineTuningMoreLayersThanTheBackboneHas_IsRefused()
    {
        var r = CliRunner.Run("transfer", "--backbone", OnnxBackbone(), "--data", HalvesNpy(), "--labels", "a:12,b:12", "--epochs", "1",
            "--fine-tune-last", "3", "--out", PathOf("head.cvm"));
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal("convolve: --fine-tune-last 3: the backbone has only 1 layer holding weights.", r.Error.Trim());
    }
}
