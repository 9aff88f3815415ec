using System.Globalization;
using System.Text;
using Convolve.Models;

namespace Convolve.Distributed.Tests;

/// <summary>
/// The cost model of docs/distributed.md: synchronous data parallelism with a ring all-reduce
/// after the backward pass (no overlap, as <see cref="DataParallel"/> does it). One step on N
/// machines with b images each takes the compute time b x t (t: seconds per image on one
/// machine) plus the all-reduce, 2 (N - 1) / N x bytes / bandwidth + 2 (N - 1) x latency; the
/// scaling efficiency is compute / (compute + all-reduce).
/// </summary>
public static class ScalingModel
{
    /// <summary>mnist-cnn's training time per image on this machine (AMD EPYC Zen 5, 2 cores, AVX-512), 1 process x 2 threads,
    /// measured with <c>convolve train --model mnist-cnn --limit 4096 --epochs 1 --validation 0 --threads 2</c> (docs/distributed.md).</summary>
    public const double MnistCnnSecondsPerImage = 5.3 / 4096;

    /// <summary>Multiply-adds of one mnist-cnn forward pass: conv 1->32 3x3 on 26x26, conv 32->64 3x3 on 24x24, dense 9216->128, 128->10.</summary>
    public const double MnistCnnMacs = 26 * 26 * 32 * 9 + 24 * 24 * 64 * 32 * 9 + 9216 * 128 + 128 * 10;

    /// <summary>ResNet-18's multiply-adds per 224x224 forward pass (1.81 G, as torchvision states) and its parameters.</summary>
    public const double ResNet18Macs = 1.814e9;

    /// <summary>torchvision's ResNet-18 parameter count.</summary>
    public const long ResNet18Parameters = 11_689_512;

    /// <summary>Latency of one message between machines (TCP over Ethernet; RDMA is nearer 2 us).</summary>
    public const double LatencySeconds = 10e-6;

    /// <summary>The machines and networks of the table.</summary>
    public static readonly int[] Machines = [8, 32, 128];

    /// <summary>Link rates in Gb/s.</summary>
    public static readonly double[] Networks = [10, 25, 100];

    /// <summary>Images per machine per step at which the table states the efficiency.</summary>
    public const int ReferenceBatch = 64;

    /// <summary>How much faster per image the last column's machines compute (a GPU against these two CPU cores, roughly).</summary>
    public const int FasterMachine = 100;

    /// <summary>mnist-cnn's parameter count, from the model itself.</summary>
    public static long MnistCnnParameters => Architectures.Get("mnist-cnn").Build().Summarize().TotalParameters;

    /// <summary>Seconds of one ring all-reduce of <paramref name="parameters"/> float32 gradients over <paramref name="machines"/>.</summary>
    public static double AllReduceSeconds(long parameters, int machines, double gigabitsPerSecond) =>
        2.0 * (machines - 1) / machines * (4.0 * parameters) / (gigabitsPerSecond * 1e9 / 8) + 2.0 * (machines - 1) * LatencySeconds;

    /// <summary>Compute / (compute + all-reduce) for <paramref name="batchPerMachine"/> images per machine per step.</summary>
    public static double Efficiency(double secondsPerImage, int batchPerMachine, double allReduceSeconds) =>
        batchPerMachine * secondsPerImage / (batchPerMachine * secondsPerImage + allReduceSeconds);

    /// <summary>The fewest images per machine per step for an efficiency of at least <paramref name="target"/>.</summary>
    public static int BatchFor(double target, double secondsPerImage, double allReduceSeconds) =>
        (int)Math.Ceiling(target / (1 - target) * allReduceSeconds / secondsPerImage - 1e-9);

    /// <summary>The table of docs/distributed.md, in Markdown.</summary>
    public static string Table()
    {
        var models = new (string Name, long Parameters, double SecondsPerImage)[]
        {
            ("mnist-cnn", MnistCnnParameters, MnistCnnSecondsPerImage),
            ("ResNet-18", ResNet18Parameters, MnistCnnSecondsPerImage * ResNet18Macs / MnistCnnMacs),
        };
        var table = new StringBuilder();
        table.Append(CultureInfo.InvariantCulture,
            $"| model | machines | network | all-reduce per step | efficiency at {ReferenceBatch} images per machine | " +
            $"images per machine (global batch) for 80% | the same, machines {FasterMachine}x faster |\n");
        table.Append("|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var (name, parameters, perImage) in models)
            foreach (int n in Machines)
                foreach (double gbps in Networks)
                {
                    double allReduce = AllReduceSeconds(parameters, n, gbps);
                    int batch = Math.Max(1, BatchFor(0.8, perImage, allReduce)), fast = Math.Max(1, BatchFor(0.8, perImage / FasterMachine, allReduce));
                    table.Append(CultureInfo.InvariantCulture,
                        $"| {name} ({parameters / 1e6:F2} M, {perImage * 1e3:G3} ms/image) | {n} | {gbps} Gb/s | {allReduce * 1e3:F2} ms | " +
                        $"{Efficiency(perImage, ReferenceBatch, allReduce) * 100:F0}% | {batch:N0} ({(long)batch * n:N0}) | " +
                        $"{fast:N0} ({(long)fast * n:N0}) |\n");
                }
        return table.ToString();
    }
}
