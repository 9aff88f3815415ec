using System.CommandLine;
using System.Linq.Expressions;
using System.Reflection;

namespace Convolve.Cli.Commands;

/// <summary>
/// The command line of one command, each option stated once: the settings property it fills, its
/// name and its description. The default is the property's value in new settings (so code that
/// builds settings itself gets the defaults the command line shows); the help shows it unless it
/// is null or false. <see cref="CreateCommand"/> builds the command from the list, in its order,
/// and <see cref="Read"/> fills new settings from what was parsed.
/// </summary>
/// <example>
/// <code>
/// var options = new OptionBinder&lt;Settings&gt;()
///     .Option(s => s.Epochs, "--epochs", "Passes over the training images.")
///     .Option(s => s.Seed, "--seed", "Seed of initialisation and shuffling.", min: 0);
/// var command = options.CreateCommand("train", "Train a CNN.");
/// command.SetAction(result => Run(terminal, options.Read(result)));
/// </code>
/// </example>
/// <typeparam name="TSettings">A class (usually a record) whose settable properties hold the command's values.</typeparam>
internal sealed class OptionBinder<TSettings> where TSettings : class, new()
{
    private readonly Func<TSettings> create;
    private readonly List<(Symbol Symbol, PropertyInfo Property, Func<ParseResult, object?> Value)> bindings = [];

    /// <param name="defaults">Makes the settings of a command line without options; new <typeparamref name="TSettings"/> when null.</param>
    public OptionBinder(Func<TSettings>? defaults = null)
    {
        create = defaults ?? (() => new TSettings());
        Defaults = create();
    }

    /// <summary>The settings of a command line without options (one instance; do not change it).</summary>
    public TSettings Defaults { get; }

    /// <summary>
    /// An option filling <paramref name="property"/>. Whole numbers (<c>int</c>, <c>int?</c>) must be
    /// at least <paramref name="min"/>; other numbers and enums get <see cref="OptionFactory"/>'s plain
    /// parsers when the command tree is built.
    /// </summary>
    public OptionBinder<TSettings> Option<T>(Expression<Func<TSettings, T>> property, string name, string description,
        int min = 1, bool required = false)
    {
        var info = PropertyOf(property);
        var value = (T)info.GetValue(Defaults)!;
        Option<T> option =
            typeof(T) == typeof(int) ? (Option<T>)(object)OptionFactory.Int(name, description, (int)(object)value!, min)
            : typeof(T) == typeof(int?) ? (Option<T>)(object)OptionFactory.OptionalInt(name, description, min)
            : new Option<T>(name) { Description = description };
        option.Required = required;
        if (!required && value is not (null or false)) option.DefaultValueFactory = _ => value;
        bindings.Add((option, info, result => result.GetValue(option)));
        return this;
    }

    /// <summary>A command argument filling <paramref name="property"/>.</summary>
    public OptionBinder<TSettings> Argument<T>(Expression<Func<TSettings, T>> property, string name, string description, ArgumentArity? arity = null)
    {
        var argument = new Argument<T>(name) { Description = description };
        if (arity is { } a) argument.Arity = a;
        bindings.Add((argument, PropertyOf(property), result => result.GetValue(argument)));
        return this;
    }

    /// <summary>The command with the arguments and options of this list, in the order they were added.</summary>
    public Command CreateCommand(string name, string description)
    {
        var command = new Command(name, description);
        foreach (var (symbol, _, _) in bindings)
        {
            if (symbol is Argument argument) command.Arguments.Add(argument);
            else command.Options.Add((Option)symbol);
        }
        return command;
    }

    /// <summary>New settings holding each value of <paramref name="result"/>, typed or default.</summary>
    public TSettings Read(ParseResult result)
    {
        var settings = create();
        foreach (var (_, property, value) in bindings) property.SetValue(settings, value(result));
        return settings;
    }

    /// <summary>The names of the options typed on the command line (e.g. "--lr"), as opposed to left at their defaults.</summary>
    public IReadOnlySet<string> Given(ParseResult result) =>
        bindings.Select(b => b.Symbol).OfType<Option>().Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToHashSet();

    private static PropertyInfo PropertyOf<T>(Expression<Func<TSettings, T>> property) =>
        property.Body is MemberExpression { Member: PropertyInfo { CanWrite: true } info }
            ? info
            : throw new ArgumentException($"{property}: expected a settable property of the settings, such as s => s.Epochs.", nameof(property));
}
