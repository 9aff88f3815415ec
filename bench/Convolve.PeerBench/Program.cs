using System.Diagnostics;
using System.Globalization;
using System.Text;
using Convolve.PeerBench;

// The peer benchmark of issue 5; BENCHMARKS.md at the repository root says how to read it.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length > 0 && args[0] == "--worker") return Worker(args);
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Options.Usage);
    return 0;
}

Options options;
try { options = Options.Parse(args); }
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

// By default every engine runs; without torch in --python, the PyTorch rows are left out rather than failed.
string? leftOut = null;
if (!options.EnginesGiven && options.Engines.Any(e => Engine.Find(e)!.IsPython) && Harness.PythonTorchVersion(options.Python) is null)
{
    leftOut = $"PyTorch rows left out: {options.Python} cannot import torch (apt-get install python3-torch, or --python PATH).";
    Console.WriteLine(leftOut);
    options = options with { Engines = [.. options.Engines.Where(e => !Engine.Find(e)!.IsPython)] };
}

string machine = Machine.Describe(), loadBefore = Machine.LoadAverage();
var started = DateTime.UtcNow;
Console.WriteLine($"Machine: {machine}");
Console.WriteLine($"Load average before: {loadBefore}");
var harness = new Harness(options, Path.Combine(AppContext.BaseDirectory, "scripts"));
var clock = Stopwatch.StartNew();
harness.RunAll();
string loadAfter = Machine.LoadAverage();
var table = new ResultTable(harness.Runs, options);

Console.WriteLine();
Console.Write(table.ToText());
foreach (var error in table.Errors) Console.WriteLine($"failed: {error}");
Console.WriteLine($"Load average after: {loadAfter}; {clock.Elapsed.TotalSeconds:N0} s.");

var markdown = new StringBuilder();
if (options.Label is not null) markdown.AppendLine($"**{options.Label}**").AppendLine();
markdown.AppendLine($"Measured {started:yyyy-MM-dd HH:mm} UTC with `dotnet run -c Release --project bench/Convolve.PeerBench --{CommandLine(args)}`")
    .AppendLine($"({options.Seconds.ToString(CultureInfo.InvariantCulture)} s per figure after warm-up, median of {Stopwatches.Windows} windows, " +
        $"{options.Rounds} round(s), {clock.Elapsed.TotalSeconds:N0} s in all).")
    .AppendLine()
    .AppendLine($"Machine: {machine}.")
    .AppendLine()
    .AppendLine($"Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}.")
    .AppendLine()
    .AppendLine(options.Engines.Contains("onnxruntime") ? $"ONNX Runtime ran on {harness.OnnxSource}." : "")
    .AppendLine()
    .Append(leftOut is null ? "" : leftOut + "\n\n")
    .Append(table.ToMarkdown());
// What each worker saw from inside: engine version and thread setting, once per engine and thread count.
// (per model too where they differ, as ONNX Runtime's comparison with Convolve's logits does).
var notes = harness.Runs.Where(r => r.Result?.Note is not null)
    .GroupBy(r => (r.Engine.Title, r.Threads))
    .SelectMany(g => g.Select(r => r.Result!.Note).Distinct().Count() == 1
        ? [$"- {g.Key.Title}, {g.Key.Threads} thread(s): {g.First().Result!.Note}"]
        : g.Select(r => $"- {g.Key.Title}, {r.Model}, {g.Key.Threads} thread(s): {r.Result!.Note}").Distinct())
    .ToList();
if (notes.Count > 0)
{
    markdown.AppendLine().AppendLine("Workers' notes (version and thread setting, as each worker reported them):")
        .AppendLine().AppendJoin('\n', notes).AppendLine();
}
foreach (var error in table.Errors) markdown.AppendLine().AppendLine($"- failed: {error.Replace("|", "\\|")}");
File.WriteAllText(options.Out, markdown.ToString());
Console.WriteLine($"Markdown written to {Path.GetFullPath(options.Out)}.");
if (options.BenchmarksMd is not null) UpdateBenchmarksMd(options.BenchmarksMd, markdown.ToString(), Machine.TableKey);
return table.Errors.Count == 0 ? 0 : 1;

// The arguments as typed, except the label's text, which is printed above the table anyway.
static string CommandLine(string[] args) => string.Concat(args.Select((a, i) =>
    " " + (i > 0 && args[i - 1] == "--label" ? "\"...\"" : a.Contains(' ') ? $"\"{a}\"" : a)));

// Replaces the text between this instruction set's two markers, so BENCHMARKS.md keeps its
// prose, its history and the tables of the other kinds of CPU; a new kind gets its own section
// at the end of "Latest tables".
static void UpdateBenchmarksMd(string path, string table, string key)
{
    string begin = $"<!-- peerbench:begin {key} -->", end = $"<!-- peerbench:end {key} -->";
    const string history = "\n## History";
    string text = File.ReadAllText(path);
    int from = text.IndexOf(begin, StringComparison.Ordinal), to = text.IndexOf(end, StringComparison.Ordinal);
    if (from < 0 || to < from)
    {
        int at = text.IndexOf(history, StringComparison.Ordinal);
        if (at < 0)
        {
            Console.Error.WriteLine($"{path}: no '{begin}' ... '{end}' markers and no '## History' section to put them before; not updated.");
            return;
        }
        text = text[..at] + $"\n### {key}\n\n{begin}\n{end}\n" + text[at..];
        from = text.IndexOf(begin, StringComparison.Ordinal);
        to = text.IndexOf(end, StringComparison.Ordinal);
    }
    File.WriteAllText(path, text[..(from + begin.Length)] + "\n" + table + text[to..]);
    Console.WriteLine($"Table for {key} replaced in {Path.GetFullPath(path)}.");
}

// --worker ENGINE MODEL MODE --threads N --seconds S --batch FILE [--onnx DIR] [--compare-with-convolve yes]: one measurement, one result line.
static int Worker(string[] args)
{
    if (args.Length < 4)
        throw new ArgumentException("--worker ENGINE MODEL MODE [--threads N] [--seconds S] [--batch FILE] [--onnx DIR] [--compare-with-convolve yes]");
    string engine = args[1], model = args[2], mode = args[3];
    int threads = 1;
    double seconds = 1;
    string onnx = ".", batch = "batch.bin";
    bool compare = false;
    for (int i = 4; i + 1 < args.Length; i += 2)
        switch (args[i])
        {
            case "--threads": threads = int.Parse(args[i + 1]); break;
            case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            case "--onnx": onnx = args[i + 1]; break;
            case "--batch": batch = args[i + 1]; break;
            case "--compare-with-convolve": compare = args[i + 1] == "yes"; break;
            default: throw new ArgumentException($"worker: unknown option '{args[i]}'.");
        }
    if (mode is not ("train" or "infer")) throw new ArgumentException($"worker: mode must be train or infer, got '{mode}'.");
    var result = engine switch
    {
        "convolve" => ConvolveWorker.Run(model, mode, threads, seconds, batch),
        "torchsharp" or "torchsharp+malloc" => TorchSharpWorker.Run(engine, model, mode, threads, seconds, batch),
        "onnxruntime" when mode == "infer" => OnnxRuntimeWorker.Run(model, onnx, threads, seconds, batch, compare),
        _ => throw new ArgumentException($"worker: engine '{engine}' cannot run mode '{mode}'."),
    };
    Console.WriteLine(result.ToLine());
    return 0;
}
