using System.Diagnostics;

namespace Convolve.Cli.Tests;

/// <summary>
/// The built <c>convolve</c> executable as a child process, stopped by a real signal: SIGTERM is
/// what <c>docker stop</c>, systemd and CI runners send, and must leave a checkpoint as Ctrl+C does.
/// </summary>
public sealed class StopSignalTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-cli-signal-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    [Fact]
    public async Task Sigterm_DuringTraining_SavesACheckpoint_Exits143_AndResumeFinishesTheRun()
    {
        if (OperatingSystem.IsWindows()) return; // no SIGTERM to send there
        string model = PathOf("m.cvm"), checkpoint = PathOf("m.ckpt.cvm");
        // The executable the test project copies beside itself from its reference to Convolve.Cli.
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Convolve.Cli"))
        {
            ArgumentList = { "train", "--limit", "4000", "--epochs", "4", "--validation", "0", "--out", model },
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var child = Process.Start(start)!;
        var error = child.StandardError.ReadToEndAsync();
        var output = new System.Text.StringBuilder();
        // The header is printed once the data is loaded and the signal handlers are in place.
        while (child.StandardOutput.ReadLine() is { } line)
        {
            output.AppendLine(line);
            if (line.StartsWith("Training:", StringComparison.Ordinal)) break;
        }
        using (var kill = Process.Start("kill", ["-TERM", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
        output.Append(child.StandardOutput.ReadToEnd());
        Assert.True(child.WaitForExit(TimeSpan.FromMinutes(2)), "the child did not stop");
        string errors = await error;

        Assert.True(child.ExitCode == 143, $"exit code {child.ExitCode}\n{output}\n{errors}");
        Assert.Contains("Stopped by SIGTERM during epoch ", output.ToString());
        Assert.Contains($"Continue with: convolve train --resume {checkpoint}", output.ToString());
        Assert.True(File.Exists(checkpoint));
        Assert.False(File.Exists(model));

        var resumed = CliRunner.Run("train", "--resume", checkpoint);
        Assert.True(resumed.ExitCode == 0, resumed.Error + resumed.Output);
        Assert.True(File.Exists(model));
        Assert.False(File.Exists(checkpoint)); // the default checkpoint goes once the model is saved
    }
}
