using System.CommandLine;

namespace Convolve.Cli.Commands;

/// <summary>Integer options whose range is checked while parsing, so a bad value is reported with the option's name.</summary>
internal static class OptionFactory
{
    /// <summary>An integer option that must be at least <paramref name="min"/>.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min = 1)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
        };
        AddMinimum(option, min);
        return option;
    }

    /// <summary>An optional integer option (null when absent) that must be at least <paramref name="min"/>.</summary>
    public static Option<int?> OptionalInt(string name, string description, int min = 1)
    {
        var option = new Option<int?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (Given(result) is { } value && value < min) result.AddError(RangeMessage(name, min, value));
        });
        return option;
    }

    private static void AddMinimum(Option<int> option, int min) =>
        option.Validators.Add(result =>
        {
            if (Given(result) is { } value && value < min) result.AddError(RangeMessage(option.Name, min, value));
        });

    // The value typed on the command line, or null when the option was not given or is not a
    // number (the parser reports that error itself; reading the value here would throw).
    private static int? Given(System.CommandLine.Parsing.OptionResult result) =>
        result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, System.Globalization.NumberStyles.Integer,
            System.Globalization.CultureInfo.InvariantCulture, out int value) ? value : null;

    private static string RangeMessage(string name, int min, int value) =>
        min == 1 ? $"{name} must be a positive whole number, got {value}."
        : min == 0 ? $"{name} must not be negative, got {value}."
        : $"{name} must be at least {min}, got {value}.";
}
