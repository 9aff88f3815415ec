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
            int? value = result.GetValueOrDefault<int?>();
            if (value < min) result.AddError(RangeMessage(name, min, value.Value));
        });
        return option;
    }

    private static void AddMinimum(Option<int> option, int min) =>
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < min) result.AddError(RangeMessage(option.Name, min, value));
        });

    private static string RangeMessage(string name, int min, int value) =>
        min == 1 ? $"{name} must be a positive whole number, got {value}."
        : min == 0 ? $"{name} must not be negative, got {value}."
        : $"{name} must be at least {min}, got {value}.";
}
