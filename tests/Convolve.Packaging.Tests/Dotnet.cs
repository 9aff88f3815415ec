using System.Diagnostics;
using System.Text;

namespace Convolve.Packaging.Tests;

/// <summary>The output of a finished process.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>The command, its exit code and its output, for an assertion's message.</summary>
    public override string ToString() => $"`{Command}` exited with {ExitCode} after {Elapsed.TotalSeconds:F1} s; its output:\n{Output}";
}

/// <summary>
/// Runs <c>dotnet</c> and the installed tool as a user's shell would: a clean environment
/// (no MSBuild variables inherited from the test run's own build), no telemetry or first-run
/// messages, no build servers left running, and a time limit after which the process tree is
/// killed and the test fails with what it printed so far.
/// </summary>
internal static class Dotnet
{
    /// <summary>An address nothing listens on: as the proxy of the offline steps, any web request fails at once.</summary>
    public const string NoNetworkProxy = "http://127.0.0.1:9";

    public static ProcessResult Run(string workingDirectory, TimeSpan timeout, string fileName, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var env = start.Environment;
        // The test host runs under `dotnet test`, whose MSBuild variables would point a nested
        // build at the outer one's SDK resolution and targets.
        foreach (var name in env.Keys.ToList())
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                env.Remove(name);
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["DOTNET_NOLOGO"] = "1";
        env["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        env["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";
        env["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1";
        env["DOTNET_ADD_GLOBAL_TOOLS_TO_PATH"] = "false";
        // No MSBuild nodes, compiler server or MSBuild server outlive the command.
        env["MSBUILDDISABLENODEREUSE"] = "1";
        env["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        env["UseSharedCompilation"] = "false";
        env["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) env[name] = value;

        var output = new StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string command = $"{Path.GetFileName(fileName)} {string.Join(' ', args)}";
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output)
                Assert.Fail($"`{command}` (in {workingDirectory}) did not finish within {timeout.TotalMinutes:F0} min; it printed:\n{output}");
        }
        process.WaitForExit(); // the asynchronous readers have seen the end of both streams
        lock (output) return new ProcessResult(command, process.ExitCode, output.ToString(), watch.Elapsed);
    }

    /// <summary>Runs the process and fails the test, showing its output, unless it exits with 0.</summary>
    public static ProcessResult Succeed(string workingDirectory, TimeSpan timeout, string fileName, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = Run(workingDirectory, timeout, fileName, args, environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }
}
