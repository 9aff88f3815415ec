using System.CommandLine;
using System.CommandLine.Parsing;

namespace Convolve.Cli;

/// <summary>
/// The messages of a command line that does not parse, in the words of <c>convolve</c>: unknown
/// commands and options with the nearest known names ("Did you mean 'train'?"), a value typed
/// after an unknown option not reported again, a command that needs a subcommand listing them.
/// </summary>
internal static class ParseErrors
{
    public static IEnumerable<string> Messages(ParseResult result, string[] args) => AllMessages(result, args).Distinct();

    private static IEnumerable<string> AllMessages(ParseResult result, string[] args)
    {
        var command = result.CommandResult.Command;
        var unmatched = new Queue<string>(result.UnmatchedTokens);
        bool afterUnknownOption = false, commandReported = false;
        foreach (var arg in args)
        {
            if (unmatched.Count == 0) break;
            if (arg != unmatched.Peek())
            {
                afterUnknownOption = false;
                continue;
            }
            unmatched.Dequeue();
            if (arg.StartsWith('-') && arg.Length > 1 && !double.TryParse(arg, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                string name = arg.Split('=', ':')[0];
                yield return $"unknown option '{name}' for '{Path(command)}'.{Suggestions.DidYouMean(name, OptionNames(command))}";
                afterUnknownOption = true;
            }
            else if (afterUnknownOption)
            {
                afterUnknownOption = false; // the value of the unknown option, already reported
            }
            else if (command.Subcommands.Count > 0 && !commandReported)
            {
                commandReported = true;
                yield return $"'{arg}' is not a command of '{Path(command)}'." +
                    $"{Suggestions.DidYouMean(arg, command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name)))}";
            }
            else yield return $"unexpected argument '{arg}' for '{Path(command)}'.";
        }

        bool anyUnmatched = result.UnmatchedTokens.Count > 0;
        foreach (var error in result.Errors)
        {
            if (error.SymbolResult is CommandResult commandResult)
            {
                // System.CommandLine reports each unmatched token and a missing subcommand on the
                // command itself; those are said above, or below in a form that lists the choices.
                if (anyUnmatched) continue;
                if (commandResult.Command.Subcommands.Count > 0 && commandResult.Command.Action is null)
                {
                    yield return $"'{Path(commandResult.Command)}' needs a command: " +
                        $"{string.Join(", ", commandResult.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}.";
                    continue;
                }
            }
            if (error.SymbolResult is ArgumentResult { Tokens.Count: 0 } missing && missing.Parent is CommandResult owner)
                yield return $"'{Path(owner.Command)}' needs <{missing.Argument.Name}>: {missing.Argument.Description}";
            else if (error.SymbolResult is OptionResult { IdentifierToken: null, Option.Required: true } required
                && required.Parent is CommandResult optionOwner)
                yield return $"'{Path(optionOwner.Command)}' needs {required.Option.Name}: {required.Option.Description}";
            else if (OptionOf(error.SymbolResult) is { } given && given.Option.Arity.MaximumNumberOfValues == 1 && given.Tokens.Count != 1)
                yield return given.Tokens.Count == 0
                    ? $"{given.Option.Name} needs a value: {given.Option.Description}"
                    : $"{given.Option.Name} takes one value, got {given.Tokens.Count}: {string.Join(", ", given.Tokens.Select(t => t.Value))}.";
            else yield return error.Message;
        }
    }

    // The option a value error is about, whether reported on the option or on its argument.
    private static OptionResult? OptionOf(SymbolResult? result) => result switch
    {
        OptionResult o => o,
        ArgumentResult { Parent: OptionResult o } => o,
        _ => null,
    };

    /// <summary>"convolve experiment": the command's name with those of the commands above it.</summary>
    public static string Path(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault()) names.Insert(0, c.Name);
        return string.Join(' ', names);
    }

    // The options valid at this point: the command's own and the recursive ones of the commands above (--help).
    private static IEnumerable<string> OptionNames(Command command)
    {
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
            foreach (var option in c.Options.Where(o => !o.Hidden && (c == command || o.Recursive)))
                foreach (var name in option.Aliases.Prepend(option.Name).Where(n => n.StartsWith("--", StringComparison.Ordinal)))
                    yield return name;
    }
}
