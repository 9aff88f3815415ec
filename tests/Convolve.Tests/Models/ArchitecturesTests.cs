using Convolve.Models;

namespace Convolve.Tests.Models;

public class ArchitecturesTests
{
    // Parameter totals worked out by hand, layer by layer: weights (in x out, or k*k*cin*cout) + biases.
    [Theory]
    [InlineData("article", 9 + 1 + 4 * 2 + 2)]
    [InlineData("seed", 9 * 32 + 32 + 13 * 13 * 32 * 10 + 10)]
    [InlineData("lenet5", 25 * 6 + 6 + 25 * 6 * 16 + 16 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10)]
    [InlineData("mnist-cnn", 9 * 32 + 32 + 9 * 32 * 64 + 64 + 12 * 12 * 64 * 128 + 128 + 128 * 10 + 10)]
    [InlineData("mlp", 784 * 100 + 100 + 100 * 10 + 10)]
    public void BuiltIn_HasTheExpectedParameterCount(string name, long total)
    {
        var summary = Architectures.Get(name).Build().Summarize();
        Assert.Equal(total, summary.TotalParameters);
    }

    [Fact]
    public void Article_HasTheArticlesShapes() =>
        Assert.Equal("6x6x1 -> 4x4x1 -> 2x2x1 -> 4 -> 2", Architectures.Get("article").Build().Summarize().ShapeFlow());

    [Fact]
    public void LeNet5_KeepsTheImageSizeThroughItsPaddedFirstConvolution() =>
        Assert.Equal("28x28x1 -> 28x28x6 -> 14x14x6 -> 10x10x16 -> 5x5x16 -> 400 -> 120 -> 84 -> 10",
            Architectures.LeNet5().Build(new Convolve.Tensors.Shape(1, 28, 28)).Summarize().ShapeFlow());

    [Fact]
    public void Find_IgnoresCase_AndGetNamesTheKnownArchitectures()
    {
        Assert.Same(Architectures.Find("lenet5"), Architectures.Find("LeNet5"));
        Assert.Null(Architectures.Find("resnet"));
        var e = Assert.Throws<ArgumentException>(() => Architectures.Get("resnet"));
        Assert.Equal("'resnet' is not a built-in architecture; known: article, seed, lenet5, mnist-cnn, mlp.", e.Message);
    }
}
