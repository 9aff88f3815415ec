using Convolve.Cli.Commands;

namespace Convolve.Cli.Tests;

/// <summary><c>convolve train</c> when training cannot work or goes wrong: refused, stopped or failed, with a reason and a distinct exit code.</summary>
public sealed class TrainingDiagnosticsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-cli-diag-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    [Theory]
    [InlineData("--lr", "Infinity", "convolve: --lr must be a finite number above 0, got Infinity.")]
    [InlineData("--lr", "NaN", "convolve: --lr must be a finite number above 0, got NaN.")]
    [InlineData("--lr", "0", "convolve: --lr must be a finite number above 0, got 0.")]
    [InlineData("--lr", "-0.5", "convolve: --lr must be a finite number above 0, got -0.5.")]
    [InlineData("--momentum", "5", "convolve: --momentum must be in [0, 1), got 5.")]
    [InlineData("--momentum", "1", "convolve: --momentum must be in [0, 1), got 1.")]
    [InlineData("--weight-decay", "-1", "convolve: --weight-decay must be a finite number of 0 or more, got -1.")]
    public void SettingsThatCannotWork_AreRefusedBeforeAnyDataLoads(string option, string value, string message)
    {
        string model = PathOf("m.cvm");
        var result = CliRunner.Run("train", option, value, "--epochs", "1", "--out", model);
        Assert.Equal(ConvolveApp.Failure, result.ExitCode);
        Assert.Equal(message, result.Error.Trim());
        Assert.Equal("", result.Output); // not even the header: nothing was loaded or built
        Assert.False(File.Exists(model));
    }

    [Theory]
    [InlineData("--lr", "Infinity", "convolve: --lr must be a finite number above 0, got Infinity.")]
    [InlineData("--fine-tune-lr", "-1", "convolve: --fine-tune-lr must be a finite number above 0, got -1.")]
    public void Transfer_RefusesTheSameSettings_BeforeReadingItsFiles(string option, string value, string message)
    {
        var result = CliRunner.Run("transfer", "--backbone", PathOf("missing.cvm"), "--data", PathOf("missing"), option, value, "--out", PathOf("head.cvm"));
        Assert.Equal(ConvolveApp.Failure, result.ExitCode);
        Assert.Equal(message, result.Error.Trim());
    }

    [Fact]
    public void AHugeLearningRate_StopsWithExitCode3_NamesTheLayer_AndSavesNothing()
    {
        string model = PathOf("m.cvm");
        var result = CliRunner.Run("train", "--lr", "1e30", "--epochs", "1", "--limit", "300", "--out", model);

        Assert.Equal(TrainingDiagnosticsView.Diverged, result.ExitCode);
        Assert.Equal(3, TrainingDiagnosticsView.Diverged);
        Assert.Contains("Error: training stopped in epoch 1. The loss became NaN at step 2: " +
            "the output of dense_1 (Dense(5408->10)) was the first to overflow", result.Flat);
        Assert.Contains("Training diverged: the learning rate (1e+30) is too large.", result.Flat);
        Assert.Matches(@"A learning-rate range test on this model and data suggests --lr 0\.0\d+\.", result.Flat);
        Assert.Contains("The model was not saved (no epoch had finished, so there is no checkpoint).", result.Flat);
        Assert.False(File.Exists(model));
        Assert.DoesNotContain("Test accuracy", result.Output);
    }

    [Fact]
    public void ALearningRateThatDivergesWithoutOverflowing_FailsWithExitCode4_AndSaysWhy()
    {
        string model = PathOf("m.cvm");
        var result = CliRunner.Run("train", "--lr", "100", "--epochs", "1", "--limit", "1000", "--out", model);

        Assert.Equal(TrainingDiagnosticsView.LearnedNothing, result.ExitCode);
        Assert.Contains("Warning: ", result.Output);
        Assert.Matches(@"Error: After epoch 1 the validation accuracy \([0-9.]+%\) is no better than always answering the most common class, " +
            @"'\d' \([0-9.]+% of the validation images\), and the loss rose", result.Flat);
        Assert.Contains("training diverged.", result.Flat);
        Assert.Matches(@"suggests --lr 0\.0\d+\.", result.Flat);
    }

    [Fact]
    public void FindLr_PrintsASuggestionAndTheCurve_WithoutTraining()
    {
        string model = PathOf("m.cvm");
        var result = CliRunner.Run("train", "--find-lr", "--limit", "1000", "--out", model, "--curves", PathOf("curves"));

        Assert.True(result.ExitCode == 0, result.Error + result.Output);
        var suggestion = System.Text.RegularExpressions.Regex.Match(result.Output, @"Suggested learning rate: ([0-9.e-]+)");
        Assert.True(suggestion.Success, result.Output);
        Assert.InRange(double.Parse(suggestion.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1e-3, 0.5);
        Assert.Contains("| learning rate | loss (smoothed) |", result.Output);
        Assert.DoesNotContain("Epoch 1", result.Output);
        Assert.False(File.Exists(model));
        Assert.True(File.ReadAllLines(PathOf("curves/lr-find.csv")).Length > 20);
        Assert.True(new FileInfo(PathOf("curves/lr-find.png")).Length > 1000);
    }
}
