using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>The <see cref="Gather"/> layer: shapes, values, gradients against finite differences, messages, the model file.</summary>
public sealed class GatherTests
{
    public static TheoryData<int, int[], int[]> Cases() => new()
    {
        { 1, [0], [] },                 // x[:, 0]: the axis dropped
        { 2, [2, 0, 2], [3] },          // repeated index: its gradient adds up
        { -1, [1, -1, 0, 1], [2, 2] },  // 2-D indices along the last axis, one negative
        { 3, [1], [1] },                // a one-long vector keeps the axis
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifferences(int axis, int[] indices, int[] indicesShape)
    {
        GradientCheck.Check(new Gather(axis, indices, indicesShape), new Shape(2, 3, 4, 2));
    }

    [Theory]
    [InlineData(1, new int[0], new[] { 2, 4, 5 })]
    [InlineData(2, new[] { 3 }, new[] { 2, 3, 3, 5 })]
    [InlineData(-1, new[] { 2, 2 }, new[] { 2, 3, 4, 2, 2 })]
    public void OutputShape_ReplacesTheAxisByTheIndicesShape(int axis, int[] indicesShape, int[] expected)
    {
        int count = indicesShape.Aggregate(1, (p, d) => p * d);
        var layer = new Gather(axis, [.. Enumerable.Range(0, count).Select(i => i % 3)], indicesShape);
        Assert.Equal(new Shape(expected), layer.GetOutputShape(new Shape(2, 3, 4, 5)));
    }

    [Fact]
    public void Forward_TakesTheSlicesAtTheIndices()
    {
        // Item [[1, 2, 3], [4, 5, 6]]: columns 2 and -3 (= 0), then row 1 alone.
        var input = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 1, 2, 3);
        Assert.Equal([3f, 1, 6, 4], new Gather(2, [2, -3]).Forward(input).ToArray());
        var row = new Gather(1, [1], []).Forward(input);
        Assert.Equal(new Shape(1, 3), row.Shape);
        Assert.Equal([4f, 5, 6], row.ToArray());
    }

    [Fact]
    public void BadOptions_AreRefused_NamingThem()
    {
        Assert.Equal("Gather(axis=0, indices=[1]): axis 0 is the batch, which is never gathered from; gather along the axes after it.",
            Assert.Throws<ArgumentException>(() => new Gather(0, [1])).Message);
        Assert.Equal("Gather(axis=1, indices=[1, 2, 3] as [2, 2]): 3 indices do not fill the shape [2, 2].",
            Assert.Throws<ArgumentException>(() => new Gather(1, [1, 2, 3], [2, 2])).Message);
        Assert.Equal("Gather(axis=2, indices=[0, 4]): index 4 is out of range for axis 2 of input [2, 3, 4] (size 4: 0 to 3, or -1 to -4).",
            Assert.Throws<ShapeException>(() => new Gather(2, [0, 4]).GetOutputShape(new Shape(2, 3, 4))).Message);
        Assert.Equal("Gather(axis=3, indices=0): axis 3 is not an item axis of input [2, 3, 4] (axes 1 to 2, or -1 to -2).",
            Assert.Throws<ShapeException>(() => new Gather(3, [0], []).GetOutputShape(new Shape(2, 3, 4))).Message);
    }

    [Fact]
    public void ASecondBatch_AllocatesNothing()
    {
        var layer = new Gather(2, [3, 0, -1, 0], [2, 2]);
        var shape = new Shape(2, 3, 4, 5);
        layer.Build(shape);
        var input = GradientCheck.RandomTensor(shape, new Random(1));
        var dOutput = GradientCheck.RandomTensor(layer.Forward(input).Shape, new Random(2));
        layer.Backward(dOutput);

        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(input);
        layer.Backward(dOutput);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Config_RoundTripsThroughTheModelFile()
    {
        var model = new Sequential(new Conv2D(1, 3, 3), new Gather(1, [2, 0, -1, 0], [2, 2]), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 5, 5), seed: 1);
        var input = GradientCheck.RandomTensor(new Shape(3, 1, 5, 5), new Random(3));
        var expected = model.Forward(input).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"gather-{Guid.NewGuid():N}.cvm");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(model.ToString(), loaded.ToString());
            Assert.Equal(expected, loaded.Forward(input).ToArray());
            Assert.Equal(new GatherConfig(1, [2, 0, -1, 0], [2, 2]), loaded.Layers[1].GetConfig());
        }
        finally { File.Delete(path); }
    }
}
