using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>The <see cref="Tile"/> layer: shapes, values, gradients against finite differences, messages, the model file.</summary>
public sealed class TileTests
{
    [Theory]
    [InlineData(new[] { 1, 1, 2, 3 })]     // H and W
    [InlineData(new[] { 1, 3, 1, 1 })]     // the channels only: whole planes copied
    [InlineData(new[] { 1, 2, 1, 2 })]     // axes with an unrepeated one between them
    public void Backward_MatchesFiniteDifferences(int[] repeats)
    {
        GradientCheck.Check(new Tile(repeats), new Shape(2, 2, 3, 2));
    }

    [Fact]
    public void Forward_LaysTheInputSideBySide()
    {
        // One item [2, 2] tiled twice down and three times across.
        var input = Tensor.FromArray([1f, 2, 3, 4], 1, 2, 2);
        var output = new Tile(1, 2, 3).Forward(input);
        Assert.Equal(new Shape(1, 4, 6), output.Shape);
        Assert.Equal([1f, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4], output.ToArray());
    }

    [Fact]
    public void BadRepeats_AreRefused_NamingThem()
    {
        Assert.Equal("Tile([3, 2]): the batch axis 0 is repeated 3 times; the batch is free, so its repeat must be 1.",
            Assert.Throws<ArgumentException>(() => new Tile(3, 2)).Message);
        Assert.Equal("Tile([1, 0]): every repeat must be at least 1.", Assert.Throws<ArgumentException>(() => new Tile(1, 0)).Message);
        Assert.Equal("Tile([1, 2]): expected input with 2 dimensions (one per repeat), got [2, 3, 4].",
            Assert.Throws<ShapeException>(() => new Tile(1, 2).GetOutputShape(new Shape(2, 3, 4))).Message);
    }

    [Fact]
    public void ASecondBatch_AllocatesNothing()
    {
        var layer = new Tile(1, 2, 1, 3);
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
        var model = new Sequential(new Conv2D(1, 2, 3), new Tile(1, 2, 1, 3), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 5, 5), seed: 1);
        var input = GradientCheck.RandomTensor(new Shape(3, 1, 5, 5), new Random(3));
        var expected = model.Forward(input).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"tile-{Guid.NewGuid():N}.cvm");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(model.ToString(), loaded.ToString());
            Assert.Equal(expected, loaded.Forward(input).ToArray());
            Assert.Equal(new TileConfig([1, 2, 1, 3]), loaded.Layers[1].GetConfig());
        }
        finally { File.Delete(path); }
    }
}
