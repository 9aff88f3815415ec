using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;

namespace Convolve.Benchmarks.Micro;

/// <summary>
/// The BenchmarkDotNet side of this program: <c>Convolve.Benchmarks bdn [--long] [BenchmarkDotNet
/// options]</c>. The rest of the arguments go to <see cref="BenchmarkSwitcher"/> unchanged
/// (<c>--filter '*Gemm*'</c>, <c>--list flat</c>, <c>--inProcess</c>, <c>--exporters json</c>, ...).
/// </summary>
public static class MicroConfig
{
    /// <summary>
    /// The default job, "Quick": one process per benchmark, 3 warm-up and 5 measured iterations of
    /// about 150 ms each (2 to 3 s per benchmark with its process and pilot stage; about 10 minutes
    /// for all of them on 2 cores). With <c>--long</c>: BenchmarkDotNet's default job instead (it
    /// adds iterations of ~500 ms until the confidence interval is tight, up to 100; about an hour).
    /// </summary>
    public static Job QuickJob { get; } = Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(5)
        .WithIterationTime(TimeInterval.FromMilliseconds(150))
        .WithId("Quick");

    public static IConfig Create(bool longRun) => ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(longRun ? Job.Default.WithId("Long") : QuickJob)
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(StatisticColumn.Median, FlopColumn.Gflops, FlopColumn.GflopsPerThread, FlopColumn.FractionOfPeak)
        .HideColumns(Column.Error)
        // One unit for every table: the layers range from nanoseconds (Flatten) to a quarter second.
        .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(60).WithTimeUnit(TimeUnit.Microsecond))
        .WithOption(ConfigOptions.JoinSummary, false);

    /// <summary>Prints the parameters of the micro-benchmarks (GEMM shapes, layers, training steps) with their flops.</summary>
    public static int PrintCases()
    {
        Console.WriteLine("GemmBenchmarks (each at threads " + string.Join(" and ", Workload.ThreadCounts) + "):");
        foreach (var shape in GemmShape.All)
            Console.WriteLine($"  {shape,-40} {shape.Flops("") / 1e6,10:N2} MFLOP");
        Console.WriteLine("LayerBenchmarks (batch 64; flops of Forward, Backward counts twice that):");
        foreach (var layer in LayerCase.All())
            Console.WriteLine($"  {layer,-48} input {layer.InputShape,-18} {(layer.ForwardFlops > 0 ? $"{layer.ForwardFlops / 1e6,10:N2} MFLOP" : "")}");
        Console.WriteLine("TrainStepBenchmarks (batch 64; convolution and dense flops, forward + 2 x backward):");
        foreach (var step in TrainCase.All())
            Console.WriteLine($"  {step,-48} {step.StepFlops / 1e6,10:N2} MFLOP");
        return 0;
    }

    /// <summary>Runs the benchmarks <paramref name="args"/> select; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        bool longRun = args.Contains("--long");
        var rest = args.Where(a => a != "--long").ToList();
        // Without a filter BenchmarkSwitcher asks which benchmarks to run; the default is all of them.
        if (!rest.Any(a => a is "--filter" or "-f" or "--list")) rest.AddRange(["--filter", "*"]);
        var summaries = BenchmarkSwitcher
            .FromTypes([typeof(PeakBenchmarks), typeof(GemmBenchmarks), typeof(LayerBenchmarks), typeof(TrainStepBenchmarks)])
            .Run([.. rest], Create(longRun));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
