using System.Diagnostics;
using System.Text;

namespace Convolve.Distributed.Tests;

/// <summary>
/// Open MPI's <c>mpirun</c>, which these tests need (Debian: openmpi-bin and libopenmpi-dev):
/// missing, the tests are skipped saying so; under continuous integration (CI=true or 1) they run
/// and fail with the same message, as a missing package is a broken machine there.
/// </summary>
public static class Mpi
{
    /// <summary>The path of mpirun, or null.</summary>
    public static string? Launcher { get; } = Find("mpirun");

    /// <summary>Why the tests cannot run here, or null.</summary>
    public static string? Missing => Launcher is null || !HasLibrary()
        ? "Open MPI is not installed (mpirun and libmpi.so.40): apt-get install openmpi-bin libopenmpi-dev"
        : null;

    /// <summary>Whether this run is continuous integration.</summary>
    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    /// <summary>The convolve executable the test project copies beside itself.</summary>
    public static string Convolve => Path.Combine(AppContext.BaseDirectory, "Convolve.Cli");

    /// <summary>Fails with the reason when Open MPI is missing (what each test does first: under CI it then fails).</summary>
    public static void Require()
    {
        if (Missing is { } why) Assert.Fail(why);
    }

    /// <summary>
    /// The arguments that make mpirun work in a container as root on loopback: more ranks than
    /// cores allowed, root allowed, TCP only on the loopback interface (with shared memory between
    /// local ranks).
    /// </summary>
    public static IEnumerable<string> LauncherOptions(int ranks) =>
        ["--oversubscribe", "--allow-run-as-root", "--mca", "btl_tcp_if_include", "lo",
            "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>A started mpirun and what it prints.</summary>
    public sealed class Job : IDisposable
    {
        private readonly StringBuilder output = new(), error = new();

        internal Job(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (output) output.AppendLine(line); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (error) error.AppendLine(line); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        /// <summary>The mpirun process.</summary>
        public Process Process { get; }

        /// <summary>Standard output so far.</summary>
        public string Output { get { lock (output) return output.ToString(); } }

        /// <summary>Standard error so far.</summary>
        public string Error { get { lock (error) return error.ToString(); } }

        /// <summary>Output and error, for assertion messages.</summary>
        public string All => $"exit {(Process.HasExited ? Process.ExitCode : -1)}\n--- output\n{Output}\n--- error\n{Error}";

        /// <summary>Waits until <paramref name="text"/> has been printed (or the job ended, or the time ran out); whether it was.</summary>
        public bool WaitFor(string text, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < timeout)
            {
                if (Output.Contains(text, StringComparison.Ordinal)) return true;
                if (Process.HasExited) break;
                Thread.Sleep(100);
            }
            return Output.Contains(text, StringComparison.Ordinal);
        }

        /// <summary>Waits for mpirun to exit; kills it (and its ranks) when it has not within <paramref name="timeout"/>.</summary>
        public bool Exit(TimeSpan timeout)
        {
            if (Process.WaitForExit(timeout))
            {
                Process.WaitForExit(); // the output's end
                return true;
            }
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
            return false;
        }

        /// <summary>The process ids of the ranks mpirun started, by rank (read from their environment).</summary>
        public Dictionary<int, int> Ranks()
        {
            var ranks = new Dictionary<int, int>();
            foreach (var dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
                try
                {
                    var status = File.ReadAllText(Path.Combine(dir, "status"));
                    var ppid = status.Split('\n').FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
                    if (ppid is null || int.Parse(ppid[5..].Trim(), System.Globalization.CultureInfo.InvariantCulture) != Process.Id) continue;
                    foreach (var entry in File.ReadAllText(Path.Combine(dir, "environ")).Split('\0'))
                        if (entry.StartsWith("OMPI_COMM_WORLD_RANK=", StringComparison.Ordinal))
                            ranks[int.Parse(entry["OMPI_COMM_WORLD_RANK=".Length..], System.Globalization.CultureInfo.InvariantCulture)] = pid;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // gone, or not ours
            }
            return ranks;
        }

        /// <summary>Kills mpirun and its ranks if still running.</summary>
        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>Starts <c>mpirun</c> with <paramref name="arguments"/> in <paramref name="folder"/>.</summary>
    public static Job Start(string folder, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Launcher!)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // mpirun forwards its input to rank 0; none here
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        var job = new Job(Process.Start(start)!);
        job.Process.StandardInput.Close();
        return job;
    }

    /// <summary>Runs <c>convolve</c> on <paramref name="ranks"/> ranks and waits (at most five minutes).</summary>
    public static Job Run(string folder, int ranks, params string[] convolve)
    {
        var job = Start(folder, [.. LauncherOptions(ranks), Convolve, .. convolve]);
        job.Exit(TimeSpan.FromMinutes(5));
        return job;
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static bool HasLibrary() => System.Runtime.InteropServices.NativeLibrary.TryLoad("libmpi.so.40", out _);
}

/// <summary>A test that needs Open MPI: skipped with the reason when it is missing, failed with it under CI.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (!Mpi.IsCi && Mpi.Missing is { } why) Skip = why;
    }
}
