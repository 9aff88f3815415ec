using System.Reflection;
using System.Text.RegularExpressions;

namespace Convolve.Cli.Tests;

/// <summary><c>convolve --version</c>: the package version and, built from git, the commit.</summary>
public class VersionTests
{
    [Fact]
    public void Version_PrintsTheInformationalVersionOfTheTool()
    {
        var r = CliRunner.Run("--version");
        Assert.Equal(ConvolveApp.Success, r.ExitCode);
        Assert.Equal("", r.Error);
        string expected = typeof(ConvolveApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(expected, r.Output.Trim());
        // SemVer, then "+" and a 40-digit commit when the build saw the git repository.
        Assert.Matches(new Regex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9a-f]{40})?$"), r.Output.Trim());
    }

    [Fact]
    public void Version_WithACommand_IsAUsageError()
    {
        var r = CliRunner.Run("--version", "train");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.StartsWith("convolve: ", r.Error, StringComparison.Ordinal);
        Assert.Contains("Run 'convolve --help' for usage.", r.Error, StringComparison.Ordinal);
    }
}
