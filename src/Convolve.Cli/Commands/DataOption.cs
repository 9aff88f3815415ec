using Convolve.Data;

namespace Convolve.Cli.Commands;

/// <summary>The <c>--data</c> option of the commands: loads through <see cref="Imaging.DataSource"/> and reports skipped files.</summary>
internal static class DataOption
{
    /// <summary>What <c>--data</c> accepts, for help texts.</summary>
    public static string Help =>
        $"{string.Join(", ", Datasets.Names)} (embedded MNIST subset, the default), a folder of MNIST-named IDX files, " +
        "or a folder with one sub-folder of images per class (train/ and test/ sub-folders are used when present).";

    /// <summary>
    /// The train and test sets of <paramref name="name"/>. Folders of images are decoded into
    /// <paramref name="channels"/> x <paramref name="height"/> x <paramref name="width"/>; files that do not
    /// decode are reported on <paramref name="terminal"/> and skipped.
    /// </summary>
    public static DatasetSplits Load(string name, Terminal terminal, int channels = 1, int height = 28, int width = 28, int seed = 0)
    {
        Imaging.LoadedData loaded;
        try
        {
            loaded = Imaging.DataSource.Load(name, new ImageFolderOptions { Channels = channels, Height = height, Width = width }, seed);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ArgumentException($"--data {e.Message}", e); // the library names the data; the option is the CLI's word
        }
        foreach (var file in loaded.Skipped) terminal.Text($"skipped {file.Path}: {file.Reason}");
        return loaded.Splits;
    }
}
