using System.Text.RegularExpressions;

namespace Convolve.Packaging.Tests;

/// <summary>
/// The tool as a user gets it: installed from the packed folder with <c>dotnet tool install</c>,
/// offline, then run from the install folder, outside the repository, on its embedded data.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed partial class InstalledToolTests(PackedSolution packed, ITestOutputHelper log)
{
    private static readonly TimeSpan Install = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Command = TimeSpan.FromMinutes(5);

    [Fact]
    public void Tool_InstalledOffline_PrintsItsVersion_TrainsOnTheEmbeddedDigits_AndComputesTheArticle()
    {
        string tools = Path.Combine(packed.Work, "tools");
        string folder = Directory.CreateDirectory(Path.Combine(packed.User, "tool-run")).FullName;
        var env = packed.OfflineEnvironment;
        Log(Dotnet.Succeed(packed.User, Install, "dotnet",
            ["tool", "install", "--tool-path", tools, "--add-source", packed.Artifacts, "Convolve.Cli", "--version", packed.Version], env));
        string convolve = Path.Combine(tools, OperatingSystem.IsWindows() ? "convolve.exe" : "convolve");
        Assert.True(File.Exists(convolve), $"dotnet tool install made no {convolve}");

        var version = Log(Dotnet.Succeed(folder, Command, convolve, ["--version"], env));
        string expected = packed.Commit is null ? packed.Version : $"{packed.Version}+{packed.Commit}";
        Assert.True(version.Output.Trim() == expected, $"expected the version {expected}; {version}");

        // A few hundred of the embedded digits for one epoch: a test accuracy well above chance (10%).
        var train = Log(Dotnet.Succeed(folder, Command, convolve, ["train", "--limit", "300", "--epochs", "1", "--out", "tiny.cvm"], env));
        var accuracy = TestAccuracy().Match(train.Output);
        Assert.True(accuracy.Success, $"no test accuracy line; {train}");
        Assert.True(double.Parse(accuracy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 15, train.ToString());
        Assert.Contains("10,000 images", accuracy.Value, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(folder, "tiny.cvm")).Length > 0, train.ToString());

        // The article's anchor: the horizontal edge kernel gives rows of -765 and 765. With
        // --images the pictures go through SkiaSharp's native library, found in the tool's runtimes/.
        var intro = Log(Dotnet.Succeed(folder, Command, convolve, ["intro", "--images", "pictures"], env));
        Assert.Matches(AnchorRow(-765), intro.Output);
        Assert.Matches(AnchorRow(765), intro.Output);
        var pictures = Directory.GetFiles(Path.Combine(folder, "pictures"), "*.png");
        Assert.True(pictures.Length >= 5, $"{pictures.Length} pictures; {intro}");
        Assert.All(pictures, p => Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(p).Take(4)));
    }

    private ProcessResult Log(ProcessResult result)
    {
        log.WriteLine($"{result.Command}: {result.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    // "Test accuracy: 35.82% on 10,000 images (loss 3.2087)."
    [GeneratedRegex(@"Test accuracy: (\d+(?:\.\d+)?)% on [\d,]+ images")]
    private static partial Regex TestAccuracy();

    // A row of the 4x4 feature-map table whose four values are all the same: "| 0   | -765 | -765 | -765 | -765 |".
    private static Regex AnchorRow(int value) => new($@"\|\s*\d\s*\|(\s*{value}\s*\|){{4}}");
}
