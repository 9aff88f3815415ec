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
    private static readonly string[] Small = ["--limit", "1024", "--validation", "0", "--threads", "1", "--batch", "64"];

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

    private static (int Code, string Text) Cli(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ConvolveApp.Run(args, output, error, plain: true);
        return (code, output + "\n" + error);
    }
}
