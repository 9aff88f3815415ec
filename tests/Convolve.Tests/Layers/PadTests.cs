using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Tests.Layers.TestTensors;

namespace Convolve.Tests.Layers;

/// <summary>Pad against index arithmetic written out in the tests.</summary>
public class PadTests
{
    // numpy's pad written with a loop per axis: reflect bounces off the ends, edge clamps, constant leaves the border.
    private static int PadSource(int o, int before, int size, PadMode mode)
    {
        int i = o - before;
        if (i >= 0 && i < size) return i;
        if (mode == PadMode.Constant) return -1;
        if (mode == PadMode.Edge) return i < 0 ? 0 : size - 1;
        while (i < 0 || i >= size) i = i < 0 ? -i : 2 * size - 2 - i;
        return i;
    }

    [Theory]
    [InlineData(PadMode.Constant, new[] { 0, 1, 2, 0, 2, 1 })]
    [InlineData(PadMode.Reflect, new[] { 0, 1, 2, 0, 2, 1 })]
    [InlineData(PadMode.Edge, new[] { 1, 0, 3, 0, 2, 0 })]
    [InlineData(PadMode.Constant, new[] { 1, 0, 0, 1, 0, 0 })]
    public void Pad_MatchesIndexArithmetic(PadMode mode, int[] pads)
    {
        var shape = new Shape(2, 2, 3, 4);
        var x = Numbered(shape);
        var layer = new Pad(pads, mode, value: -0.5f);

        var y = layer.Forward(x);

        Assert.Equal(new Shape(2, 2 + pads[0] + pads[3], 3 + pads[1] + pads[4], 4 + pads[2] + pads[5]), y.Shape);
        for (int i = 0; i < y.Length; i++)
        {
            var index = BroadcastReference.Index(i, y.Shape);
            int source = index[0];
            for (int d = 1; d < 4 && source >= 0; d++)
            {
                int s = PadSource(index[d], pads[d - 1], shape[d], mode);
                source = s < 0 ? -1 : source * shape[d] + s;
            }
            Assert.Equal(source < 0 ? -0.5f : x[source], y[i]);
        }
        GradientCheck.Check(new Pad(pads, mode, value: -0.5f), shape);
    }

    [Fact]
    public void Pad_RefusesWhatDoesNotFit()
    {
        Assert.Equal("Pad([0, 3, 0, 1], reflect): reflect padding of 3 on axis 2 needs more than 3 values there, got input [2, 4, 3].",
            Assert.Throws<ShapeException>(() => new Pad([0, 3, 0, 1], PadMode.Reflect).Build(new Shape(2, 4, 3))).Message);
        Assert.Equal("Pad([1, 1]): expected input with 1 dimensions after the batch (the pads give 1 begin/end pairs), got [2, 4, 3].",
            Assert.Throws<ShapeException>(() => new Pad([1, 1]).Build(new Shape(2, 4, 3))).Message);
        Assert.Equal("Pad([1, 1, 1]): expected a begin and an end for each item axis (an even, non-zero count).",
            Assert.Throws<ArgumentException>(() => new Pad([1, 1, 1])).Message);
        Assert.Equal("Pad([0, 1, 1, 0], edge, value=2)", new Pad([0, 1, 1, 0], PadMode.Edge, 2).ToString());
    }
}
