using Convolve.Analysis;

namespace Convolve.Cli.Tests;

public class CommandTests
{
    [Fact]
    public void Params_Defaults_PrintTheArticlesRgbExample()
    {
        var r = CliRunner.Run("params");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Error);
        var dense = ParameterCounts.DenseOnImage(224, 224, 3, 100);
        var conv = ParameterCounts.Conv(3, 3, 3, 64);
        Assert.Matches($@"\|\s+{dense.Weights:N0} \|\s+{dense.Biases:N0} \|", r.Output);
        Assert.Matches($@"\|\s+{conv.Weights:N0} \|\s+{conv.Biases:N0} \|", r.Output);
        Assert.Contains("15,052,800", r.Output);
        Assert.Contains("1,728", r.Output);
    }

    [Fact]
    public void Params_WidthDefaultsToHeight()
    {
        var r = CliRunner.Run("params", "--height", "100", "--channels", "1", "--hidden", "200", "--filters", "1");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("100x100x1 = 10,000 inputs x 200 units", r.Flat);
        Assert.Contains("2,000,000", r.Output);
    }

    [Fact]
    public void Shape_PrintsTheFormulaWithNumbers()
    {
        var r = CliRunner.Run("shape", "--size", "28", "--kernel", "3", "--stride", "2", "--padding", "1");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("= floor((28 + 2*1 - 1*(3-1) - 1) / 2) + 1", r.Output);
        Assert.Contains($"= {OutputSize.Compute(28, 3, 2, 1).Output}", r.Output);
    }

    [Fact]
    public void Shape_Pool_DefaultsTheStrideToTheKernel()
    {
        var r = CliRunner.Run("shape", "--size", "6", "--kernel", "2", "--pool");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Pooling: n = 6, k = 2, s = 2", r.Output);
    }

    [Fact]
    public void Coverage_PrintsTheGridAndItsCorner()
    {
        var r = CliRunner.Run("coverage");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("| 0   | 1 | 2 | 3 | 3 | 2 | 1 |", r.Output);
        Assert.Contains("Corner pixel (0, 0): used 1 time. Fewest uses: 1; most: 9", r.Flat);
    }

    [Fact]
    public void Coverage_WritesAPng()
    {
        string path = Path.Combine(Path.GetTempPath(), $"convolve-cli-test-{Guid.NewGuid():N}.png");
        try
        {
            var r = CliRunner.Run("coverage", "--size", "8", "--padding", "1", "--image", path);
            Assert.Equal(0, r.ExitCode);
            using var bitmap = SkiaSharp.SKBitmap.Decode(path);
            Assert.NotNull(bitmap);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Summary_WithoutName_ListsTheBuiltIns()
    {
        var r = CliRunner.Run("summary");
        Assert.Equal(0, r.ExitCode);
        foreach (var name in new[] { "article", "seed", "lenet5", "mnist-cnn", "mlp" }) Assert.Contains($"| {name} ", r.Output);
    }

    [Fact]
    public void Summary_LeNet5_PrintsTheLayerTableAndTotals()
    {
        var r = CliRunner.Run("summary", "lenet5");
        Assert.Equal(0, r.ExitCode);
        var summary = Models.Architectures.Get("lenet5").Build().Summarize();
        Assert.Contains($"Total parameters: {summary.TotalParameters:N0} ({summary.TotalWeights:N0} weights, {summary.TotalBiases:N0} biases)", r.Output);
        Assert.Contains("Conv2D(1->6, 5x5, padding=2)", r.Output);
    }

    [Fact]
    public void PlainOutput_HasNoEscapeCodes() =>
        Assert.DoesNotContain('\u001b', CliRunner.Run("coverage").Output);
}

public class SummaryFileTests
{
    [Fact]
    public void Summary_OfASavedModelFile_PrintsItsLayers()
    {
        string path = Path.Combine(Path.GetTempPath(), $"convolve-summary-test-{Guid.NewGuid():N}.cvm");
        try
        {
            var model = Models.Architectures.Get("mlp").Build(seed: 3);
            Serialization.ModelFile.Save(model, path);
            var r = CliRunner.Run("summary", path);
            Assert.Equal((0, ""), (r.ExitCode, r.Error));
            var summary = model.Summarize();
            Assert.Contains($"Total parameters: {summary.TotalParameters:N0} ({summary.TotalWeights:N0} weights, {summary.TotalBiases:N0} biases)", r.Flat);
            Assert.Contains("Shapes: 28x28x1 -> 784 -> 100 -> 10", r.Flat);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Summary_OfAFileThatIsNotAModel_SaysSo_ExitCode1()
    {
        string path = Path.Combine(Path.GetTempPath(), $"convolve-summary-test-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllText(path, "hello");
            var r = CliRunner.Run("summary", path);
            Assert.Equal(ConvolveApp.Failure, r.ExitCode);
            Assert.Equal($"convolve: {path}: not a Convolve model file (it does not start with \"CONVOLVE\").", r.Error.TrimEnd());
        }
        finally { File.Delete(path); }
    }
}
