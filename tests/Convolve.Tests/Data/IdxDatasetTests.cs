using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Tests.Data;

public class IdxDatasetTests
{
    private static readonly string[] TenClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    [Fact]
    public void Load_PairsImagesAndLabels_AndScalesBytesTo0To1()
    {
        using var folder = new TempFolder();
        byte[] pixels = [0, 51, 255, 102, 0, 0, 0, 0, 1, 2, 3, 4];
        Idx.Write(folder.File("images.gz"), new IdxArray([3, 2, 2], pixels));
        Idx.Write(folder.File("labels"), new IdxArray([3], [7, 0, 9]));

        var data = IdxDataset.Load(folder.File("images.gz"), folder.File("labels"), TenClasses);

        Assert.Equal(new Shape(3, 1, 2, 2), data.Images.Shape);
        Assert.Equal([7, 0, 9], data.Labels);
        // 51 / 255 = 0.2 and 102 / 255 = 0.4 exactly in decimal; compare as b / 255f.
        Assert.Equal([0f, 51 / 255f, 1f, 102 / 255f], data.Images.Span[..4].ToArray());
        Assert.Equal(0.2f, data.Images[1], 6);
    }

    [Fact]
    public void Load_CountMismatch_NamesBothFilesAndCounts()
    {
        using var folder = new TempFolder();
        string images = folder.File("t10k-images"), labels = folder.File("train-labels");
        Idx.Write(images, new IdxArray([4, 2, 2], new byte[16]));
        Idx.Write(labels, new IdxArray([6], new byte[6]));

        var e = Assert.Throws<IdxFormatException>(() => IdxDataset.Load(images, labels, TenClasses));

        Assert.Equal($"{images} holds 4 images but {labels} holds 6 labels; the two files must hold the same number of items.", e.Message);
    }

    [Fact]
    public void Load_LabelOutOfRange_NamesItsOffset()
    {
        using var folder = new TempFolder();
        string images = folder.File("images"), labels = folder.File("labels");
        Idx.Write(images, new IdxArray([3, 1, 1], new byte[3]));
        Idx.Write(labels, new IdxArray([3], [1, 2, 12]));

        var e = Assert.Throws<IdxFormatException>(() => IdxDataset.Load(images, labels, TenClasses));

        // Item 2's label sits after the 8-byte header: offset 8 + 2 = 10.
        Assert.Equal($"{labels}: byte offset 10: label 12 of item 2 is outside 0..9 (10 classes).", e.Message);
    }

    [Fact]
    public void Load_ImagesAndLabelsSwapped_SaysWhichShapeWasExpected()
    {
        using var folder = new TempFolder();
        string images = folder.File("images"), labels = folder.File("labels");
        Idx.Write(images, new IdxArray([3, 1, 1], new byte[3]));
        Idx.Write(labels, new IdxArray([3], new byte[3]));

        var e = Assert.Throws<IdxFormatException>(() => IdxDataset.Load(labels, images, TenClasses));

        Assert.Equal($"{labels}: expected images with 3 dimensions (count x height x width), found 1 (3).", e.Message);
    }
}
