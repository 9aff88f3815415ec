using BenchmarkDotNet.Attributes;

namespace Convolve.Benchmarks.Micro;

/// <summary>
/// The FMA ceiling of this machine (see <see cref="FmaPeak"/>): the register-only loops on one
/// thread, and the same loop on every core at once (each thread runs it once; the all-core
/// figure shows whether the cores keep their clock when all of them run AVX-512). The other
/// benchmarks' "of peak" column divides by one core's figure times their threads.
/// </summary>
public class PeakBenchmarks
{
    /// <summary>1 and every core the process sees.</summary>
    public static IEnumerable<int> ThreadCounts => Workload.ThreadCounts;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    private ParallelOptions parallel = new();

    [GlobalSetup]
    public void Setup() => parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads };

    [Benchmark, Flops(FmaPeak.Vector512Flops)]
    public float Vector512Fma()
    {
        if (Threads == 1) return FmaPeak.Vector512Loop();
        Parallel.For(0, Threads, parallel, _ => FmaPeak.Vector512Loop());
        return 0;
    }

    [Benchmark, Flops(FmaPeak.Vector256Flops)]
    public float Vector256Fma()
    {
        if (Threads == 1) return FmaPeak.Vector256Loop();
        Parallel.For(0, Threads, parallel, _ => FmaPeak.Vector256Loop());
        return 0;
    }
}
