using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;
using Xunit.Abstractions;
using static Convolve.Onnx.Tests.TestGraph;

namespace Convolve.Onnx.Tests;

/// <summary>
/// Tile, Gather with a constant index, and Min and Max of several values as exporters write them,
/// each checked against ONNX Runtime; their refusals; and ShuffleNet's channel shuffle (a 5-D
/// Reshape, a Transpose and a Reshape back) built in C#, trained, exported and imported back.
/// </summary>
public sealed class TileGatherMinMaxImportTests(ITestOutputHelper log)
{
    private static Model ImportAndCompare(byte[] bytes, string name)
    {
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, name));
        var input = TestModels.RandomInput(model, batch: 3, seed: 1);
        var actual = TestModels.Forward(model, input);
        using var runtime = new OnnxRuntimeRunner(bytes);
        var expected = runtime.Run(input, "x", name);
        Assert.Equal(expected.Shape, actual.Shape);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected.Span[i] - actual.Span[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected.Span[i])),
                $"{name}: value {i} is {actual.Span[i]}, ONNX Runtime's {expected.Span[i]}");
        return model;
    }

    private static string Refusal(byte[] bytes) =>
        Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(bytes, "m.onnx"))).Message;

    [Fact]
    public void GatherOfAChannel_AndOfColumns_ImportAsGatherLayers()
    {
        // x[:, 1] (a scalar index: the axis dropped), then columns [3, -1, 0] of what is left.
        var g = new TestGraph(13, 3, 4, 5);
        var relu = g.Node("Relu", "relu", ["x"]);
        var index = new Protos.TensorProto { Name = "index", DataType = (int)Protos.TensorProto.Types.DataType.Int64 };
        index.Int64Data.Add(1);
        g.Graph.Initializer.Add(index);
        var channel = g.Node("Gather", "channel", [relu, "index"], Int("axis", 1));
        var columns = g.Node("Gather", "columns", [channel, g.Int64s("picks", 3, -1, 0)], Int("axis", -1));
        var model = ImportAndCompare(g.Finish(columns), columns);
        Assert.Equal(["ReLU", "Gather", "Gather"], model.Layers.Select(l => l.TypeName));
        Assert.Equal(new Shape(3, 4, 3), model.Forward(new Tensor(new Shape(3, 3, 4, 5))).Shape);
    }

    [Fact]
    public void TileWithRepeatsFoldedFromConstants_ImportsAsATileLayer()
    {
        // Repeats [1, 1, 2, 3] made by Concat of a Constant node and an initializer, folded at import.
        var g = new TestGraph(13, 2, 3, 2);
        var head = g.Int64s("head", 1, 1);
        var tail = g.Node("Constant", "tail", [], Ints("value_ints", 2, 3));
        var repeats = g.Node("Concat", "repeats", [head, tail], Int("axis", 0));
        var tiled = g.Node("Tile", "tile", ["x", repeats]);
        var model = ImportAndCompare(g.Finish(tiled), tiled);
        Assert.Equal([1, 1, 2, 3], Assert.IsType<Tile>(Assert.Single(model.Layers)).Repeats);
    }

    [Fact]
    public void MinOfThreeComputedValues_IsOneLayer_AndMaxOfAValueAndConstants_FoldsTheConstants()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var a = g.Node("Relu", "a", ["x"]);
        var b = g.Node("Sigmoid", "b", ["x"]);
        var c = g.Node("ReduceMean", "c", ["x"], Ints("axes", 2, 3));             // [N, 3, 1, 1]: broadcasts
        var low = g.Node("Min", "low", [a, b, c]);
        var high = g.Node("Max", "high", [g.Weight("floor", [3, 1, 1]), low, g.ConstantNode("cap", Tensor.FromArray([0.05f], 1))]);
        var model = ImportAndCompare(g.Finish(high), high);
        Assert.Equal(["ReLU", "Sigmoid", "ReduceMean", "Minimum", "ElementwiseConstant"], model.Layers.Select(l => l.TypeName));
        var constant = Assert.IsType<ElementwiseConstant>(model.Layers[^1]);
        Assert.Equal(BinaryOperation.Max, constant.Operation);
        Assert.Equal(new Shape(3, 1, 1), constant.Constant.Shape);
    }

    [Fact]
    public void Refusals_NameTheNodeAndWhy()
    {
        var g = new TestGraph(13, 3, 4);
        g.Node("Gather", "g", ["x", g.Int64s("i", 0, 4)], Int("axis", 2));
        Assert.Equal("m.onnx: Gather node 'g': index 4 is out of range for axis 2 of input [N, 3, 4] (size 4: 0 to 3, or -1 to -4).", Refusal(g.Finish("g")));

        g = new TestGraph(13, 3, 4);
        g.Node("Gather", "g", ["x", g.Int64s("i", 0)], Int("axis", 0));
        Assert.Equal("m.onnx: Gather node 'g': axis 0 gathers along the batch; the batch is free in Convolve, so Gather takes the axes after it.",
            Refusal(g.Finish("g")));

        g = new TestGraph(13, 3, 4);
        var picks = g.Node("Relu", "picks", ["x"]);
        g.Node("Gather", "g", ["x", picks], Int("axis", 1));
        Assert.Equal("m.onnx: Gather node 'g': input 1 ('picks') is computed by the graph, not a constant; Convolve's layer for Gather takes " +
            "one computed input and constants (Add, Sub, Mul, Div, Sum and Concat merge several).", Refusal(g.Finish("g")));

        g = new TestGraph(13, 3, 4);
        g.Node("Tile", "t", ["x", g.Int64s("r", 2, 1, 1)]);
        Assert.Equal("m.onnx: Tile node 't': repeats [2, 1, 1] repeat the batch axis 0 2 times; the batch is free in Convolve, so only the axes " +
            "after it tile.", Refusal(g.Finish("t")));

        g = new TestGraph(13, 3, 4);
        g.Node("Tile", "t", ["x", g.Int64s("r", 1, 2)]);
        Assert.Equal("m.onnx: Tile node 't': repeats [1, 2] have 2 entries for the 3 axes of input [N, 3, 4].", Refusal(g.Finish("t")));

        g = new TestGraph(13, 3);
        var y = g.Node("Relu", "y", ["x"]);
        g.Node("Max", "m", ["x", y, g.Weight("c", [3])]);
        Assert.Equal("m.onnx: Max node 'm': input 2 ('c') is a constant among 2 computed values; Convolve's Max takes computed values only, " +
            "or one computed value and constants.", Refusal(g.Finish("m")));
    }

    /// <summary>
    /// ShuffleNet's channel shuffle with 2 groups written with Convolve's layers: [N, 6, H, W] viewed
    /// as [N, 2, 3, H, W], axes 1 and 2 swapped, viewed back as [N, 6, H, W]. It moves channel
    /// g * 3 + i to i * 2 + g, trains (the loss falls), and exports and imports back as the same layers.
    /// </summary>
    [Fact]
    public void ChannelShuffle_FiveDimensionalReshapeAndTranspose_TrainsExportsAndImportsBack()
    {
        var shuffle = new Layer[] { new Reshape(2, 3, 5, 5), new Transpose(0, 2, 1, 3, 4), new Reshape(-1, 5, 5) };
        var probe = new Sequential(shuffle);
        probe.Build(new Shape(6, 5, 5));
        var x = TestModels.RandomInput(probe, batch: 2, seed: 3);
        var shuffled = probe.Forward(x);
        for (int n = 0; n < 2; n++)
            for (int g = 0; g < 2; g++)
                for (int i = 0; i < 3; i++)
                    Assert.Equal(x.Span.Slice((n * 6 + g * 3 + i) * 25, 25).ToArray(), shuffled.Span.Slice((n * 6 + i * 2 + g) * 25, 25).ToArray());

        var model = new Sequential([new Conv2D(3, 6, kernelSize: 3, padding: 1), new ReLU(),
            new Reshape(2, 3, 5, 5), new Transpose(0, 2, 1, 3, 4), new Reshape(-1, 5, 5),
            new Conv2D(6, 6, kernelSize: 3, padding: 1, groups: 2), new GlobalAvgPool2D(), new Dense(4)]);
        model.Build(new Shape(3, 5, 5), seed: 2);
        var input = TestModels.RandomInput(model, batch: 4, seed: 4);

        var bytes = OnnxExporter.ToBytes(model);
        using (var runtime = new OnnxRuntimeRunner(bytes))
        {
            var expected = runtime.Run(input);
            var actual = TestModels.Forward(model, input);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected.Span[i] - actual.Span[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected.Span[i])),
                    $"value {i} is {actual.Span[i]}, ONNX Runtime's {expected.Span[i]}");
        }
        var imported = OnnxImporter.Import(OnnxModel.Parse(bytes, "shuffle.onnx"));
        Assert.Equal(model.ToString(), imported.ToString());
        Assert.Equal(TestModels.Forward(model, input).ToArray(), TestModels.Forward(imported, input).ToArray());

        var trainer = new Trainer(imported, new OptimizerSettings(OptimizerKind.Adam).Create(imported.Parameters), learningRate: 1e-2f);
        int[] labels = [0, 1, 2, 3];
        var losses = new List<float>();
        for (int step = 0; step < 6; step++) losses.Add(trainer.TrainStep(input, labels).Loss);
        log.WriteLine($"channel shuffle: losses {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        Assert.True(losses[^1] < losses[0], $"the loss did not fall: {string.Join(", ", losses)}");
    }
}
