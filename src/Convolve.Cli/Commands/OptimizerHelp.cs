using System.Globalization;
using Convolve.Training;

namespace Convolve.Cli.Commands;

/// <summary>Help texts of the optimizer options, printed from the defaults the commands use.</summary>
internal static class OptimizerHelp
{
    /// <summary>"--lr" of a command whose SGD default is <paramref name="sgdLearningRate"/> and Adam's the library's.</summary>
    public static string LearningRate(float sgdLearningRate) =>
        $"Learning rate (default {N(sgdLearningRate)} for SGD, {N(OptimizerSettings.DefaultAdamLearningRate)} for Adam/AdamW).";

    /// <summary>"--optimizer" of a command whose SGD runs with the default momentum.</summary>
    public static string Optimizer { get; } = $"sgd (with momentum {N(OptimizerSettings.DefaultMomentum)}), adam or adamw.";

    private static string N(float value) => value.ToString(CultureInfo.InvariantCulture);
}
