namespace Convolve.PeerBench;

/// <summary>The harness's command line (see <see cref="Usage"/>).</summary>
public sealed record Options
{
    public IReadOnlyList<string> Models { get; init; } = Workload.Models;
    public IReadOnlyList<int> Threads { get; init; } = [1, 2];
    public IReadOnlyList<string> Engines { get; init; } = Engine.Defaults;
    /// <summary>Whether --engines was given; if not, the PyTorch rows are left out (with a note) when Python cannot import torch.</summary>
    public bool EnginesGiven { get; init; }
    public double Seconds { get; init; } = 0.5;
    public int Rounds { get; init; } = 1;
    public string Out { get; init; } = "peerbench-results.md";
    public string? BenchmarksMd { get; init; }
    public string Python { get; init; } = "/usr/bin/python3";
    public string? Label { get; init; }
    public string? OnnxDirectory { get; init; }
    public string OnnxFrom { get; init; } = "convolve";

    public const string Usage = """
        Convolve peer benchmark: Convolve against TorchSharp-cpu (libtorch), ONNX Runtime and optionally PyTorch.

        dotnet run -c Release --project bench/Convolve.PeerBench -- [options]

          --models LIST        models to run (default seed,lenet5,mnist-cnn)
          --threads LIST       thread counts (default 1,2)
          --engines LIST       rows to run (default all: convolve,torchsharp,torchsharp+malloc,onnxruntime,pytorch,
                               pytorch+malloc; the PyTorch rows are left out, with a note, when --python cannot import torch)
          --seconds N          measured seconds per figure, after a warm-up of max(3, N/2) s (default 0.5)
          --rounds N           runs of each engine, alternating the order; the table shows the median (default 1)
          --out FILE           markdown table written here (default peerbench-results.md)
          --benchmarks-md FILE also replace the table between the peerbench markers in FILE (e.g. BENCHMARKS.md)
          --label TEXT         a line printed above the table in the markdown (e.g. "quiet machine")
          --python PATH        Python with torch, for the ONNX files and the PyTorch rows (default /usr/bin/python3)
          --onnx-from WHO      who writes the ONNX files ONNX Runtime runs: convolve (default: Convolve.Onnx's exporter,
                               the same model and weights as the Convolve rows) or pytorch (torch.onnx, needs --python)
          --onnx-dir DIR       time ONNX Runtime on DIR/seed.onnx, DIR/lenet5.onnx, DIR/mnist-cnn.onnx instead

        Each engine, model, thread count and mode (train, infer) runs in its own child process
        (this program with --worker), so each peak memory figure is that process's own.
        """;

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            static string[] List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            options = args[i] switch
            {
                "--models" => options with { Models = List(Value()) },
                "--threads" => options with { Threads = [.. List(Value()).Select(int.Parse)] },
                "--engines" => options with { Engines = List(Value()), EnginesGiven = true },
                "--seconds" => options with { Seconds = double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--rounds" => options with { Rounds = int.Parse(Value()) },
                "--out" => options with { Out = Value() },
                "--benchmarks-md" => options with { BenchmarksMd = Value() },
                "--label" => options with { Label = Value() },
                "--python" => options with { Python = Value() },
                "--onnx-dir" => options with { OnnxDirectory = Value() },
                "--onnx-from" => options with { OnnxFrom = Value() },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }
        foreach (var model in options.Models)
            if (!Workload.Models.Contains(model))
                throw new ArgumentException($"--models: unknown model '{model}'; known: {string.Join(", ", Workload.Models)}.");
        foreach (var engine in options.Engines)
            if (Engine.Find(engine) is null)
                throw new ArgumentException($"--engines: unknown engine '{engine}'; known: {string.Join(", ", Engine.All.Select(e => e.Name))}.");
        if (!options.Engines.Contains("convolve")) throw new ArgumentException("--engines must include convolve: every ratio is Convolve/peer.");
        if (options.OnnxFrom is not ("convolve" or "pytorch"))
            throw new ArgumentException($"--onnx-from: expected convolve or pytorch, got '{options.OnnxFrom}'.");
        if (options.Threads.Any(t => t < 1)) throw new ArgumentException("--threads: thread counts must be at least 1.");
        if (!(options.Seconds > 0) || options.Rounds < 1) throw new ArgumentException("--seconds must be positive and --rounds at least 1.");
        return options;
    }
}

/// <summary>
/// One row kind of the table: which worker runs, whether glibc's malloc is kept from returning
/// memory to the system for it, and whether it trains.
/// </summary>
/// <param name="Name">The name on the command line and in worker results.</param>
/// <param name="Title">The name in the table.</param>
/// <param name="MallocTuned">Runs with <see cref="Engine.GlibcTunables"/> set; otherwise with GLIBC_TUNABLES removed.</param>
/// <param name="Trains">False for inference-only engines (ONNX Runtime).</param>
public sealed record Engine(string Name, string Title, bool MallocTuned, bool Trains)
{
    /// <summary>
    /// Keeps glibc from handing freed memory back to the kernel (and from serving large blocks with
    /// mmap), so an engine that allocates per operator does not pay a page fault per 4 KiB again at
    /// every step: issue 5's "fair" setting for libtorch.
    /// </summary>
    public const string GlibcTunables = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296";

    public static readonly IReadOnlyList<Engine> All =
    [
        new("convolve", "Convolve", false, true),
        new("torchsharp", "TorchSharp, as is", false, true),
        new("torchsharp+malloc", "TorchSharp, malloc tuned", true, true),
        new("onnxruntime", "ONNX Runtime", false, false),
        new("pytorch", "PyTorch, as is", false, true),
        new("pytorch+malloc", "PyTorch, malloc tuned", true, true),
    ];

    public static readonly IReadOnlyList<string> Defaults = ["convolve", "torchsharp", "torchsharp+malloc", "onnxruntime", "pytorch", "pytorch+malloc"];

    public static Engine? Find(string name) => All.FirstOrDefault(e => e.Name == name);

    public bool IsPython => Name.StartsWith("pytorch", StringComparison.Ordinal);
    public bool IsTorchSharp => Name.StartsWith("torchsharp", StringComparison.Ordinal);
}
