using Convolve.Data;
using Convolve.Experiments;
using Convolve.Tensors;

namespace Convolve.Lessons.Tests.Experiments;

public class CanvasTests
{
    /// <summary>Two 2-channel 3x4 images whose every pixel is distinct and non-zero (value = 1 + flat index).</summary>
    private static ImageDataset Numbered()
    {
        var images = new Tensor(new Shape(2, 2, 3, 4));
        for (int i = 0; i < images.Length; i++) images[i] = 1 + i;
        return new ImageDataset(images, [1, 0], ["a", "b"]);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 3)]
    [InlineData(3, 1)]
    public void Place_CopiesEachPixelToItsOffset_AndLeavesTheRestZero(int top, int left)
    {
        var data = Numbered();

        var placed = Canvas.Place(data, 6, 7, top, left);

        Assert.Equal(new Shape(2, 2, 6, 7), placed.Images.Shape);
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < 6; y++)
                    for (int x = 0; x < 7; x++)
                    {
                        bool inside = y >= top && y < top + 3 && x >= left && x < left + 4;
                        float expected = inside ? data.Images[n, c, y - top, x - left] : 0;
                        Assert.Equal(expected, placed.Images[n, c, y, x]);
                    }
        Assert.Equal(data.Labels, placed.Labels);
        Assert.Equal(data.ClassNames, placed.ClassNames);
    }

    [Fact]
    public void Place_KeepsEveryPixelValue_SoTheSumIsUnchanged()
    {
        var data = Numbered();

        var placed = Canvas.Place(data, 5, 9, 1, 5);

        Assert.Equal(data.Images.ToArray().Sum(), placed.Images.ToArray().Sum());
    }

    [Fact]
    public void Place_ImageThatDoesNotFit_IsRefusedWithTheAllowedRange()
    {
        var e = Assert.Throws<ArgumentException>(() => Canvas.Place(Numbered(), 6, 7, 4, 0));

        Assert.Equal("Canvas.Place: a 3x4 image at offset (y 4, x 0) does not fit on a 6x7 canvas; offsets must be in 0..3 (y) and 0..3 (x).", e.Message);
    }
}
