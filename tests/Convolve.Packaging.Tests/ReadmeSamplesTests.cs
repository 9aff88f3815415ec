using System.Globalization;
using System.Text.RegularExpressions;

namespace Convolve.Packaging.Tests;

/// <summary>
/// The library as a user gets it: a new console project, the packages added from the packed
/// folder offline, and the README's C# samples, taken from README.md itself, as its Program.cs.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed partial class ReadmeSamplesTests(PackedSolution packed, ITestOutputHelper log)
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    /// <summary>The library packages; the console project adds them all.</summary>
    private static readonly string[] Libraries = ["Convolve", "Convolve.Onnx", "Convolve.Imaging"];

    /// <summary>The README's section whose ```csharp blocks, in order, make one program.</summary>
    public const string Section = "## In C#";

    [Fact]
    public void ReadmeSamples_AreFoundAndUseBothPackages()
    {
        string program = Program(File.ReadAllText(Path.Combine(packed.Root, "README.md")));
        Assert.Contains("new Sequential(", program, StringComparison.Ordinal);
        Assert.Contains("OnnxExporter.Save(", program, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadmeSamples_CompileAndRun_AgainstThePackages()
    {
        string project = Directory.CreateDirectory(Path.Combine(packed.User, "sample")).FullName;
        var env = packed.OfflineEnvironment;
        Log(Dotnet.Succeed(project, Step, "dotnet", ["new", "console", "--name", "Sample", "--output", ".", "--no-update-check"], env));
        foreach (var id in Libraries)
            Log(Dotnet.Succeed(project, Step, "dotnet", ["add", "package", id, "--version", packed.Version], env));
        File.WriteAllText(Path.Combine(project, "Program.cs"), Program(File.ReadAllText(Path.Combine(packed.Root, "README.md"))));
        // The sample of each library's package README is compiled too (as a method nobody calls:
        // it reads files a user would have, such as model.onnx).
        foreach (var id in Libraries)
        {
            string readme = File.ReadAllText(Path.Combine(packed.Root, "src", id, "README.md"));
            File.WriteAllText(Path.Combine(project, $"{id.Replace('.', '_')}_Readme.cs"), AsMethod(readme, id.Replace('.', '_') + "_Readme"));
        }

        var run = Log(Dotnet.Succeed(project, TimeSpan.FromMinutes(10), "dotnet", ["run", "-c", "Release"], env));

        // The summary's table, five epochs, the test accuracy, a prediction and the ONNX round trip.
        Assert.Contains("Conv2D", run.Output, StringComparison.Ordinal);
        Assert.Equal(5, EpochLine().Count(run.Output));
        var accuracy = Accuracy().Match(run.Output);
        Assert.True(accuracy.Success, $"no test accuracy; {run}");
        Assert.True(double.Parse(accuracy.Groups[1].Value.Replace(',', '.'), CultureInfo.InvariantCulture) > 90, $"a low test accuracy; {run}");
        Assert.Matches(@"first test digit: \d, predicted \d", run.Output);
        Assert.True(File.Exists(Path.Combine(project, "digits.cvm")), run.ToString());
        var roundTrip = RoundTrip().Match(run.Output);
        Assert.True(roundTrip.Success, $"no ONNX round trip line; {run}");
        Assert.Equal("40", roundTrip.Groups[1].Value); // 4 digits x 10 classes
        Assert.Equal(0f, float.Parse(roundTrip.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private ProcessResult Log(ProcessResult result)
    {
        log.WriteLine($"{result.Command}: {result.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    /// <summary>
    /// The ```csharp blocks of <see cref="Section"/>, in order, as one top-level program: their
    /// <c>using</c> directives first (C# wants them before any statement), then the rest.
    /// </summary>
    internal static string Program(string readme)
    {
        int start = readme.IndexOf("\n" + Section + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no '{Section}' section");
        int end = readme.IndexOf("\n## ", start + Section.Length + 1, StringComparison.Ordinal);
        string section = end < 0 ? readme[start..] : readme[start..end];
        var blocks = CSharpBlock().Matches(section).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 2, $"'{Section}' has {blocks.Count} C# blocks");
        var lines = blocks.SelectMany(b => b.Split('\n')).Select(l => l.TrimEnd('\r')).ToList();
        var usings = lines.Where(IsUsing).Distinct().ToList();
        return string.Join('\n', usings.Concat([""]).Concat(lines.Where(l => !IsUsing(l)))) + "\n";
    }

    /// <summary>A package README's one ```csharp block as the body of a static method: its <c>using</c> directives first.</summary>
    internal static string AsMethod(string readme, string className)
    {
        var blocks = CSharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count == 1, $"{className}: {blocks.Count} C# blocks, not one");
        var lines = blocks[0].Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        return string.Join('\n',
            [.. lines.Where(IsUsing), "", $"internal static class {className}", "{", "    public static void Run()", "    {",
             .. lines.Where(l => !IsUsing(l)).Select(l => "        " + l), "    }", "}"]) + "\n";
    }

    private static bool IsUsing(string line) => UsingDirective().IsMatch(line);

    [GeneratedRegex(@"^using [\w.]+;\s*$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^EpochRecord \{ Epoch = \d", RegexOptions.Multiline)]
    private static partial Regex EpochLine();

    // "97.12 %" (or "97,12 %" in a culture with a decimal comma).
    [GeneratedRegex(@"test accuracy (\d+(?:[.,]\d+)?)\s?%")]
    private static partial Regex Accuracy();

    [GeneratedRegex(@"ONNX round trip: (\d+) outputs, largest difference (\S+)")]
    private static partial Regex RoundTrip();
}
