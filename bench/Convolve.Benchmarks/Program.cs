using System.Diagnostics;
using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;

// Quick throughput figures (not BenchmarkDotNet: a few seconds in all, best-of-N wall time).
// The BenchmarkDotNet micro-benchmarks are the mode "bdn" (Micro/, bench/Convolve.Benchmarks/README.md).
//   dotnet run -c Release --project bench/Convolve.Benchmarks -- bdn [--long] [BenchmarkDotNet options]
//   dotnet run -c Release --project bench/Convolve.Benchmarks -- bdn-cases   (the parameters the bdn benchmarks run on)
//   dotnet run -c Release --project bench/Convolve.Benchmarks -- gemm [sizes...]
//   dotnet run -c Release --project bench/Convolve.Benchmarks -- conv        (im2col + GEMM and Winograd; conv-fast: without the ~30 s reference run)
//   dotnet run -c Release --project bench/Convolve.Benchmarks -- pool
//   dotnet run -c Release --project bench/Convolve.Benchmarks -- shape m n k (n|t) (n|t) threads
string mode = args.Length > 0 ? args[0] : "all";
if (mode == "bdn") return Convolve.Benchmarks.Micro.MicroConfig.Run(args[1..]);
if (mode == "bdn-cases") return Convolve.Benchmarks.Micro.MicroConfig.PrintCases();
if (mode is "gemm" or "all") GemmBench(args.Length > 1 ? [.. args.Skip(1).Select(int.Parse)] : [256, 1024, 2048]);
if (mode is "conv" or "all") ConvBench(withReference: true);
if (mode is "conv-fast") ConvBench(withReference: false);
if (mode is "pool" or "all") PoolBench();
if (mode is "shape") ShapeBench(int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3]), args[4] == "t", args[5] == "t", int.Parse(args[6]));
return 0;

// One multiply shape: shape m n k (n|t) (n|t) threads; e.g. the conv passes: shape 64 576 288 n n 1.
static void ShapeBench(int m, int n, int k, bool transA, bool transB, int threads)
{
    var random = new Random(1);
    var a = RandomArray(random, m * k);
    var b = RandomArray(random, k * n);
    var c = new float[m * n];
    double flops = 2.0 * m * n * k;
    var gemm = new Gemm(threads);
    var (seconds, cpu) = Best(() => gemm.Multiply(transA, transB, m, n, k, a, b, c, true), flops, 200);
    Console.WriteLine($"  {m}x{n}x{k} transA={transA} transB={transB} threads={threads}: {seconds * 1e6,8:F1} us  {flops / seconds / 1e9,6:F1} GFLOP/s" +
        $"  ({flops / cpu / 1e9,6:F1} GFLOP per CPU-second)");
}

static void GemmBench(int[] sizes)
{
    Console.WriteLine($"sgemm C = A * B, square, row-major; {Environment.ProcessorCount} cores; " +
        $"Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
    foreach (int size in sizes)
    {
        var random = new Random(1);
        var a = RandomArray(random, size * size);
        var b = RandomArray(random, size * size);
        var c = new float[size * size];
        double flops = 2.0 * size * size * size;
        foreach (var (name, kernel) in new (string, IGemmKernel)[]
        {
            ("Gemm, 1 thread", new Gemm(maxThreads: 1)),
            ("Gemm, 2 threads", new Gemm(maxThreads: 2)),
        })
        {
            var (seconds, cpuSeconds) = Best(() => kernel.Multiply(false, false, size, size, size, a, b, c, false), flops);
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            kernel.Multiply(false, false, size, size, size, a, b, c, false);
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            Console.WriteLine($"  {size,5}^3  {name,-22} {seconds * 1e3,9:F2} ms  {flops / seconds / 1e9,7:F1} GFLOP/s" +
                $"  ({flops / cpuSeconds / 1e9,6:F1} GFLOP per CPU-second; {allocated} bytes allocated per call)");
        }
    }
}

static void ConvBench(bool withReference)
{
    // Conv2D(32 -> 64, 3x3, no padding) on [64, 32, 26, 26]: output [64, 64, 24, 24].
    var g = new Conv2DGeometry(64, 32, 26, 26, 64, 3, 3);
    var random = new Random(2);
    var input = RandomArray(random, g.InputLength);
    var weight = RandomArray(random, g.WeightLength);
    var bias = RandomArray(random, g.OutChannels);
    var output = new float[g.OutputLength];
    var dOutput = RandomArray(random, g.OutputLength);
    var dInput = new float[g.InputLength];
    var dWeight = new float[g.WeightLength];
    var dBias = new float[g.OutChannels];
    // Multiply-adds of one pass, times 2 flops; each of the three passes costs the same.
    double flops = 2.0 * g.Batch * g.OutChannels * g.OutH * g.OutW * g.InChannelsPerGroup * g.KernelH * g.KernelW;
    Console.WriteLine($"Conv2D 32->64 3x3 on [64, 32, 26, 26]: {flops / 1e9:F2} GFLOP per pass" +
        " (GFLOP/s below count these flops of the direct sum, also for Winograd, which does 2.25x fewer multiplies)");
    Conv2DAlgorithm[] algorithms = [Conv2DAlgorithm.Im2ColGemm, Conv2DAlgorithm.Winograd];
    foreach (var algorithm in withReference ? [.. algorithms, Conv2DAlgorithm.Reference] : algorithms)
    {
        var kernel = new Conv2DDispatcher(algorithm);
        int repeats = algorithm == Conv2DAlgorithm.Reference ? 1 : 10;
        var (forward, forwardCpu) = Best(() => kernel.Forward(g, input, weight, bias, output), flops, repeats);
        var (backward, backwardCpu) = Best(() =>
        {
            kernel.BackwardWeight(g, input, dOutput, dWeight, dBias);
            kernel.BackwardInput(g, dOutput, weight, dInput);
        }, 2 * flops, repeats);
        Console.WriteLine($"  {algorithm,-10} forward {forward * 1e3,9:F2} ms ({flops / forward / 1e9,6:F1} GFLOP/s)" +
            $"  backward {backward * 1e3,9:F2} ms ({2 * flops / backward / 1e9,6:F1} GFLOP/s)" +
            $"  total {(forward + backward) * 1e3,9:F2} ms; CPU time forward {forwardCpu * 1e3:F2} ms, backward {backwardCpu * 1e3:F2} ms");
        if (kernel.CanBackward(g))
        {
            // Both gradients in one pass (what Conv2D runs on this path).
            var (fused, fusedCpu) = Best(() => kernel.Backward(g, input, dOutput, default, weight, dInput, dWeight, dBias), 2 * flops, repeats);
            Console.WriteLine($"  {"",-10} backward in one pass {fused * 1e3,9:F2} ms ({2 * flops / fused / 1e9,6:F1} GFLOP/s); " +
                $"CPU time {fusedCpu * 1e3:F2} ms");
        }
    }
}

static void PoolBench()
{
    // MaxPool2D(2) and AvgPool2D(2) on the conv benchmark's output, [64, 64, 24, 24].
    var g = new Pool2DGeometry(64, 64, 24, 24, 2, 2, 2, 2);
    var random = new Random(3);
    var input = RandomArray(random, g.InputLength);
    var output = new float[g.OutputLength];
    var dOutput = RandomArray(random, g.OutputLength);
    var dInput = new float[g.InputLength];
    var argmax = new int[g.OutputLength];
    Console.WriteLine("MaxPool2D(2) / AvgPool2D(2) on [64, 64, 24, 24], forward + backward:");
    var runs = new (string, Action)[]
    {
        ("max, reference", () => { Pool2DReference.MaxForward(g, input, output, argmax); Pool2DReference.MaxBackward(dOutput, argmax, dInput); }),
        ("max, Pool2DCpu", () => { Pool2DCpu.MaxForward(g, input, output, argmax); Pool2DCpu.MaxBackward(g, dOutput, argmax, dInput); }),
        ("avg, reference", () => { Pool2DReference.AvgForward(g, true, input, output); Pool2DReference.AvgBackward(g, true, dOutput, dInput); }),
        ("avg, Pool2DCpu", () => { Pool2DCpu.AvgForward(g, true, input, output); Pool2DCpu.AvgBackward(g, true, dOutput, dInput); }),
    };
    foreach (var (name, action) in runs)
    {
        var (seconds, cpu) = Best(action, 0);
        Console.WriteLine($"  {name,-16} {seconds * 1e3,8:F2} ms (CPU time {cpu * 1e3:F2} ms)");
    }
}

// Best wall time of several runs after a warm-up, repeating until ~0.5 s or `repeats` runs,
// and the least CPU time of a run, summed over the process's threads (Linux clock_gettime).
// The machine is shared: CPU time shows what the cores achieve when the wall clock also counts
// time the scheduler gave to other processes (spin-waiting for other threads counts as CPU).
static (double Seconds, double CpuSeconds) Best(Action action, double flops, int repeats = 30)
{
    action();
    double bestSeconds = double.MaxValue, bestCpu = double.MaxValue;
    var total = Stopwatch.StartNew();
    for (int i = 0; i < repeats && (i < 3 || total.Elapsed.TotalSeconds < 0.5); i++)
    {
        double cpu = CpuSeconds();
        var watch = Stopwatch.StartNew();
        action();
        bestSeconds = Math.Min(bestSeconds, watch.Elapsed.TotalSeconds);
        bestCpu = Math.Min(bestCpu, CpuSeconds() - cpu);
    }
    return (bestSeconds, bestCpu);
}

static double CpuSeconds()
{
    // CLOCK_PROCESS_CPUTIME_ID: CPU time of all threads of the process, to the nanosecond.
    if (Native.clock_gettime(2, out var time) != 0) return double.NaN;
    return time.Seconds + time.Nanoseconds / 1e9;
}

static float[] RandomArray(Random random, int length)
{
    var values = new float[length];
    for (int i = 0; i < length; i++) values[i] = random.NextSingle() * 2 - 1;
    return values;
}

internal static partial class Native
{
    internal struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    internal static partial int clock_gettime(int clock, out TimeSpec time);
}
