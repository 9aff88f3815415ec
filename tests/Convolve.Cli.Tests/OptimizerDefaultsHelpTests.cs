using System.Globalization;
using Convolve.Training;
using Convolve.Transfer;

namespace Convolve.Cli.Tests;

/// <summary>The commands' help prints the optimizer defaults they use, read from the library's one source.</summary>
public class OptimizerDefaultsHelpTests
{
    private static string N(float value) => value.ToString(CultureInfo.InvariantCulture);

    private static string LearningRateHelp(params string[] command)
    {
        var r = CliRunner.Run([.. command, "--lr"]);
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        return Assert.Single(r.Error.Split('\n'), l => l.StartsWith("convolve: --lr needs a value", StringComparison.Ordinal)).TrimEnd('\r');
    }

    [Theory]
    [InlineData("train")]
    [InlineData("experiment", "ann-vs-cnn")]
    public void TrainAndExperiments_ShowTheLibrarysSgdAndAdamRates(params string[] command)
    {
        Assert.Equal($"convolve: --lr needs a value: Learning rate (default {N(OptimizerSettings.DefaultSgdLearningRate)} for SGD, " +
            $"{N(OptimizerSettings.DefaultAdamLearningRate)} for Adam/AdamW).", LearningRateHelp(command));
    }

    [Fact]
    public void Transfer_ShowsItsOwnSgdRate_AndTheLibrarysAdamRate()
    {
        Assert.Equal($"convolve: --lr needs a value: Learning rate (default {N(TransferOptions.DefaultSgdLearningRate)} for SGD, " +
            $"{N(OptimizerSettings.DefaultAdamLearningRate)} for Adam/AdamW).", LearningRateHelp("transfer"));
    }

    [Fact]
    public void Train_ShowsTheLibrarysMomentum()
    {
        var r = CliRunner.Run("train", "--help");
        string line = Assert.Single(r.Output.Split('\n'), l => l.TrimStart().StartsWith("--momentum", StringComparison.Ordinal));
        Assert.EndsWith($"[default: {N(OptimizerSettings.DefaultMomentum)}]", line.TrimEnd());
    }

    [Theory]
    [InlineData("experiment", "ann-vs-cnn")]
    [InlineData("transfer")]
    public void OptimizerHelp_ShowsTheLibrarysMomentum(params string[] command)
    {
        var r = CliRunner.Run([.. command, "--help"]);
        Assert.Contains($"sgd (with momentum {N(OptimizerSettings.DefaultMomentum)}), adam or adamw.", r.Flat);
    }
}
