using Convolve.Kernels;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>The <see cref="Reduce"/> layer: shapes, gradients against finite differences, messages, the model file.</summary>
public sealed class ReduceTests
{
    public static TheoryData<ReduceKind, int[], bool> Cases()
    {
        var cases = new TheoryData<ReduceKind, int[], bool>();
        foreach (var kind in Enum.GetValues<ReduceKind>())
        {
            cases.Add(kind, [2, 3], true);     // x.mean((2, 3), keepdim=True): one contiguous run
            cases.Add(kind, [1], false);       // over the channels
            cases.Add(kind, [1, -1], false);   // axes with a gap, one negative
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifferences(ReduceKind kind, int[] axes, bool keepDims)
    {
        // Spread values: no ties for Max and Min, and norms far from 0 for L2.
        GradientCheck.Check(new Reduce(kind, axes, keepDims), new Shape(2, 3, 4, 3), input: GradientCheck.Spread);
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, true, new[] { 2, 3, 1, 1 })]
    [InlineData(new[] { 2, 3 }, false, new[] { 2, 3 })]
    [InlineData(new[] { -1 }, false, new[] { 2, 3, 4 })]
    [InlineData(new[] { 3, 1 }, true, new[] { 2, 1, 4, 1 })]
    public void OutputShape_DropsOrKeepsTheReducedAxes(int[] axes, bool keepDims, int[] expected)
    {
        Assert.Equal(new Shape(expected), new Reduce(ReduceKind.Mean, axes, keepDims).GetOutputShape(new Shape(2, 3, 4, 5)));
    }

    [Fact]
    public void MeanOverHeightAndWidth_IsGlobalAveragePooling()
    {
        var input = GradientCheck.RandomTensor(new Shape(2, 3, 4, 5), new Random(2));
        var pooled = new GlobalAvgPool2D(keepDims: true).Forward(input).ToArray();
        var reduced = new Reduce(ReduceKind.Mean, [2, 3]).Forward(input).ToArray();
        for (int i = 0; i < pooled.Length; i++) Assert.Equal(pooled[i], reduced[i], 1e-6f);
    }

    [Fact]
    public void BadAxes_AreRefused_NamingThem()
    {
        Assert.Equal("Reduce: axis 0 is the batch, which is never reduced. (Parameter 'axes')",
            Assert.Throws<ArgumentException>(() => new Reduce(ReduceKind.Sum, [0, 1])).Message);
        var e = Assert.Throws<ShapeException>(() => new Reduce(ReduceKind.Sum, [4]).GetOutputShape(new Shape(2, 3, 4, 5)));
        Assert.Equal("ReduceSum(axes=[4], keep_dims=true): axis 4 is not an item axis of input [2, 3, 4, 5] (axes 1 to 3, or -1 to -3).", e.Message);
        e = Assert.Throws<ShapeException>(() => new Reduce(ReduceKind.Sum, [1, -3]).GetOutputShape(new Shape(2, 3, 4, 5)));
        Assert.Contains("name axis 1 twice", e.Message);
    }

    [Fact]
    public void Config_RoundTripsThroughTheModelFile()
    {
        var model = new Sequential(new Conv2D(1, 4, 3), new Reduce(ReduceKind.Max, [2, 3], keepDims: false), new Dense(2));
        model.Build(new Shape(1, 6, 6), seed: 1);
        var input = GradientCheck.RandomTensor(new Shape(3, 1, 6, 6), new Random(3));
        var expected = model.Forward(input).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"reduce-{Guid.NewGuid():N}.cvm");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(model.ToString(), loaded.ToString());
            Assert.Equal(expected, loaded.Forward(input).ToArray());
            Assert.Equal(new ReduceConfig(ReduceKind.Max, [2, 3], false), loaded.Layers[1].GetConfig());
        }
        finally { File.Delete(path); }
    }
}
