using Convolve.Kernels.Cpu;
using Convolve.Tensors;

namespace Convolve.Data;

/// <summary>Options of <see cref="ImageFolder.Load"/>: the image size the model expects.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Output channels: 1 (gray) or 3 (RGB), whatever the files hold.</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Output height in pixels.</summary>
    public int Height { get; init; } = 28;

    /// <summary>Output width in pixels.</summary>
    public int Width { get; init; } = 28;

    /// <summary>
    /// Use <c>1 - value</c>: for dark ink on a light background (a scanned or drawn digit), since
    /// MNIST-style data sets have light ink on black.
    /// </summary>
    public bool Invert { get; init; }

    /// <summary>Threads decoding at once; 0 uses every core, and no more than the cores are used (<see cref="Kernels.Cpu.ThreadCount"/>).</summary>
    public int Threads { get; init; }
}

/// <summary>A file that was left out of an image folder, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>The images of a folder and the files that could not be used.</summary>
public sealed record ImageFolderResult(ImageDataset Dataset, IReadOnlyList<SkippedFile> Skipped);

/// <summary>
/// Reads a folder of images with one sub-folder per class (<c>root/cat/1.png</c>,
/// <c>root/dog/7.jpg</c>): the class names are the sub-folder names in ordinal order, the label of
/// an image is its folder's index. Every image is decoded, converted and resized once, into memory.
/// </summary>
public static class ImageFolder
{
    /// <summary>
    /// Loads every file with one of the decoder's extensions in the class sub-folders of
    /// <paramref name="root"/> (nested folders included), in ordinal path order. A file that does
    /// not decode is skipped and listed in <see cref="ImageFolderResult.Skipped"/> with the reason,
    /// as is an image lying directly in <paramref name="root"/>. Files with other extensions are
    /// ignored silently (a README, a thumbnail cache).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">No class sub-folder, or no image could be used.</exception>
    public static ImageFolderResult Load(string root, IImageDecoder decoder, ImageFolderOptions options)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{root}: no such folder; expected a folder with one sub-folder of images per class.");
        if (options.Channels is not (1 or 3))
            throw new ArgumentException($"ImageFolder: {options.Channels} channels; expected 1 (gray) or 3 (RGB).");
        if (options.Threads < 0)
            throw new ArgumentException($"ImageFolder: {options.Threads} threads; expected 0 (one per core) or more.");

        var extensions = new HashSet<string>(decoder.Extensions, StringComparer.OrdinalIgnoreCase);
        bool IsImage(string path) => extensions.Contains(Path.GetExtension(path));

        var skipped = new List<SkippedFile>();
        foreach (string stray in Directory.EnumerateFiles(root).Where(IsImage).Order(StringComparer.Ordinal))
            skipped.Add(new SkippedFile(stray, "not in a class sub-folder"));

        // Hidden folders (.git, .ipynb_checkpoints) are not classes.
        var classDirs = Directory.GetDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Order(StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"{root}: no sub-folders; expected one sub-folder of images per class " +
                $"({Path.Combine(root, "cat", "1.png")}, {Path.Combine(root, "dog", "1.png")}, ...).");
        var classNames = classDirs.Select(d => Path.GetFileName(d)!).ToArray();

        var files = new List<(string Path, int Label)>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            foreach (string file in Directory.EnumerateFiles(classDirs[c], "*", SearchOption.AllDirectories)
                         .Where(IsImage).Order(StringComparer.Ordinal))
                files.Add((file, c));
        }

        int itemSize = options.Channels * options.Height * options.Width;
        var pixels = new float[(long)files.Count * itemSize];
        var errors = new string?[files.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ThreadCount.Resolve(options.Threads) };
        // Each file writes its own slice, so the result does not depend on the scheduling.
        Parallel.For(0, files.Count, parallel, i =>
        {
            try
            {
                DecodeInto(files[i].Path, decoder, options, pixels.AsSpan(i * itemSize, itemSize));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException or ArgumentException)
            {
                errors[i] = e.Message;
            }
        });

        var kept = new List<int>();
        for (int i = 0; i < files.Count; i++)
        {
            if (errors[i] is null) kept.Add(i);
            else skipped.Add(new SkippedFile(files[i].Path, errors[i]!));
        }
        if (kept.Count == 0)
        {
            int first = Array.FindIndex(errors, e => e is not null);
            throw new InvalidDataException(files.Count == 0
                ? $"{root}: no files ending in {string.Join(", ", decoder.Extensions)} in its {classDirs.Length} class sub-folders."
                : $"{root}: none of its {files.Count} images could be decoded; the first failure: {files[first].Path}: {errors[first]}");
        }

        var shape = new Shape(kept.Count, options.Channels, options.Height, options.Width);
        float[] buffer = pixels;
        if (kept.Count != files.Count)
        {
            buffer = new float[shape.Size];
            for (int k = 0; k < kept.Count; k++)
                pixels.AsSpan(kept[k] * itemSize, itemSize).CopyTo(buffer.AsSpan(k * itemSize, itemSize));
        }
        var labels = kept.Select(i => files[i].Label).ToArray();
        return new ImageFolderResult(new ImageDataset(new Tensor(shape, buffer), labels, classNames), skipped);
    }

    /// <summary>
    /// One image file as a batch of one, [1, C, H, W], converted like the images of a folder (for
    /// predicting the class of a single file).
    /// </summary>
    /// <exception cref="ImageDecodeException">The file does not decode.</exception>
    public static Tensor LoadImage(string path, IImageDecoder decoder, ImageFolderOptions options)
    {
        var tensor = new Tensor(new Shape(1, options.Channels, options.Height, options.Width));
        DecodeInto(path, decoder, options, tensor.Span);
        return tensor;
    }

    private static void DecodeInto(string path, IImageDecoder decoder, ImageFolderOptions options, Span<float> target)
    {
        var image = decoder.Decode(path);
        ImageResize.ToTensor(image, options.Channels, options.Height, options.Width, target);
        if (options.Invert)
        {
            for (int i = 0; i < target.Length; i++) target[i] = 1 - target[i];
        }
    }

    /// <summary>
    /// A training and a test set from a folder: <c>root/train</c> and <c>root/test</c> when both exist
    /// (each with the same class sub-folders), else the whole folder split with
    /// <see cref="DatasetSplit.TrainValidation"/> (stratified, <paramref name="testFraction"/>, seeded).
    /// </summary>
    public static (DatasetSplits Splits, IReadOnlyList<SkippedFile> Skipped) LoadSplits(string root, IImageDecoder decoder,
        ImageFolderOptions options, double testFraction = 0.2, int seed = 0)
    {
        string trainDir = Path.Combine(root, "train"), testDir = Path.Combine(root, "test");
        if (Directory.Exists(trainDir) && Directory.Exists(testDir))
        {
            var train = Load(trainDir, decoder, options);
            var test = Load(testDir, decoder, options);
            if (!train.Dataset.ClassNames.SequenceEqual(test.Dataset.ClassNames))
                throw new InvalidDataException($"{root}: train/ has classes {string.Join(", ", train.Dataset.ClassNames)} " +
                    $"but test/ has {string.Join(", ", test.Dataset.ClassNames)}; they must have the same class sub-folders.");
            return (new DatasetSplits(root, train.Dataset, test.Dataset, root), [.. train.Skipped, .. test.Skipped]);
        }
        var all = Load(root, decoder, options);
        var (trainPart, testPart) = DatasetSplit.TrainValidation(all.Dataset, testFraction, seed);
        return (new DatasetSplits(root, trainPart, testPart, $"{root} (test: {testFraction * 100:0.#}% of each class, seed {seed})"), all.Skipped);
    }
}
