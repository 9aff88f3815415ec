using Convolve.Fuzz;

namespace Convolve.Cli.Tests;

/// <summary>
/// Replays the fuzzers' saved corpora (fuzz/corpus/TARGET: the minimised queues of the AFL++ runs
/// in docs/reliability.md) and the crashes they found (fuzz/regressions/TARGET) through the same
/// targets the harness runs: every file must give a result or the parser's own exception.
/// </summary>
public sealed class FuzzCorpusReplayTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Convolve.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no Convolve.slnx above {AppContext.BaseDirectory}");
    }

    public static TheoryData<string> Targets() => [.. FuzzTargets.Names];

    private static string[] Inputs(string target) =>
        [.. new[] { "corpus", "regressions" }
            .Select(kind => Path.Combine(Root, "fuzz", kind, target))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "*", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void EverySavedInput_GivesAResultOrTheParsersOwnError(string target)
    {
        var inputs = Inputs(target);
        Assert.NotEmpty(inputs);
        var crashes = new List<string>();
        foreach (var file in inputs)
        {
            try { FuzzTargets.Run(target, File.ReadAllBytes(file)); }
            catch (Exception e) { crashes.Add($"{Path.GetRelativePath(Root, file)}: {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
        }
        Assert.True(crashes.Count == 0, $"{crashes.Count} of {inputs.Length} inputs crashed:\n{string.Join("\n", crashes)}");
    }
}
