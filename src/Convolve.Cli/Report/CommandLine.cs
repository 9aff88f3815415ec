using System.CommandLine;

namespace Convolve.Cli.Report;

/// <summary>The command line a parse came from, quoted so that it can be pasted into a shell again.</summary>
internal static class CommandLine
{
    /// <summary>"convolve" followed by every token of <paramref name="result"/>, each quoted where it needs to be.</summary>
    public static string Of(ParseResult result) =>
        string.Join(" ", new[] { "convolve" }.Concat(result.Tokens.Select(t => Commands.TrainRun.Quote(t.Value))));
}
