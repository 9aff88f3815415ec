using Convolve.Cli;

namespace Convolve.Serve.Tests;

/// <summary>
/// A small model trained once per test run by the CLI itself (the article's network on 6,000 of the
/// embedded digits, 2 epochs: about 95% on the test set), for the pages to draw on.
/// </summary>
public static class TrainedModel
{
    private static readonly Lazy<string> File = new(Train, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The model file's path.</summary>
    public static string Path => File.Value;

    private static string Train()
    {
        string folder = Directory.CreateTempSubdirectory("convolve-serve-tests-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { } // a server still holding it open: the system's temp cleaning takes it
        };
        string path = System.IO.Path.Combine(folder, "digits.cvm");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ConvolveApp.Run(["train", "--limit", "6000", "--epochs", "2", "--seed", "1", "--out", path], output, error, plain: true);
        if (code != 0) throw new InvalidOperationException($"training the test model failed ({code}): {error}");
        return path;
    }
}
