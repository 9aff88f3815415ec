using Convolve.Data;
using Convolve.Imaging;

namespace Convolve.Cli.Commands;

/// <summary>Loads the data a command names: a named data set or a folder of images.</summary>
internal static class DataSource
{
    /// <summary>What <c>--data</c> accepts, for help texts.</summary>
    public static string Help =>
        $"{string.Join(", ", Datasets.Names)} (embedded MNIST subset, the default), or a folder with one sub-folder of images per class (train/ and test/ sub-folders are used when present).";

    /// <summary>
    /// The train and test sets of <paramref name="name"/>. Folders of images are decoded into
    /// <paramref name="channels"/> x <paramref name="height"/> x <paramref name="width"/>; files that do not
    /// decode are reported on <paramref name="terminal"/> and skipped.
    /// </summary>
    public static DatasetSplits Load(string name, Terminal terminal, int channels = 1, int height = 28, int width = 28, int seed = 0)
    {
        if (Datasets.Names.Contains(name)) return Datasets.Load(name);
        if (!Directory.Exists(name))
            throw new ArgumentException($"--data '{name}' is neither a named data set ({string.Join(", ", Datasets.Names)}) nor a folder.");
        var (splits, skipped) = ImageFolder.LoadSplits(name, new SkiaImageDecoder(),
            new ImageFolderOptions { Channels = channels, Height = height, Width = width }, seed: seed);
        foreach (var file in skipped) terminal.Text($"skipped {file.Path}: {file.Reason}");
        return splits;
    }
}
