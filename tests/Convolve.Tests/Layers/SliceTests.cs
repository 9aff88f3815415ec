using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Tests.Layers.TestTensors;

namespace Convolve.Tests.Layers;

/// <summary>Slice along any axis against index arithmetic written out in the tests.</summary>
public class SliceTests
{
    [Theory]
    [InlineData(1, 1, 3, 1, 3)]
    [InlineData(2, 0, 2, 0, 2)]
    [InlineData(-1, -3, int.MaxValue, 2, 5)]     // the last three of 5
    [InlineData(3, 1, -1, 1, 4)]                 // all but the first and the last
    [InlineData(2, -10, 100, 0, 4)]              // clamped to the axis
    public void Slice_TakesTheRange(int axis, int start, int end, int from, int to)
    {
        var shape = new Shape(2, 4, 4, 5);
        var x = Numbered(shape);
        var layer = new Slice(axis, start, end);

        var y = layer.Forward(x);

        int resolved = axis < 0 ? shape.Rank + axis : axis;
        var dims = shape.Dims.ToArray();
        dims[resolved] = to - from;
        Assert.Equal(new Shape(dims), y.Shape);
        for (int i = 0; i < y.Length; i++)
        {
            var index = BroadcastReference.Index(i, y.Shape);
            index[resolved] += from;
            int source = 0;
            for (int d = 0; d < shape.Rank; d++) source = source * shape[d] + index[d];
            Assert.Equal(x[source], y[i]);
        }
        GradientCheck.Check(new Slice(axis, start, end), shape);
    }

    [Fact]
    public void Slice_RefusesTheBatchAxisAndEmptyRanges()
    {
        Assert.Equal("Slice(axis=0, 0:1): axis 0 is not a non-batch axis of input [2, 3] (axes 1 to 1, or -1 to -1).",
            Assert.Throws<ShapeException>(() => new Slice(0, 0, 1).Build(new Shape(2, 3))).Message);
        Assert.Equal("Slice(axis=1, 3:): selects nothing from axis 1 (size 3) of input [2, 3].",
            Assert.Throws<ShapeException>(() => new Slice(1, 3).Build(new Shape(2, 3))).Message);
    }
}
