using System.Diagnostics;

namespace Convolve.Onnx.Tests;

/// <summary>
/// torchvision's classification models as ONNX files, exported by the checked-in script
/// scripts/export-torchvision.py with Debian's python3-torch and python3-torchvision (random
/// weights, nothing downloaded) into a cache folder on first use: <c>CONVOLVE_TORCHVISION_DIR</c>,
/// else ~/.cache/convolve/torchvision. About 2.4 GB; the export takes a few minutes.
/// </summary>
public static class TorchvisionFiles
{
    /// <summary>The models, as the script names them.</summary>
    public static IReadOnlyList<string> Models { get; } =
    [
        "alexnet", "vgg11_bn", "googlenet", "inception_v3", "resnet18", "resnet50", "densenet121",
        "squeezenet1_1", "shufflenet_v2_x1_0", "mobilenet_v2", "mobilenet_v3_small", "mnasnet0_5",
        "efficientnet_b0", "regnet_y_400mf",
    ];

    /// <summary>The operator sets each model is exported at.</summary>
    public static IReadOnlyList<int> Opsets { get; } = [11, 13];

    private const string Python = "/usr/bin/python3";
    private const string Packages = "/usr/lib/python3/dist-packages";
    private static readonly object ExportLock = new();

    /// <summary>The cache folder.</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("CONVOLVE_TORCHVISION_DIR") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "convolve", "torchvision");

    /// <summary>The file of <paramref name="model"/> at <paramref name="opset"/>, exported first if need be.</summary>
    public static string File(string model, int opset)
    {
        EnsureExported();
        return Path.Combine(Directory, $"{model}_opset{opset}.onnx");
    }

    /// <summary>Why the models cannot be had here, or null (see <see cref="TestDataRequirement"/>).</summary>
    public static string? Missing =>
        IsExported || (System.IO.File.Exists(Python) && System.IO.File.Exists($"{Packages}/torch/__init__.py")
                       && System.IO.File.Exists($"{Packages}/torchvision/__init__.py"))
            ? null
            : $"torchvision's models are not exported in {Directory}, and python3-torch and python3-torchvision are not installed to export them " +
              "(apt-get install python3-torch python3-torchvision).";

    private static bool IsExported => System.IO.File.Exists(Path.Combine(Directory, "manifest.txt"));

    private static void EnsureExported()
    {
        lock (ExportLock)
        {
            if (IsExported) return;
            string script = Path.Combine(RepositoryRoot(), "scripts", "export-torchvision.py");
            var start = new ProcessStartInfo(Python, [script, Directory]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(30)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{script} did not finish in 30 minutes.");
            }
            if (process.ExitCode != 0 || !IsExported)
                throw new InvalidOperationException(
                    $"{script} {Directory} failed (exit code {process.ExitCode}):\n{Tail(error.Result)}\n{Tail(output.Result)}");
        }
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(20));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Convolve.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Convolve.slnx above {AppContext.BaseDirectory}.");
    }
}
