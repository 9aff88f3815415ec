using Convolve.Analysis;

namespace Convolve.Lessons.Tests.Analysis;

public class EdgeImagesTests
{
    [Fact]
    public void Generate_IsBalancedAndReproducible()
    {
        var a = EdgeImages.Generate(200, seed: 5);
        var b = EdgeImages.Generate(200, seed: 5);
        var c = EdgeImages.Generate(200, seed: 6);
        Assert.Equal(100, a.Labels.Count(l => l == EdgeImages.EdgeLabel));
        Assert.Equal(100, a.Labels.Count(l => l == 0));
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Images.ToArray(), b.Images.ToArray());
        Assert.NotEqual(a.Images.ToArray(), c.Images.ToArray());
        Assert.Equal([200, 1, 6, 6], a.Images.Shape.Dims.ToArray());
    }

    // An image with a horizontal stripe varies down its rows far more than across them; noise
    // (std 0.05) is small against the contrast (at least 0.4).
    [Fact]
    public void EdgeImages_VaryDownTheRows_OthersDoNot()
    {
        var data = EdgeImages.Generate(100, seed: 3);
        for (int n = 0; n < data.Count; n++)
        {
            var pixels = data.Images.Slice(n).ToArray();
            double rows = KernelMath.RowStructure(pixels, 6);
            if (data.Labels[n] == EdgeImages.EdgeLabel) Assert.True(rows > 0.8, $"image {n}: row structure {rows}");
            else Assert.True(rows < 0.5, $"image {n}: row structure {rows}");
        }
    }

    [Fact]
    public void OddCount_IsRejected() =>
        Assert.Equal("EdgeImages: the image count must be a positive even number (half per class), got 3.",
            Assert.Throws<ArgumentException>(() => EdgeImages.Generate(3, 1)).Message);

    [Fact]
    public void HorizontalEdge_HasTheEdgeWhereAsked()
    {
        var image = EdgeImages.HorizontalEdge(2, brightAbove: true);
        for (int r = 0; r < 6; r++) Assert.Equal(r < 2 ? 1f : 0f, image[0, 0, r, 3]);
    }
}
