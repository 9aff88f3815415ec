using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Convolve.Cli;

/// <summary>
/// <c>convolve --version</c>: the package version with the commit it was built from
/// (<c>0.1.0+1a2b3c...</c>), read from this assembly rather than the entry assembly, which is the
/// test host when the command runs inside the tests.
/// </summary>
internal sealed class VersionAction : SynchronousCommandLineAction
{
    /// <summary>The informational version: the SemVer version, then "+" and the commit when git was there at build time.</summary>
    public static string Version { get; } =
        typeof(VersionAction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionAction).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    // "convolve --version" alone has no subcommand, which would otherwise be a parse error.
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        parseResult.InvocationConfiguration.Output.WriteLine(Version);
        return ConvolveApp.Success;
    }
}
