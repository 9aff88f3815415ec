using Convolve.Data;

namespace Convolve.Imaging.Tests;

public class DataSourceTests
{
    [Fact]
    public void Load_Name_GivesTheNamedDataSet()
    {
        var loaded = DataSource.Load("digits", new ImageFolderOptions());

        Assert.Equal("digits", loaded.Splits.Name);
        Assert.Equal(10000, loaded.Splits.Test.Count);
        Assert.Empty(loaded.Skipped);
    }

    [Fact]
    public void Load_FolderOfImages_ReadsItWithSkia_AndReportsSkippedFiles()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 5; i++)
        {
            SkiaImageEncoder.Save(new DecodedImage(8, 8, 1, new byte[64]), folder.File($"zero/{i}.png"));
            SkiaImageEncoder.Save(new DecodedImage(8, 8, 1, Enumerable.Repeat((byte)255, 64).ToArray()), folder.File($"one/{i}.png"));
        }
        File.WriteAllText(folder.File("one/bad.png"), "garbage");

        var loaded = DataSource.Load(folder.Path, new ImageFolderOptions { Height = 4, Width = 4 }, seed: 3);

        // 20% of 5 per class is 1 per class.
        Assert.Equal(8, loaded.Splits.Train.Count);
        Assert.Equal(2, loaded.Splits.Test.Count);
        Assert.Equal(["one", "zero"], loaded.Splits.Train.ClassNames);
        Assert.Equal([folder.File("one/bad.png")], loaded.Skipped.Select(s => s.Path));
    }

    [Fact]
    public void Load_FolderOfIdxFiles_ReadsThem()
    {
        using var folder = new TempFolder();
        Idx.Write(folder.File("train-images-idx3-ubyte.gz"), new IdxArray([1, 2, 2], new byte[4]));
        Idx.Write(folder.File("train-labels-idx1-ubyte.gz"), new IdxArray([1], [6]));
        Idx.Write(folder.File("t10k-images-idx3-ubyte.gz"), new IdxArray([1, 2, 2], new byte[4]));
        Idx.Write(folder.File("t10k-labels-idx1-ubyte.gz"), new IdxArray([1], [2]));

        var loaded = DataSource.Load(folder.Path, new ImageFolderOptions());

        Assert.Equal([6], loaded.Splits.Train.Labels);
        Assert.Equal([2], loaded.Splits.Test.Labels);
    }

    [Fact]
    public void Load_NeitherNameNorFolder_SaysWhatIsAccepted()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => DataSource.Load("cifar10", new ImageFolderOptions()));

        Assert.StartsWith("cifar10: not a data set name (digits, mnist, fashion-mnist) and not a folder;", e.Message);
    }
}
