using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Tests.Layers.TestTensors;

namespace Convolve.Tests.Layers;

/// <summary>Reshape against index arithmetic written out in the tests.</summary>
public class ReshapeTests
{
    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 0, -1 }, new[] { 2, 3, 20 })]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { -1 }, new[] { 2, 60 })]
    [InlineData(new[] { 2, 3, 1, 1 }, new[] { 3 }, new[] { 2, 3 })]                  // Squeeze
    [InlineData(new[] { 2, 3 }, new[] { 0, 1, 1 }, new[] { 2, 3, 1, 1 })]              // Unsqueeze
    [InlineData(new[] { 2, 6, 2 }, new[] { 3, 0, -1 }, new[] { 2, 3, 2, 2 })]
    public void Reshape_ResolvesZeroAndMinusOne_AndKeepsTheValues(int[] input, int[] target, int[] expected)
    {
        var layer = new Reshape(target);
        var x = Numbered(new Shape(input));

        var y = layer.Forward(x);

        Assert.Equal(new Shape(expected), layer.Build(new Shape(input)));
        Assert.Equal(new Shape(expected), y.Shape);
        Assert.Equal(x.ToArray(), y.ToArray());
        GradientCheck.Check(new Reshape(target), new Shape(input));
    }

    [Fact]
    public void Reshape_RefusesWhatDoesNotFit()
    {
        Assert.Equal("Reshape([5, -1]): input items [3, 4] have 12 values, which is not a multiple of 5, the product of the other target dimensions.",
            Assert.Throws<ShapeException>(() => new Reshape(5, -1).Build(new Shape(2, 3, 4))).Message);
        Assert.Equal("Reshape([5, 2]): input items [3, 4] have 12 values, but the target shape holds 10.",
            Assert.Throws<ShapeException>(() => new Reshape(5, 2).Build(new Shape(2, 3, 4))).Message);
        Assert.Equal("Reshape([0, 0, 0]): entry 2 is 0 (copy the input's), but input items [3, 4] have only 2 dimensions.",
            Assert.Throws<ShapeException>(() => new Reshape(0, 0, 0).Build(new Shape(2, 3, 4))).Message);
        Assert.Equal("Reshape([-1, -1]): at most one dimension may be -1.", Assert.Throws<ArgumentException>(() => new Reshape(-1, -1)).Message);
    }
}
