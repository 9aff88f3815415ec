using Convolve.Cli.Pictures;
using SkiaSharp;

namespace Convolve.Cli.Tests.Pictures;

public class HeatMapTests
{
    private static SKColor PixelInCell(SKBitmap bitmap, IReadOnlyList<HeatPanel> panels, int panel, int row, int column)
    {
        var (x, y) = HeatMap.CellOrigin(panels, panel, row, column);
        return bitmap.GetPixel(x + 3, y + 3); // inside the cell, clear of the grid line and the centred label
    }

    [Fact]
    public void SignedMap_HasTheExpectedSize_AndColours()
    {
        float[,] values = { { -2, 0 }, { 1, 2 } };
        var panels = new[] { new HeatPanel(values, DivergingScale.For(values)) };
        string path = Path.Combine(Path.GetTempPath(), $"convolve-heatmap-test-{Guid.NewGuid():N}.png");
        try
        {
            HeatMap.Write(path, panels);
            using var bitmap = SKBitmap.Decode(path);

            // 2x2 cells of 288/2 clamped to 48 pixels, legend and margins as documented on HeatMap.
            int cell = 48;
            Assert.Equal(HeatMap.CellSize(2, 2), cell);
            Assert.Equal(2 * HeatMap.Margin + 2 * cell + HeatMap.LegendGap + HeatMap.LegendBarWidth + HeatMap.LegendLabelWidth, bitmap.Width);
            Assert.Equal(2 * HeatMap.Margin + 2 * cell, bitmap.Height);

            Assert.Equal(DivergingScale.Negative, PixelInCell(bitmap, panels, 0, 0, 0)); // -2 = -limit: full blue
            Assert.Equal(SKColors.White, PixelInCell(bitmap, panels, 0, 0, 1));         // 0: white
            Assert.Equal(DivergingScale.Positive, PixelInCell(bitmap, panels, 0, 1, 1)); // 2 = limit: full red
            var half = PixelInCell(bitmap, panels, 0, 1, 0);                               // 1: between white and red
            Assert.Equal(DivergingScale.For(values).Map(1), half);
            Assert.InRange(half.Red, DivergingScale.Positive.Red, 255);
            Assert.InRange(half.Green, DivergingScale.Positive.Green + 1, 254);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void GrayScale_MapsTheEndsToBlackAndWhite()
    {
        float[,] values = { { 0, 255 } };
        var panels = new[] { new HeatPanel(values, new GrayScale(0, 255), "caption") };
        using var bitmap = HeatMap.Render(panels);
        Assert.Equal(HeatMap.PictureSize(panels), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKColors.Black, PixelInCell(bitmap, panels, 0, 0, 0));
        Assert.Equal(SKColors.White, PixelInCell(bitmap, panels, 0, 0, 1));
    }

    [Fact]
    public void NearestNeighbour_FillsEveryPixelOfACellWithOneColour()
    {
        float[,] values = { { -1, 1 } };
        var panels = new[] { new HeatPanel(values, DivergingScale.For(values)) };
        using var bitmap = HeatMap.Render(panels);
        var (x, y) = HeatMap.CellOrigin(panels, 0, 0, 0);
        int cell = HeatMap.CellSize(1, 2);
        // Away from the grid lines (first row/column) and the centred label.
        for (int dy = 1; dy < cell / 4; dy++)
            for (int dx = 1; dx < cell; dx++)
                Assert.Equal(DivergingScale.Negative, bitmap.GetPixel(x + dx, y + dy));
    }

    [Fact]
    public void AllZeroMap_IsWhiteWithASingleTick()
    {
        var scale = DivergingScale.For(new float[2, 2]);
        Assert.Equal([0f], scale.Ticks);
        Assert.Equal(SKColors.White, scale.Map(0));
    }
}
