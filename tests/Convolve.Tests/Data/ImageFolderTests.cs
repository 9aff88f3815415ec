using System.Text;
using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Tests.Data;

/// <summary>
/// Folder scanning, class indexing and skipping, with a stand-in decoder (the SkiaSharp one is
/// tested in Convolve.Imaging.Tests): a ".txt" image is "W H v v v ..." gray bytes.
/// </summary>
public class ImageFolderTests
{
    private sealed class TextDecoder : IImageDecoder
    {
        public IReadOnlyCollection<string> Extensions => [".txt"];

        public DecodedImage Decode(string path)
        {
            var parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            try
            {
                int w = int.Parse(parts[0]), h = int.Parse(parts[1]);
                return new DecodedImage(w, h, 1, parts[2..].Select(byte.Parse).ToArray());
            }
            catch (FormatException)
            {
                throw new ImageDecodeException($"{path}: not a text image.");
            }
        }
    }

    private static void Image(string path, int w, int h, byte value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new StringBuilder($"{w} {h}");
        for (int i = 0; i < w * h; i++) text.Append(' ').Append(value);
        File.WriteAllText(path, text.ToString());
    }

    [Fact]
    public void Load_ClassesAreSubFoldersInOrdinalOrder_AndBadFilesAreSkippedByName()
    {
        using var folder = new TempFolder();
        Image(folder.File("dog/1.txt"), 2, 2, 200);
        Image(folder.File("cat/a.txt"), 4, 4, 100);
        Image(folder.File("cat/b.txt"), 1, 1, 50);
        File.WriteAllText(folder.File("cat/broken.txt"), "this is no image");
        File.WriteAllText(folder.File("cat/notes.md"), "ignored: not an image extension");
        Image(folder.File("stray.txt"), 2, 2, 1);
        Image(folder.File(".cache/hidden.txt"), 2, 2, 1);

        var result = ImageFolder.Load(folder.Path, new TextDecoder(), new ImageFolderOptions { Height = 2, Width = 2, Threads = 1 });

        Assert.Equal(["cat", "dog"], result.Dataset.ClassNames);
        Assert.Equal([0, 0, 1], result.Dataset.Labels);
        // Each image is constant, so the resized one is that constant / 255.
        Assert.Equal([100 / 255f, 50 / 255f, 200 / 255f], Enumerable.Range(0, 3).Select(i => result.Dataset.Images[i * 4]));
        Assert.Equal(
            [new SkippedFile(folder.File("stray.txt"), "not in a class sub-folder"),
             new SkippedFile(folder.File("cat/broken.txt"), $"{folder.File("cat/broken.txt")}: not a text image.")],
            result.Skipped);
    }

    [Fact]
    public void Load_SameFolderTwiceWithThreads_GivesTheSameTensor()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 20; i++) Image(folder.File($"c{i % 3}/{i:D2}.txt"), 3, 3, (byte)(i * 10));

        var one = ImageFolder.Load(folder.Path, new TextDecoder(), new ImageFolderOptions { Height = 3, Width = 3, Threads = 1 });
        var two = ImageFolder.Load(folder.Path, new TextDecoder(), new ImageFolderOptions { Height = 3, Width = 3, Threads = 4 });

        Assert.Equal(one.Dataset.Images.ToArray(), two.Dataset.Images.ToArray());
        Assert.Equal(one.Dataset.Labels, two.Dataset.Labels);
    }

    [Fact]
    public void Load_NegativeThreads_SaysWhatIsExpected()
    {
        using var folder = new TempFolder();
        Image(folder.File("c/1.txt"), 2, 2, 1);
        var e = Assert.Throws<ArgumentException>(() => ImageFolder.Load(folder.Path, new TextDecoder(), new ImageFolderOptions { Threads = -1 }));
        Assert.Equal("ImageFolder: -1 threads; expected 0 (one per core) or more.", e.Message);
    }

    [Fact]
    public void Load_NoSubFolders_SaysWhatIsExpected()
    {
        using var folder = new TempFolder();
        Image(folder.File("x.txt"), 1, 1, 0);

        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Path, new TextDecoder(), new ImageFolderOptions()));

        Assert.StartsWith($"{folder.Path}: no sub-folders; expected one sub-folder of images per class", e.Message);
    }

    [Fact]
    public void Load_MissingFolder_Throws()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load("/no/such/folder", new TextDecoder(), new ImageFolderOptions()));

        Assert.Equal("/no/such/folder: no such folder; expected a folder with one sub-folder of images per class.", e.Message);
    }

    [Fact]
    public void Load_NothingDecodes_NamesTheFirstFailure()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("a.txt"), "");
        Directory.CreateDirectory(folder.File("k"));
        File.WriteAllText(folder.File("k/bad.txt"), "nope");
        File.WriteAllText(folder.File("k/worse.txt"), "no");

        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Path, new TextDecoder(), new ImageFolderOptions()));

        Assert.Equal($"{folder.Path}: none of its 2 images could be decoded; " +
            $"the first failure: {folder.File("k/bad.txt")}: {folder.File("k/bad.txt")}: not a text image.", e.Message);
    }

    [Fact]
    public void LoadSplits_TrainAndTestFolders_AreUsedAsGiven()
    {
        using var folder = new TempFolder();
        Image(folder.File("train/a/1.txt"), 1, 1, 1);
        Image(folder.File("train/b/1.txt"), 1, 1, 2);
        Image(folder.File("test/a/1.txt"), 1, 1, 3);
        Image(folder.File("test/b/1.txt"), 1, 1, 4);

        var (splits, skipped) = ImageFolder.LoadSplits(folder.Path, new TextDecoder(), new ImageFolderOptions { Height = 1, Width = 1 });

        Assert.Equal(2, splits.Train.Count);
        Assert.Equal([3 / 255f, 4 / 255f], splits.Test.Images.ToArray());
        Assert.Empty(skipped);
    }

    [Fact]
    public void LoadSplits_OneFolder_SplitsOffATestSetPerClass()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 10; i++)
        {
            Image(folder.File($"a/{i}.txt"), 1, 1, 1);
            Image(folder.File($"b/{i}.txt"), 1, 1, 2);
        }

        var (splits, _) = ImageFolder.LoadSplits(folder.Path, new TextDecoder(), new ImageFolderOptions { Height = 1, Width = 1 }, testFraction: 0.2, seed: 1);

        // 20% of 10 per class = 2 per class.
        Assert.Equal([0, 0, 1, 1], splits.Test.Labels);
        Assert.Equal(16, splits.Train.Count);
    }

    [Fact]
    public void LoadImage_GivesABatchOfOne_Inverted()
    {
        using var folder = new TempFolder();
        Image(folder.File("x.txt"), 2, 1, 51);

        var tensor = ImageFolder.LoadImage(folder.File("x.txt"), new TextDecoder(), new ImageFolderOptions { Height = 1, Width = 2, Invert = true });

        Assert.Equal(new Shape(1, 1, 1, 2), tensor.Shape);
        Assert.Equal([1 - 51 / 255f, 1 - 51 / 255f], tensor.ToArray());
    }
}
