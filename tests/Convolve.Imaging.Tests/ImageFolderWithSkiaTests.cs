using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Imaging.Tests;

public class ImageFolderWithSkiaTests
{
    private static DecodedImage Constant(int width, int height, int channels, byte value) =>
        new(width, height, channels, Enumerable.Repeat(value, width * height * channels).ToArray());

    [Fact]
    public void Load_MixedPngJpegGrayRgb_ResizesAll_AndSkipsCorruptFilesByName()
    {
        using var folder = new TempFolder();
        SkiaImageEncoder.Save(Constant(28, 28, 1, 255), folder.File("one/a.png"));
        SkiaImageEncoder.Save(Constant(56, 40, 3, 0), folder.File("one/b.png"));
        SkiaImageEncoder.Save(Constant(10, 10, 3, 128), folder.File("two/c.jpg"), jpegQuality: 100);
        File.WriteAllText(folder.File("two/corrupt.png"), "not a png at all");
        byte[] good = File.ReadAllBytes(folder.File("one/a.png"));
        File.WriteAllBytes(folder.File("two/truncated.png"), good[..(good.Length / 3)]);

        var result = ImageFolder.Load(folder.Path, new SkiaImageDecoder(), new ImageFolderOptions { Channels = 1, Height = 28, Width = 28 });

        Assert.Equal(["one", "two"], result.Dataset.ClassNames);
        Assert.Equal(new Shape(3, 1, 28, 28), result.Dataset.Images.Shape);
        Assert.Equal([0, 0, 1], result.Dataset.Labels);
        var images = result.Dataset.Images;
        Assert.All(images.Slice(0).Span.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(images.Slice(1).Span.ToArray(), v => Assert.Equal(0f, v));
        // Gray 128 in RGB is gray 128 in luma (0.299 + 0.587 + 0.114 = 1); JPEG may move it a level or two.
        Assert.All(images.Slice(2).Span.ToArray(), v => Assert.InRange(v, 125 / 255f, 131 / 255f));
        Assert.Equal(
            [folder.File("two/corrupt.png"), folder.File("two/truncated.png")],
            result.Skipped.Select(s => s.Path));
        Assert.All(result.Skipped, s => Assert.StartsWith(s.Path + ": ", s.Reason));
    }

    [Fact]
    public void Load_AsRgb_KeepsColourPlanes()
    {
        using var folder = new TempFolder();
        var red = new DecodedImage(2, 2, 3, [255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0]);
        SkiaImageEncoder.Save(red, folder.File("red/r.png"));

        var result = ImageFolder.Load(folder.Path, new SkiaImageDecoder(), new ImageFolderOptions { Channels = 3, Height = 4, Width = 4 });

        var image = result.Dataset.Images;
        Assert.Equal(new Shape(1, 3, 4, 4), image.Shape);
        Assert.All(image.Span[..16].ToArray(), v => Assert.Equal(1f, v));
        Assert.All(image.Span[16..].ToArray(), v => Assert.Equal(0f, v));
    }
}
