using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Convolve.Cli;

/// <summary>
/// <c>--help</c> as System.CommandLine writes it, but with enum defaults shown by the lower-case
/// names the options accept (<c>[default: sgd]</c>, not <c>Sgd</c>). System.CommandLine keeps
/// its help builder internal, so the text is written to a buffer and the defaults replaced there.
/// </summary>
internal sealed class PlainHelp(Command root) : SynchronousCommandLineAction
{
    private readonly HelpAction help = new();
    private readonly Dictionary<string, string> defaults = EnumDefaults(root);

    // Help for a command whose required options are missing still shows that command's help.
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var configuration = parseResult.InvocationConfiguration;
        var output = configuration.Output;
        var buffer = new StringWriter();
        configuration.Output = buffer;
        int code;
        try { code = help.Invoke(parseResult); }
        finally { configuration.Output = output; }
        string text = buffer.ToString();
        foreach (var (shown, name) in defaults) text = text.Replace(shown, name, StringComparison.Ordinal);
        output.Write(text);
        return code;
    }

    // "[default: Sgd]" -> "[default: sgd]" for the default of every enum option in the tree.
    private static Dictionary<string, string> EnumDefaults(Command command)
    {
        var found = new Dictionary<string, string>();
        foreach (var option in command.Options)
        {
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (type.IsEnum && option.HasDefaultValue && option.GetDefaultValue() is { } value)
                found[$"[default: {value}]"] = $"[default: {Commands.OptionFactory.EnumName(value)}]";
        }
        foreach (var subcommand in command.Subcommands)
            foreach (var (shown, name) in EnumDefaults(subcommand)) found[shown] = name;
        return found;
    }
}
