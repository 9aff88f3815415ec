using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>
/// Padding larger than half the window (ONNX allows it; its vectors use a 3x3 window with
/// padding 2). Input [[1, 2], [3, 4]], 3x3 window, stride 1, padding 2: output 4x4, and output
/// (i, j) sees input rows i-2..i and columns j-2..j. The expected values below were worked out by
/// hand from that rule.
/// </summary>
public class Pool2DPaddingTests
{
    private static Tensor Input() => Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2);

    [Fact]
    public void MaxPool_PaddingTwoWithThreeByThreeWindow_SeesOnlyTheCellsInside()
    {
        var y = new MaxPool2D(3, stride: 1, padding: 2).Forward(Input());
        Assert.Equal(new Shape(1, 1, 4, 4), y.Shape);
        Assert.Equal([1f, 2f, 2f, 2f, 3f, 4f, 4f, 4f, 3f, 4f, 4f, 4f, 3f, 4f, 4f, 4f], y.ToArray());
    }

    [Fact]
    public void AvgPool_PaddingTwo_ExcludingPad_AveragesTheCellsInside()
    {
        var y = new AvgPool2D(3, stride: 1, padding: 2, countIncludePad: false).Forward(Input());
        Assert.Equal([1f, 1.5f, 1.5f, 2f, 2f, 2.5f, 2.5f, 3f, 2f, 2.5f, 2.5f, 3f, 3f, 3.5f, 3.5f, 4f], y.ToArray());
    }

    [Fact]
    public void Padding_AsLargeAsTheWindow_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new MaxPool2D(3, stride: 1, padding: 3));
        Assert.Equal("MaxPool2D: padding 3 must be smaller than the 3x3 window on every side, so that no window lies wholly in the padding.", e.Message);
    }
}
