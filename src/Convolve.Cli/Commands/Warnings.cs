namespace Convolve.Cli.Commands;

/// <summary>Warnings on the error output: the command goes on, but the user should know. Yellow when the error output is a terminal.</summary>
internal static class Warnings
{
    public static void Write(TextWriter error, Terminal terminal, string text)
    {
        bool colour = !terminal.Plain && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
        error.WriteLine(colour ? $"\u001b[33mconvolve: warning: {text}\u001b[0m" : $"convolve: warning: {text}");
    }

    /// <summary>
    /// A short form of a list of class names: "0..9" for the indices themselves, else the first
    /// few names and how many more.
    /// </summary>
    public static string Brief(IReadOnlyList<string> names)
    {
        if (names.Count > 2 && names.Select((n, i) => n == i.ToString(System.Globalization.CultureInfo.InvariantCulture)).All(same => same))
            return $"0..{names.Count - 1}";
        const int shown = 4;
        return names.Count <= shown + 1 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(shown))}, ... ({names.Count} in all)";
    }
}
