using System.Diagnostics;
using System.Reflection;

namespace Convolve.PeerBench;

/// <summary>A worker's outcome: its result, or why there is none.</summary>
public sealed record Run(Engine Engine, string Model, int Threads, string Mode, WorkerResult? Result, string? Error);

/// <summary>
/// Runs the workers: for each model and thread count, each mode (train, then infer) and each
/// round, every engine once in turn, the order reversed on odd rounds, so that a slow spell of
/// the machine falls on all engines rather than on one. Each worker is its own process.
/// </summary>
public sealed class Harness(Options options, string scripts)
{
    private string? onnxDirectory;
    private string? onnxError;
    private string? batchFile;

    public List<Run> Runs { get; } = [];

    /// <summary>Where ONNX Runtime's model files came from, for the table's notes.</summary>
    public string OnnxSource => options.OnnxDirectory is { } d
        ? $"the files in {d}"
        : options.OnnxFrom == "pytorch"
            ? "PyTorch models with the same layers, exported by torch.onnx (scripts/pytorch_peer.py export; PyTorch's random weights)"
            : "Convolve's own export of each model (Convolve.Onnx OnnxExporter, opset 13: the model the Convolve rows run, up to the logits)";

    public void RunAll()
    {
        var engines = options.Engines.Select(name => Engine.Find(name)!).ToList();
        var temporary = Directory.CreateTempSubdirectory("peerbench-");
        try
        {
            batchFile = Path.Combine(temporary.FullName, "batch.bin");
            Workload.WriteBatchFile(batchFile);
            if (options.OnnxDirectory is not null) onnxDirectory = Path.GetFullPath(options.OnnxDirectory);
            else if (engines.Any(e => e.Name == "onnxruntime"))
            {
                if (options.OnnxFrom == "pytorch") ExportOnnxWithPyTorch(temporary.FullName);
                else ExportOnnxWithConvolve(temporary.FullName);
            }
            foreach (var model in options.Models)
                foreach (int threads in options.Threads)
                    foreach (var mode in new[] { "train", "infer" })
                        for (int round = 0; round < options.Rounds; round++)
                        {
                            var order = round % 2 == 0 ? engines : Enumerable.Reverse(engines).ToList();
                            foreach (var engine in order.Where(e => mode == "infer" || e.Trains))
                                Runs.Add(RunWorker(engine, model, threads, mode));
                        }
        }
        finally
        {
            temporary.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The ONNX files for ONNX Runtime, written by Convolve's exporter: each model as
    /// <see cref="Workload.LogitsModel"/> builds it, into <c>DIR/MODEL.onnx</c>.
    /// </summary>
    private void ExportOnnxWithConvolve(string directory)
    {
        Console.WriteLine("Exporting the models to ONNX with Convolve.Onnx ...");
        try
        {
            foreach (var model in options.Models)
                Convolve.Onnx.OnnxExporter.Save(Workload.LogitsModel(model), Path.Combine(directory, model + ".onnx"));
            onnxDirectory = directory;
        }
        catch (Exception e) when (e is NotSupportedException or IOException or InvalidOperationException)
        {
            onnxError = $"ONNX export failed: {e.Message}";
            Console.WriteLine(onnxError);
        }
    }

    /// <summary>
    /// The ONNX files for ONNX Runtime, made by <c>scripts/pytorch_peer.py export</c> from PyTorch
    /// models with the same layers (<c>--onnx-from pytorch</c>).
    /// </summary>
    private void ExportOnnxWithPyTorch(string directory)
    {
        Console.WriteLine($"Exporting the models to ONNX with {options.Python} (torch.onnx) ...");
        var (exitCode, _, error) = Start(options.Python, [Path.Combine(scripts, "pytorch_peer.py"), "export", directory], new Dictionary<string, string?>());
        if (exitCode == 0) onnxDirectory = directory;
        else onnxError = $"ONNX export failed (exit {exitCode}): {FirstLine(error)}";
        if (onnxError is not null) Console.WriteLine(onnxError);
    }

    /// <summary>The torch version <paramref name="python"/> imports, or null when it cannot (no such program, no torch).</summary>
    public static string? PythonTorchVersion(string python)
    {
        try
        {
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("import torch; print(torch.__version__)");
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60))) { process.Kill(entireProcessTree: true); return null; }
            return process.ExitCode == 0 ? output.Result.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private Run RunWorker(Engine engine, string model, int threads, string mode)
    {
        string file;
        List<string> arguments;
        var environment = new Dictionary<string, string?>
        {
            ["GLIBC_TUNABLES"] = engine.MallocTuned ? Engine.GlibcTunables : null,
            // Convolve's threads are set by Model.SetMaxThreads in the worker; the variable
            // (which would also change Environment.ProcessorCount) is kept out of every child.
            ["DOTNET_PROCESSOR_COUNT"] = null,
        };
        string seconds = options.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (engine.IsPython)
        {
            file = options.Python;
            arguments = [Path.Combine(scripts, "pytorch_peer.py"), "worker", model, mode, threads.ToString(), seconds, batchFile!];
        }
        else
        {
            if (engine.Name == "onnxruntime" && onnxDirectory is null)
                return Report(new Run(engine, model, threads, mode, null, onnxError ?? "no ONNX files"));
            (file, arguments) = Self();
            arguments.AddRange(["--worker", engine.Name, model, mode, "--threads", threads.ToString(), "--seconds", seconds, "--batch", batchFile!]);
            if (onnxDirectory is not null) arguments.AddRange(["--onnx", onnxDirectory]);
            if (engine.Name == "onnxruntime" && options.OnnxDirectory is null && options.OnnxFrom == "convolve")
                arguments.AddRange(["--compare-with-convolve", "yes"]);
        }

        var (exitCode, output, error) = Start(file, arguments, environment);
        var result = output.Split('\n').Select(line => WorkerResult.TryParse(line.TrimEnd('\r'))).LastOrDefault(r => r is not null);
        return Report(result is not null && exitCode == 0
            ? new Run(engine, model, threads, mode, result with { Engine = engine.Name }, null)
            : new Run(engine, model, threads, mode, null, $"exit {exitCode}: {FirstLine(error.Length > 0 ? error : output)}"));
    }

    private static Run Report(Run run)
    {
        var r = run.Result;
        string figures = r is null ? $"FAILED {run.Error}"
            : string.Join(", ", new[]
            {
                r.Train is { } t ? $"train {t:N0}/s" : null,
                r.Infer64 is { } b ? $"infer b64 {b:N0}/s" : null,
                r.Infer1 is { } o ? $"infer b1 {o:N0}/s" : null,
                $"peak {r.PeakKiB / 1024.0:N0} MiB",
            }.Where(s => s is not null));
        Console.WriteLine($"  {run.Model,-9} {run.Threads}T {run.Engine.Name,-18} {run.Mode,-5} {figures}");
        return run;
    }

    /// <summary>How to start this program again: its apphost, or <c>dotnet</c> with its dll.</summary>
    private static (string File, List<string> Arguments) Self()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell this program's path.");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [Assembly.GetExecutingAssembly().Location])
            : (process, []);
    }

    private (int ExitCode, string Output, string Error) Start(string file, IEnumerable<string> arguments, IDictionary<string, string?> environment)
    {
        // A worker times up to three figures of a warm-up (at least 3 s) and --seconds each, plus start-up; a stuck one is killed.
        var timeout = TimeSpan.FromSeconds(120 + 3 * Stopwatches.WarmupSeconds + 10 * options.Seconds);
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return (-1, output.Result, $"killed after {timeout.TotalSeconds:N0} s without finishing");
            }
            process.WaitForExit();
            return (process.ExitCode, output.Result, error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", $"cannot start {file}: {e.Message}");
        }
    }

    private static string FirstLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // An exception's own message line says more than "Unhandled exception." above it.
        return lines.FirstOrDefault(l => l.Contains("Exception:") || l.Contains("Error:")) ?? lines.FirstOrDefault() ?? "(no output)";
    }
}
