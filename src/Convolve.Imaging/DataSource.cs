using Convolve.Data;

namespace Convolve.Imaging;

/// <summary>Training and test sets, and the image files that were skipped while reading them.</summary>
public sealed record LoadedData(DatasetSplits Splits, IReadOnlyList<SkippedFile> Skipped);

/// <summary>
/// Resolves a data set's name or folder: a data set name, a folder of IDX files, or a folder of
/// images with one sub-folder per class.
/// </summary>
public static class DataSource
{
    /// <summary>
    /// Loads <paramref name="spec"/>: one of <see cref="Datasets.Names"/>; else a folder holding
    /// the four MNIST-named IDX files (read with digit class names); else a folder of images, read
    /// with <see cref="ImageFolder.LoadSplits"/> at the size in <paramref name="imageOptions"/>
    /// (train/ and test/ sub-folders, or a seeded 20% test split).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Neither a name nor a folder; the message starts with <paramref name="spec"/>.</exception>
    public static LoadedData Load(string spec, ImageFolderOptions imageOptions, int seed = 0)
    {
        if (Datasets.Names.Contains(spec))
            return new LoadedData(Datasets.Load(spec), []);
        if (!Directory.Exists(spec))
            throw new DirectoryNotFoundException(
                $"{spec}: not a data set name ({string.Join(", ", Datasets.Names)}) and not a folder; " +
                "a folder holds either MNIST-named IDX files or one sub-folder of images per class.");
        if (File.Exists(Path.Combine(spec, "train-images-idx3-ubyte")) || File.Exists(Path.Combine(spec, "train-images-idx3-ubyte.gz")))
            return new LoadedData(Datasets.LoadDirectory(spec, spec, Datasets.DigitClassNames), []);
        var (splits, skipped) = ImageFolder.LoadSplits(spec, new SkiaImageDecoder(), imageOptions, seed: seed);
        return new LoadedData(splits, skipped);
    }
}
