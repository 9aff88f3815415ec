using Convolve.Cli.Pictures;
using Convolve.Imaging;
using Convolve.Models;
using Convolve.Serialization;
using SkiaSharp;

namespace Convolve.Cli.Experiments.Tests;

public class FiltersFeaturesCommandTests
{
    private static string SaveSeedModel(TempFolder folder)
    {
        string path = folder.File("seed.cvm");
        ModelFile.Save(Architectures.Get("seed").Build(seed: 1), path);
        return path;
    }

    [Fact]
    public void Filters_SeedModel_WritesAGridOfItsFilters()
    {
        using var folder = new TempFolder();
        string model = SaveSeedModel(folder), png = folder.File("filters.png");

        var (exit, output, error) = Cli.Run("filters", model, "--out", png);

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("32 filters of 3x3", output);
        var image = new SkiaImageDecoder().Decode(png);
        // 32 filters of 3x3 at 20 pixels per weight (60 / 3), 8 per row: 8 * 60 + 7 gaps is the width of
        // the tiles, then the legend; 4 rows of tiles 60 high plus a label line, 3 gaps, and a title above.
        int width = 2 * MapGrid.Margin + 8 * 60 + 7 * MapGrid.TileGap + MapGrid.LegendGap + MapGrid.LegendBarWidth + MapGrid.LegendLabelWidth;
        int height = 2 * MapGrid.Margin + MapGrid.TitleHeight + 4 * (60 + MapGrid.LabelHeight) + 3 * MapGrid.TileGap;
        Assert.Equal((width, height), (image.Width, image.Height));
    }

    [Fact]
    public void Filters_DrawsAPositiveWeightRed_AndANegativeOneBlue()
    {
        using var folder = new TempFolder();
        var net = Architectures.Get("seed").Build(seed: 1);
        var weight = net.Layers.OfType<Convolve.Layers.Conv2D>().First().Weight.Value;
        weight.Clear();
        weight[0, 0, 0, 0] = 1;  // filter 0, top-left weight
        weight[0, 0, 0, 1] = -1; // filter 0, top-middle weight
        string model = folder.File("signs.cvm"), png = folder.File("signs.png");
        ModelFile.Save(net, model);

        var (exit, _, _) = Cli.Run("filters", model, "--out", png);

        Assert.Equal(0, exit);
        using var bitmap = SKBitmap.Decode(png);
        // The centre of the first tile's first two cells (20 pixels each) below the title.
        int top = MapGrid.Margin + MapGrid.TitleHeight + 10, left = MapGrid.Margin + 10;
        Assert.Equal(DivergingScale.Positive, bitmap.GetPixel(left, top));
        Assert.Equal(DivergingScale.Negative, bitmap.GetPixel(left + 20, top));
        Assert.Equal(SKColors.White, bitmap.GetPixel(left + 40, top));
    }

    [Fact]
    public void Features_ImageFile_DrawsTheMapLayers_AndPrintsThePrediction()
    {
        using var folder = new TempFolder();
        string model = SaveSeedModel(folder), input = folder.File("digit.png"), png = folder.File("features.png");
        using (var digit = new SKBitmap(new SKImageInfo(40, 40, SKColorType.Gray8)))
        {
            digit.Erase(SKColors.Black);
            using (var canvas = new SKCanvas(digit)) canvas.DrawRect(18, 5, 4, 30, new SKPaint { Color = SKColors.White });
            using var file = File.Create(input);
            digit.Encode(SKEncodedImageFormat.Png, 100).SaveTo(file);
        }

        var (exit, output, error) = Cli.Run("features", model, input, "--out", png);

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("conv2d_1 Conv2D(1->32, 3x3)", output);
        Assert.Contains("Output of the last layer (Softmax())", output);
        Assert.True(new SkiaImageDecoder().Decode(png).Height > 0);
    }

    [Fact]
    public void Features_IndexOutsideTheTestSet_IsAClearError()
    {
        using var folder = new TempFolder();
        string model = SaveSeedModel(folder);

        var (exit, _, error) = Cli.Run("features", model, "--index", "10000", "--out", folder.File("x.png"));

        Assert.Equal(1, exit);
        Assert.Equal("convolve: --index 10000 is outside the test set of 'digits', which has images 0 to 9999.\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Filters_MissingModel_IsAClearError()
    {
        var (exit, _, error) = Cli.Run("filters", "no-such-model.cvm");

        Assert.Equal(1, exit);
        Assert.Equal("convolve: no-such-model.cvm: no such model file (train one with 'convolve train --out FILE').\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Filters_ModelWithoutConvolution_SaysSo()
    {
        using var folder = new TempFolder();
        string model = folder.File("mlp.cvm");
        ModelFile.Save(Architectures.Get("mlp").Build(seed: 1), model);

        var (exit, _, error) = Cli.Run("filters", model, "--out", folder.File("x.png"));

        Assert.Equal(1, exit);
        Assert.Contains("the model has no convolution layer", error);
    }
}
