using System.Globalization;

namespace Convolve.Training;

/// <summary>
/// A training setting that cannot work (a learning rate of infinity, a momentum of 5), refused
/// before any step is taken. <see cref="Setting"/> names it the way <see cref="OptimizerSettings"/>
/// does ("LearningRate"), so that a command line can name its own option instead.
/// </summary>
public sealed class InvalidSettingException : ArgumentException
{
    /// <summary>The message "<paramref name="label"/> must be <paramref name="allowed"/>, got <paramref name="value"/>."</summary>
    /// <param name="setting">The setting's property name, e.g. "LearningRate".</param>
    /// <param name="label">The setting in words, e.g. "The learning rate".</param>
    /// <param name="allowed">The values allowed, in words, e.g. "a finite number above 0".</param>
    /// <param name="value">The value given.</param>
    public InvalidSettingException(string setting, string label, string allowed, double value)
        : base($"{label} must be {allowed}, got {Format(value)}.")
    {
        Setting = setting;
        Label = label;
        Allowed = allowed;
        Value = value;
    }

    /// <summary>The setting's property name, e.g. "LearningRate" or "Momentum".</summary>
    public string Setting { get; }

    /// <summary>The setting in words, e.g. "The learning rate".</summary>
    public string Label { get; }

    /// <summary>The values allowed, in words, e.g. "a finite number above 0".</summary>
    public string Allowed { get; }

    /// <summary>The value given.</summary>
    public double Value { get; }

    internal static string Format(double value) => value.ToString("G7", CultureInfo.InvariantCulture);

    /// <summary>Throws unless <paramref name="value"/> is finite and above 0.</summary>
    internal static void RequirePositive(string setting, string label, double value)
    {
        if (!(double.IsFinite(value) && value > 0)) throw new InvalidSettingException(setting, label, "a finite number above 0", value);
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and 0 or more.</summary>
    internal static void RequireNotNegative(string setting, string label, double value)
    {
        if (!(double.IsFinite(value) && value >= 0)) throw new InvalidSettingException(setting, label, "a finite number of 0 or more", value);
    }

    /// <summary>Throws unless 0 &lt;= <paramref name="value"/> &lt; 1.</summary>
    internal static void RequireFraction(string setting, string label, double value)
    {
        if (!(value >= 0 && value < 1)) throw new InvalidSettingException(setting, label, "in [0, 1)", value);
    }
}
