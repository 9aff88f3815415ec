using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Reflection;

namespace Convolve.Cli.Commands;

/// <summary>
/// Options whose values are parsed with plain messages that name the option ("--lr: 'abc' is not a
/// number") rather than System.CommandLine's, which name .NET types. <see cref="UsePlainParsers"/>
/// gives every number and enum option of a command tree these parsers, so a command that declares
/// <c>new Option&lt;float&gt;(...)</c> gets the same wording as one built here.
/// </summary>
internal static class OptionFactory
{
    /// <summary>An integer option that must be at least <paramref name="min"/>.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min = 1) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseInt(result, min) ?? default,
    };

    /// <summary>An optional integer option (null when absent) that must be at least <paramref name="min"/>.</summary>
    public static Option<int?> OptionalInt(string name, string description, int min = 1) => new(name)
    {
        Description = description,
        CustomParser = result => ParseInt(result, min),
    };

    /// <summary>
    /// Gives every option of <paramref name="command"/> and its subcommands that takes a number or
    /// an enum value, and has no parser of its own, a parser with plain messages; enum options are
    /// shown and accepted by their lower-case names (<c>--optimizer &lt;sgd|adam|adamw&gt;</c>), in
    /// any case.
    /// </summary>
    public static void UsePlainParsers(Command command)
    {
        foreach (var option in command.Options) UsePlainParser(option);
        foreach (var subcommand in command.Subcommands) UsePlainParsers(subcommand);
    }

    private static void UsePlainParser(Option option)
    {
        switch (option)
        {
            case Option<int> o: o.CustomParser ??= r => ParseInt(r, int.MinValue) ?? default; break;
            case Option<int?> o: o.CustomParser ??= r => ParseInt(r, int.MinValue); break;
            case Option<float> o: o.CustomParser ??= r => (float?)ParseReal(r, float.MaxValue) ?? default; break;
            case Option<float?> o: o.CustomParser ??= r => (float?)ParseReal(r, float.MaxValue); break;
            case Option<double> o: o.CustomParser ??= r => ParseReal(r, double.MaxValue) ?? default; break;
            case Option<double?> o: o.CustomParser ??= r => ParseReal(r, double.MaxValue); break;
            default:
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                if (type.IsEnum)
                    typeof(OptionFactory).GetMethod(nameof(UseEnumParser), BindingFlags.NonPublic | BindingFlags.Static)!
                        .MakeGenericMethod(type).Invoke(null, [option]);
                break;
        }
    }

    // Reached through reflection from UsePlainParser, once per enum option.
    private static void UseEnumParser<TEnum>(Option option) where TEnum : struct, Enum
    {
        var names = EnumNames<TEnum>();
        option.HelpName = string.Join('|', names);
        option.CompletionSources.Clear();
        option.CompletionSources.Add(names);
        switch (option)
        {
            case Option<TEnum> o: o.CustomParser ??= r => ParseEnum<TEnum>(r) ?? default; break;
            case Option<TEnum?> o: o.CustomParser ??= r => ParseEnum<TEnum>(r); break;
        }
    }

    /// <summary>The names an enum option accepts and shows: the members' names in lower case, in declaration order.</summary>
    public static string[] EnumNames<TEnum>() where TEnum : struct, Enum =>
        [.. Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant())];

    /// <summary>An enum value as the help and messages show it (its lower-case name).</summary>
    public static string EnumName(object value) => value.ToString()!.ToLowerInvariant();

    // The option's name for messages: "--epochs".
    private static string Name(ArgumentResult result) =>
        result.Parent is OptionResult o ? o.Option.Name : result.Argument.Name;

    private static string? Token(ArgumentResult result) => result.Tokens.Count == 1 ? result.Tokens[0].Value : null;

    private static int? ParseInt(ArgumentResult result, int min)
    {
        if (Token(result) is not { } text) return null;
        string name = Name(result);
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long wide))
        {
            result.AddError(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                ? $"{name}: '{text}' is not a whole number."
                : $"{name}: '{text}' is not a number.");
            return null;
        }
        if (wide < min)
        {
            result.AddError(RangeMessage(name, min, wide));
            return null;
        }
        if (wide > int.MaxValue)
        {
            result.AddError($"{name}: {text} is too large; the largest is {Terminal.Count(int.MaxValue)}.");
            return null;
        }
        return (int)wide;
    }

    private static double? ParseReal(ArgumentResult result, double largest)
    {
        if (Token(result) is not { } text) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            result.AddError($"{Name(result)}: '{text}' is not a number.");
            return null;
        }
        if (double.IsFinite(value) && Math.Abs(value) > largest)
        {
            result.AddError($"{Name(result)}: {text} is too large for a 32-bit float.");
            return null;
        }
        return value;
    }

    private static TEnum? ParseEnum<TEnum>(ArgumentResult result) where TEnum : struct, Enum
    {
        if (Token(result) is not { } text) return null;
        // By name only: Enum.TryParse would also take numbers ("--optimizer 7").
        foreach (var value in Enum.GetValues<TEnum>())
            if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase)) return value;
        var names = EnumNames<TEnum>();
        string hint = Suggestions.DidYouMean(text.ToLowerInvariant(), names);
        result.AddError($"{Name(result)}: '{text}' is not one of {string.Join(", ", names)}.{hint}");
        return null;
    }

    private static string RangeMessage(string name, int min, long value) =>
        min == 1 ? $"{name} must be a positive whole number, got {value}."
        : min == 0 ? $"{name} must not be negative, got {value}."
        : $"{name} must be at least {min}, got {value}.";
}
