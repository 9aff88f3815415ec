using System.CommandLine;
using Convolve.Cli.Commands;

namespace Convolve.Cli;

/// <summary>
/// The <c>convolve</c> command line: builds the command tree, parses, runs, and turns every
/// failure into a one-line message and an exit code (never a stack trace).
/// </summary>
public static class ConvolveApp
{
    /// <summary>Exit code of a successful run.</summary>
    public const int Success = 0;

    /// <summary>Exit code when a value is out of range or a file cannot be used.</summary>
    public const int Failure = 1;

    /// <summary>Exit code when the command line itself cannot be parsed (unknown option, not a number, ...).</summary>
    public const int UsageError = 2;

    /// <summary>
    /// Runs <c>convolve</c> with <paramref name="args"/>, writing results to <paramref name="output"/>
    /// and messages to <paramref name="error"/>. <paramref name="plain"/> turns off colour and uses
    /// ASCII tables. Returns the process exit code.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool plain)
    {
        try
        {
            var terminal = new Terminal(output, plain);
            var root = CreateRootCommand(terminal);
            // No response files: an argument such as "@photo.png" is a file name, not a list of arguments to read.
            var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (parseResult.Errors.Count > 0 && parseResult.Action is not PlainHelp && !(parseResult.Action is VersionAction && args.Length == 1))
            {
                // --version belongs to the root: "convolve --version train" points to the root's help.
                var command = parseResult.Action is VersionAction ? root : parseResult.CommandResult.Command;
                if (args.Length == 0)
                {
                    // "convolve" alone: what it can do, rather than "Required command was not provided".
                    root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = error, Error = error });
                    return UsageError;
                }
                foreach (var message in ParseErrors.Messages(parseResult, args)) error.WriteLine($"convolve: {message}");
                error.WriteLine($"Run '{ParseErrors.Path(command)} --help' for usage.");
                return UsageError;
            }
            return parseResult.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            error.WriteLine($"convolve: {Failures.Message(e)}");
            if (Environment.GetEnvironmentVariable("CONVOLVE_DEBUG") is "1" or "true") error.WriteLine(e);
            return Failure;
        }
    }

    /// <summary>The command tree.</summary>
    public static Command CreateRootCommand(Terminal terminal)
    {
        // A plain Command named "convolve" rather than a RootCommand, which would take its name
        // from the executable ("Convolve.Cli" under dotnet run) in the help text.
        var help = new System.CommandLine.Help.HelpOption();
        var version = new VersionOption { Action = new VersionAction() };
        var root = new Command("convolve", "Convolve: convolutional neural networks in C#. The article's examples, computed.") { help, version };
        root.Subcommands.Add(IntroCommand.Create(terminal));
        root.Subcommands.Add(ParamsCommand.Create(terminal));
        root.Subcommands.Add(ShapeCommand.Create(terminal));
        root.Subcommands.Add(CoverageCommand.Create(terminal));
        root.Subcommands.Add(SummaryCommand.Create(terminal));
        root.Subcommands.Add(TrainCommand.Create(terminal));
        root.Subcommands.Add(Report.ReportCommand.Create(terminal));
        root.Subcommands.Add(EvaluateCommand.Create(terminal));
        root.Subcommands.Add(PredictCommand.Create(terminal));
        root.Subcommands.Add(FiltersCommand.Create(terminal));
        root.Subcommands.Add(FeaturesCommand.Create(terminal));
        root.Subcommands.Add(ExperimentCommand.Create(terminal));
        root.Subcommands.Add(ExportCommand.Create(terminal));
        root.Subcommands.Add(ImportCommand.Create(terminal));
        root.Subcommands.Add(TransferCommand.Create(terminal));
        root.Subcommands.Add(Serve.ServeCommand.Create(terminal));
        OptionFactory.UsePlainParsers(root);
        help.Action = new PlainHelp(root);
        return root;
    }
}
