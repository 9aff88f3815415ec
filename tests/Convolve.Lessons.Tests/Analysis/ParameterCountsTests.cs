using Convolve.Analysis;
using Convolve.Layers;

namespace Convolve.Lessons.Tests.Analysis;

public class ParameterCountsTests
{
    // The formulas must agree with the tensors the layers really create.
    [Theory]
    [InlineData(784, 100)]
    [InlineData(10, 3)]
    [InlineData(1, 1)]
    public void Dense_MatchesTheDenseLayersTensors(int inputs, int units)
    {
        var layer = new Dense(inputs, units);
        var count = ParameterCounts.Dense(inputs, units);
        Assert.Equal(layer.Weight.Value.Length, count.Weights);
        Assert.Equal(layer.Bias!.Value.Length, count.Biases);
    }

    [Theory]
    [InlineData(3, 3, 1)]
    [InlineData(3, 3, 64)]
    [InlineData(1, 5, 6)]
    [InlineData(6, 5, 16)]
    public void Conv_MatchesTheConvLayersTensors(int inChannels, int kernel, int filters)
    {
        var layer = new Conv2D(inChannels, filters, kernel);
        var count = ParameterCounts.Conv(inChannels, kernel, kernel, filters);
        Assert.Equal(layer.Weight.Value.Length, count.Weights);
        Assert.Equal(layer.Bias!.Value.Length, count.Biases);
    }

    // The article's figures, each restated as the product it is.
    [Fact]
    public void ArticleFigures()
    {
        Assert.Equal(new ParameterCount(78_400, 100), ParameterCounts.DenseOnImage(28, 28, 1, 100));      // 784 x 100
        Assert.Equal(150_528L * 100, ParameterCounts.DenseOnImage(224, 224, 3, 100).Weights);            // the article's 15,052,800
        Assert.Equal(15_052_800, ParameterCounts.DenseOnImage(224, 224, 3, 100).Weights);
        Assert.Equal(new ParameterCount(27, 1), ParameterCounts.Conv(3, 3, 3, 1));                       // 3 x 3 x 3
        Assert.Equal(new ParameterCount(1_728, 64), ParameterCounts.Conv(3, 3, 3, 64));                  // 64 x 27
        Assert.Equal(32, ParameterCounts.FiltersFor(864, 3, 3, 3));                                      // the article's "~864"
        Assert.Equal(new ParameterCount(2_000_000, 200), ParameterCounts.DenseOnImage(100, 100, 1, 200)); // question 1
        Assert.Equal(new ParameterCount(9, 1), ParameterCounts.Conv(1, 3, 3, 1));
    }

    [Fact]
    public void FiltersFor_ReturnsNull_WhenNoWholeNumberOfFiltersFits() =>
        Assert.Null(ParameterCounts.FiltersFor(100, 3, 3, 3));

    [Fact]
    public void NonPositiveSize_IsRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => ParameterCounts.Dense(0, 5));
        Assert.Equal("inputs must be positive, got 0.", e.Message);
        e = Assert.Throws<ArgumentException>(() => ParameterCounts.Conv(3, 3, 3, -1));
        Assert.Equal("filters must be positive, got -1.", e.Message);
    }
}
