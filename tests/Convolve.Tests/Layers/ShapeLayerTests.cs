using System.Text.Json;
using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>Reshape, Transpose, Slice, Pad and Concat along any axis, against index arithmetic written out in the tests.</summary>
public class ShapeLayerTests
{
    private static Tensor Numbered(Shape shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t[i] = i;
        return t;
    }

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

    public static TheoryData<int[], int[]> Transposes => new()
    {
        { [2, 3, 4, 5], [0, 2, 3, 1] },    // NCHW -> NHWC: [C, HW] -> [HW, C], contiguous runs per column
        { [2, 3, 4, 5], [0, 3, 1, 2] },    // the other way: [C, HW] from [HW, C], tiles again
        { [2, 3, 4, 5], [0, 1, 3, 2] },
        { [2, 3, 4, 5], [0, 3, 2, 1] },    // no contiguous axis at the end: element by element
        { [2, 3, 4, 5], [0, 2, 1, 3] },    // the last axis stays: row copies
        { [2, 3, 4, 5], [0, 1, 2, 3] },
        { [1, 3, 40, 2], [0, 2, 3, 1] },   // 80 rows: three tiles of 32
        { [2, 1, 4, 1], [0, 3, 2, 1] },    // size-1 axes only move
        { [3, 5, 7], [0, 2, 1] },
    };

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Transpose_MatchesIndexArithmetic_AndItsGradientIsTheInverse(int[] input, int[] permutation)
    {
        var shape = new Shape(input);
        var x = Numbered(shape);
        var layer = new Transpose(permutation);

        var y = layer.Forward(x);

        Assert.Equal(layer.GetOutputShape(shape), y.Shape);
        for (int i = 0; i < y.Length; i++)
        {
            var index = BroadcastReference.Index(i, y.Shape);
            int source = 0;
            for (int d = 0; d < shape.Rank; d++)   // input axis d is output axis inverse[d]
                source = source * shape[d] + index[Array.IndexOf(permutation, d)];
            Assert.Equal(x[source], y[i]);
        }
        Assert.Equal(x.ToArray(), layer.Backward(y).ToArray());   // transposing back restores the input
        GradientCheck.Check(new Transpose(permutation), new Shape([.. input.Select(d => Math.Min(d, 6))]));
    }

    [Fact]
    public void Transpose_RefusesToMoveTheBatch_AndWrongRanks()
    {
        Assert.Equal("Transpose([1, 0, 2, 3]): the batch axis must stay first (permutation[0] must be 0), got 1; a model's layers keep the batch as axis 0.",
            Assert.Throws<ArgumentException>(() => new Transpose(1, 0, 2, 3)).Message);
        Assert.Equal("Transpose([0, 2, 2]): expected a permutation of 0 to 2.", Assert.Throws<ArgumentException>(() => new Transpose(0, 2, 2)).Message);
        Assert.Equal("Transpose([0, 2, 1]): expected input with 3 dimensions (the permutation's length), got [2, 3, 4, 5].",
            Assert.Throws<ShapeException>(() => new Transpose(0, 2, 1).Build(new Shape(2, 3, 4, 5))).Message);
        Assert.Equal("Transpose([0, 3, 1, 2])", new Transpose(0, 3, 1, 2).ToString());
    }

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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(-1)]
    public void Concat_JoinsAlongAnyNonBatchAxis(int axis)
    {
        var random = new Random(axis + 10);
        int resolved = axis < 0 ? 4 + axis : axis;
        int[] a = [2, 3, 4, 5], b = [2, 3, 4, 5];
        b[resolved] = 2;
        var x1 = GradientCheck.RandomTensor(new Shape(a), random);
        var x2 = GradientCheck.RandomTensor(new Shape(b), random);
        var layer = new Concat(axis);

        var y = layer.Forward([x1, x2]);

        for (int i = 0; i < y.Length; i++)
        {
            var index = BroadcastReference.Index(i, y.Shape);
            bool first = index[resolved] < a[resolved];
            if (!first) index[resolved] -= a[resolved];
            var source = first ? x1 : x2;
            int flat = 0;
            for (int d = 0; d < 4; d++) flat = flat * source.Shape[d] + index[d];
            Assert.Equal(source[flat], y[i]);
        }
        BroadcastingLayerTests.MergeGradientCheck(new Concat(axis), [x1, x2], random);
    }

    [Fact]
    public void Concat_RefusesTheBatchAxisAndMisfits_AndReadsOldConfigsAsChannels()
    {
        Assert.Equal("Concat(axis=0): axis 0 is not a non-batch axis of input [2, 3] (axes 1 to 1, or -1 to -1).",
            Assert.Throws<ShapeException>(() => new Concat(0).GetOutputShape([new Shape(2, 3), new Shape(2, 3)])).Message);
        Assert.Equal("Concat(axis=2): inputs must agree in every dimension but axis 2, got [2, 3, 4] and [2, 2, 4].",
            Assert.Throws<ShapeException>(() => new Concat(2).GetOutputShape([new Shape(2, 3, 4), new Shape(2, 2, 4)])).Message);
        Assert.Equal("Concat(): inputs must agree in every dimension but the channels (axis 1), got [2, 3, 4] and [2, 2, 5].",
            Assert.Throws<ShapeException>(() => new Concat().GetOutputShape([new Shape(2, 3, 4), new Shape(2, 2, 5)])).Message);
        // A config written before the axis existed has no "axis": it still means the channels.
        Assert.Equal(new ConcatConfig(1), JsonSerializer.Deserialize<LayerConfig>("""{"type":"Concat"}"""));
    }
}
