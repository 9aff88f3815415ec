using Convolve.Cli;
using Convolve.Serialization;
using Convolve.Training;
using Xunit.Abstractions;

namespace Convolve.Distributed.Tests;

/// <summary>
/// <c>mpirun -np 2 convolve train</c> on this machine's loopback: the same training as one
/// process, resumable with the same number of ranks only, and stopping every rank when one dies
/// or when the ranks disagree.
/// </summary>
public sealed class TrainAcrossProcessesTests(ITestOutputHelper log) : IDisposable
{
    // A small run: 1,024 digits in 16 batches of 64, one kernel thread per process.
    private static readonly string[] Small = Digits(1024);

    private static string[] Digits(int limit) =>
        ["--limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture), "--validation", "0", "--threads", "1", "--batch", "64"];

    private readonly string folder = Directory.CreateTempSubdirectory("convolve-mpi-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    [MpiFact]
    public void TwoRanks_TrainAsOneProcessWithTheSameGlobalBatch()
    {
        Mpi.Require();
        var two = Mpi.Run(folder, 2, ["train", .. Small, "--epochs", "1", "--out", PathOf("two.cvm"), "--checkpoint", PathOf("two.ckpt.cvm")]);
        Assert.True(two.Process.ExitCode == 0, two.All);
        Assert.Contains("Processes: 2 (MPI), each training 32 images of each batch of 64", two.Output);
        var one = Cli(["train", .. Small, "--epochs", "1", "--out", PathOf("one.cvm"), "--checkpoint", PathOf("one.ckpt.cvm")]);
        Assert.True(one.Code == 0, one.Text);

        // The gradients of a batch are summed in another order (each rank sums its half, then the
        // halves are added), so float rounding differs from the first step on: weights differ by
        // an ulp or so of the largest (about 1e-7 of it here after 16 steps), and the bound leaves
        // room for more steps' drift. The loss of the epoch, a sum in double, agrees closer still.
        var a = ModelFile.Load(PathOf("one.cvm")).ParameterValues.ToArray();
        var b = ModelFile.Load(PathOf("two.cvm")).ParameterValues.ToArray();
        Assert.Equal(a.Length, b.Length);
        float largest = a.Max(MathF.Abs), worst = 0;
        for (int i = 0; i < a.Length; i++) worst = MathF.Max(worst, MathF.Abs(a[i] - b[i]));
        log.WriteLine($"largest weight difference {worst:G3} (largest weight {largest:G3}); {a.Zip(b).Count(p => p.First != p.Second)} of {a.Length} differ");
        Assert.True(worst <= 2e-6f * largest, $"largest weight difference {worst}, largest weight {largest}");

        float lossOne = TrainingSession.Resume(PathOf("one.ckpt.cvm")).Session.History[0].TrainLoss;
        float lossTwo = TrainingSession.Resume(PathOf("two.ckpt.cvm")).Session.History[0].TrainLoss;
        log.WriteLine($"epoch loss {lossOne:R} in one process, {lossTwo:R} in two");
        Assert.True(MathF.Abs(lossOne - lossTwo) <= 1e-6f * lossOne, $"epoch loss {lossOne} in one process, {lossTwo} in two");
    }

    [MpiFact]
    public void TwoRanks_EndWithTheSameWeightsBitForBit_WithTheAllReduceOverlappedOrAfterTheBackwardPass()
    {
        Mpi.Require();
        // mnist-cnn on 256 digits: 1.2 M gradients in two buckets, the first started during the backward pass.
        float[] Train(string overlap)
        {
            string model = PathOf($"overlap{overlap}.cvm");
            using var job = Mpi.Start(folder, [.. Mpi.LauncherOptions(2), "-x", $"CONVOLVE_MPI_OVERLAP={overlap}", Mpi.Convolve,
                "train", "--model", "mnist-cnn", .. Digits(256), "--epochs", "1", "--out", model]);
            Assert.True(job.Exit(TimeSpan.FromMinutes(5)), job.All);
            Assert.True(job.Process.ExitCode == 0, job.All);
            return ModelFile.Load(model).ParameterValues.ToArray();
        }
        var after = Train("0");
        var during = Train("1");
        // Two ranks add two numbers per gradient, in whichever order: the same float either way.
        Assert.Equal(after, during);
    }

    [MpiFact]
    public void AStoppedRun_ResumesWithTheSameRanksOnly_AndEndsAsTheRunThatWasNotStopped()
    {
        Mpi.Require();
        string[] run = ["train", .. Digits(2048), "--epochs", "3"];
        var full = Mpi.Run(folder, 2, [.. run, "--out", PathOf("full.cvm")]);
        Assert.True(full.Process.ExitCode == 0, full.All);

        // SIGTERM to both ranks, as mpirun sends it when it is stopped: the ranks agree on the step to stop after.
        string model = PathOf("part.cvm"), checkpoint = PathOf("part.ckpt.cvm");
        using (var job = Mpi.Start(folder, [.. Mpi.LauncherOptions(2), Mpi.Convolve, .. run, "--out", model]))
        {
            // Rank 0 prints this once both ranks have started training; a second more lets rank 1 set up its signal handlers.
            Assert.True(job.WaitFor("Processes: 2", TimeSpan.FromMinutes(2)), job.All);
            Thread.Sleep(1000);
            foreach (int pid in job.Ranks().Values) Signal("TERM", pid);
            Assert.True(job.Exit(TimeSpan.FromMinutes(2)), job.All);
            Assert.True(job.Process.ExitCode != 0, job.All);
            Assert.Contains("Stopped by SIGTERM during epoch", job.Output);
        }
        Assert.True(File.Exists(checkpoint));
        Assert.False(File.Exists(model));

        var alone = Cli(["train", "--resume", checkpoint]);
        Assert.Equal(ConvolveApp.Failure, alone.Code);
        Assert.Contains("the run was trained by 2 processes, but this is 1 process; resume it with mpirun -np 2.", alone.Text);
        var three = Mpi.Run(folder, 3, "train", "--resume", checkpoint);
        Assert.True(three.Process.ExitCode != 0, three.All);
        Assert.Single(Lines(three.Error, "the run was trained by 2 processes, but this is 3 processes; resume it with mpirun -np 2."));

        var resumed = Mpi.Run(folder, 2, "train", "--resume", checkpoint);
        Assert.True(resumed.Process.ExitCode == 0, resumed.All);
        Assert.Equal(ModelFile.Load(PathOf("full.cvm")).ParameterValues.ToArray(), ModelFile.Load(model).ParameterValues.ToArray());
    }

    [MpiFact]
    public void AKilledRank_StopsTheOthersWithinSeconds_NamingIt_AndLeavesTheCheckpoint()
    {
        Mpi.Require();
        string checkpoint = PathOf("k.ckpt.cvm");
        using var job = Mpi.Start(folder, [.. Mpi.LauncherOptions(2), Mpi.Convolve, "train", .. Small, "--epochs", "50", "--out", PathOf("k.cvm")]);
        Assert.True(job.WaitFor("Epoch 1:", TimeSpan.FromMinutes(2)), job.All); // the checkpoint of epoch 1 is written before this line
        Signal("KILL", job.Ranks()[1]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(job.Exit(TimeSpan.FromMinutes(1)), "mpirun did not stop within a minute of a rank's death\n" + job.All);
        log.WriteLine($"mpirun stopped {clock.Elapsed.TotalSeconds:F1} s after rank 1 was killed");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{clock.Elapsed.TotalSeconds:F1} s");
        Assert.NotEqual(0, job.Process.ExitCode);
        Assert.Matches("process rank 1 .*exited on signal 9", job.Output + job.Error);
        var (session, _) = TrainingSession.Resume(checkpoint); // whole and readable
        Assert.True(session.CompletedEpochs >= 1);
        Assert.False(File.Exists(PathOf("k.cvm")));
    }

    [MpiFact]
    public void RanksStartedWithDifferentOptions_AreRefusedOnce_BeforeTraining()
    {
        Mpi.Require();
        // mpirun's multiple-program form: rank 0 and rank 1 get different seeds.
        string[] common = ["--oversubscribe", "--allow-run-as-root", "--mca", "btl_tcp_if_include", "lo"];
        string[] train = [Mpi.Convolve, "train", .. Small, "--epochs", "1", "--out", PathOf("m.cvm")];
        using var job = Mpi.Start(folder, [.. common, "-np", "1", .. train, "--seed", "1", ":", "-np", "1", .. train, "--seed", "2"]);
        Assert.True(job.Exit(TimeSpan.FromMinutes(2)), job.All);
        Assert.NotEqual(0, job.Process.ExitCode);
        Assert.Single(Lines(job.Error,
            "convolve: rank 1 of 2 has a different command line from rank 0; every rank must start from the same files and options."));
        Assert.DoesNotContain("Epoch 1:", job.Output);
        Assert.False(File.Exists(PathOf("m.cvm")));
    }

    private static IEnumerable<string> Lines(string text, string part) => text.Split('\n').Where(l => l.Contains(part, StringComparison.Ordinal));

    private static void Signal(string signal, int pid)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    private static (int Code, string Text) Cli(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ConvolveApp.Run(args, output, error, plain: true);
        return (code, output + "\n" + error);
    }
}
