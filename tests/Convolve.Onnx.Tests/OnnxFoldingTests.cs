using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using static Convolve.Onnx.Tests.TestGraph;

namespace Convolve.Onnx.Tests;

/// <summary>
/// Constant folding and shape inference at import (<see cref="ConstantFolder"/>): the chains
/// exporters write for shapes and shared weights fold away, the imported model holds only layers,
/// and it computes what ONNX Runtime computes on the same file, at a batch size other than the
/// one the shapes were folded for.
/// </summary>
public sealed class OnnxFoldingTests
{
    // Imports bytes, checks the model against ONNX Runtime on a batch of three, returns it.
    private static Model ImportAndCompare(byte[] bytes, string name, Shape item)
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
        Assert.Equal(item, model.InputShape);
        return model;
    }

    private static Tensor Scalar(float value) => Tensor.FromArray([value], 1);

    // A Constant node holding one INT64 (value_int), as exporters write indices.
    private static string IntConstant(TestGraph g, string name, long value) => g.Node("Constant", name, [], Int("value_int", value));

    [Fact]
    public void ViewBatchMinusOne_ShapeGatherUnsqueezeConcatReshape_FoldsToAFlatten()
    {
        // x.view(x.size(0), -1) as torch.onnx.export writes it with a dynamic batch.
        var g = new TestGraph(13, 2, 5, 5);
        var conv = g.Node("Conv", "conv", ["x", g.Weight("w", [4, 2, 3, 3])]);
        var shape = g.Node("Shape", "shape", [conv]);
        var batch = g.Node("Gather", "gather", [shape, IntConstant(g, "zero", 0)], Int("axis", 0));
        var unsqueezed = g.Node("Unsqueeze", "unsqueeze", [batch, g.Int64s("axes", 0)]);
        var target = g.Node("Concat", "target", [unsqueezed, g.Int64s("minus_one", -1)], Int("axis", 0));
        g.Node("Reshape", "out", [conv, target]);
        var model = ImportAndCompare(g.Finish("out"), "out", new Shape(2, 5, 5));
        Assert.Equal(["Conv2D", "Flatten"], model.Layers.Select(l => l.TypeName));
    }

    [Fact]
    public void FlattenFromRuntimeShape_ShapeCastSliceCastConcatReshape_Folds()
    {
        // GlobalAveragePool -> Shape -> Cast to INT32 -> Slice [0, 1) -> Cast to INT64 -> Concat
        // with [-1] -> Reshape, as tf2onnx writes a flatten of the pooled features.
        var g = new TestGraph(13, 3, 4, 4);
        var pooled = g.Node("GlobalAveragePool", "pool", ["x"]);
        var shape = g.Node("Shape", "shape", [pooled]);
        var asInt32 = g.Node("Cast", "to_int32", [shape], Int("to", 6));
        var sliced = g.Node("Slice", "slice", [asInt32, g.Int64s("starts", 0), g.Int64s("ends", 1)]);
        var asInt64 = g.Node("Cast", "to_int64", [sliced], Int("to", 7));
        var target = g.Node("Concat", "target", [asInt64, g.Int64s("minus_one", -1)], Int("axis", 0));
        g.Node("Reshape", "out", [pooled, target]);
        var flattened = ImportAndCompare(g.Finish("out"), "out", new Shape(3, 4, 4));
        Assert.Equal(["GlobalAvgPool2D"], flattened.Layers.Select(l => l.TypeName));

        // The batch size cannot pass through a float: that cast is refused, naming the node.
        var f = new TestGraph(13, 3, 4, 4);
        pooled = f.Node("GlobalAveragePool", "pool", ["x"]);
        shape = f.Node("Shape", "shape", [pooled]);
        var asFloat = f.Node("Cast", "to_float", [shape], Int("to", 1));
        f.Node("Reshape", "out", [pooled, f.Node("Cast", "back", [asFloat], Int("to", 7))]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(f.Finish("out"), "flatten.onnx")));
        Assert.Equal("flatten.onnx: Cast node 'to_float': casts a value that depends on the batch size to a floating-point type.", e.Message);

        // Slicing the channels (not the batch), through a float and back, folds to a plain number.
        var h = new TestGraph(13, 3, 4, 4);
        pooled = h.Node("GlobalAveragePool", "pool", ["x"]);
        shape = h.Node("Shape", "shape", [pooled]);
        sliced = h.Node("Slice", "slice", [shape, h.Int64s("starts", 1), h.Int64s("ends", 2)]);
        asFloat = h.Node("Cast", "to_float", [sliced], Int("to", 1));
        var asInt = h.Node("Cast", "to_int", [asFloat], Int("to", 7));
        target = h.Node("Concat", "target", [h.Int64s("zero", 0), asInt], Int("axis", 0));
        h.Node("Reshape", "out", [pooled, target]);
        var model = ImportAndCompare(h.Finish("out"), "out", new Shape(3, 4, 4));
        Assert.Equal(["GlobalAvgPool2D"], model.Layers.Select(l => l.TypeName));
    }

    [Fact]
    public void TransposedInitializer_OfABiasFreeLinear_FoldsIntoTheDense()
    {
        // nn.Linear(6, 4, bias=False) at opset 13 with weight sharing: MatMul(x, Transpose(W)).
        var g = new TestGraph(13, 6);
        var transposed = g.Node("Transpose", "wt", [g.Weight("w", [4, 6])], Ints("perm", 1, 0));
        g.Node("MatMul", "out", ["x", transposed]);
        var model = ImportAndCompare(g.Finish("out"), "out", new Shape(6));
        Assert.Equal(["Dense"], model.Layers.Select(l => l.TypeName));
    }

    [Fact]
    public void IdentityOfAnInitializer_SharedWeights_Fold()
    {
        // torch.onnx.export writes one initializer and Identity copies for weights used twice.
        var g = new TestGraph(13, 2, 6, 6);
        var w = g.Weight("w", [2, 2, 3, 3]);
        var copy = g.Node("Identity", "w_copy", [w]);
        var first = g.Node("Conv", "conv1", ["x", w], Ints("pads", 1, 1, 1, 1));
        var relu = g.Node("Relu", "relu", [first]);
        g.Node("Conv", "out", [relu, copy], Ints("pads", 1, 1, 1, 1));
        var model = ImportAndCompare(g.Finish("out"), "out", new Shape(2, 6, 6));
        Assert.Equal(["Conv2D", "ReLU", "Conv2D"], model.Layers.Select(l => l.TypeName));
    }

    [Fact]
    public void ChannelShuffle_FromRuntimeShapes_Imports()
    {
        // ShuffleNet's channel_shuffle: sizes from Shape -> Gather, C // groups with Div, a 5-D
        // Reshape, Transpose of axes 1 and 2, and a Reshape back to [N, -1, H, W].
        var g = new TestGraph(13, 6, 3, 3);
        var x = g.Node("Relu", "relu", ["x"]);
        string Dim(int axis)
        {
            var shape = g.Node("Shape", $"shape{axis}", [x]);
            var d = g.Node("Gather", $"dim{axis}", [shape, IntConstant(g, $"i{axis}", axis)], Int("axis", 0));
            return g.Node("Unsqueeze", $"u{axis}", [d, g.Int64s($"axes{axis}", 0)]);
        }
        string n = Dim(0), c = Dim(1), h = Dim(2), w = Dim(3);
        var perGroup = g.Node("Div", "per_group", [c, g.Int64s("groups", 2)]);
        var target5 = g.Node("Concat", "target5", [n, g.Int64s("two", 2), perGroup, h, w], Int("axis", 0));
        var grouped = g.Node("Reshape", "grouped", [x, target5]);
        var swapped = g.Node("Transpose", "swapped", [grouped], Ints("perm", 0, 2, 1, 3, 4));
        var target4 = g.Node("Concat", "target4", [n, g.Int64s("minus_one", -1), h, w], Int("axis", 0));
        g.Node("Reshape", "out", [swapped, target4]);
        var model = ImportAndCompare(g.Finish("out"), "out", new Shape(6, 3, 3));
        Assert.Equal(["ReLU", "Reshape", "Transpose", "Reshape"], model.Layers.Select(l => l.TypeName));
    }

    [Fact]
    public void ArithmeticOnConstants_Folds_AndFeedsALayer()
    {
        // A scale computed from constants (sqrt(4) * 0.5 - 0.25 = 0.75) multiplies the input.
        var g = new TestGraph(13, 4);
        var root = g.Node("Sqrt", "root", [g.ConstantNode("four", Scalar(4))]);
        var half = g.Node("Mul", "half", [root, g.ConstantNode("h", Scalar(0.5f))]);
        var scale = g.Node("Sub", "scale", [half, g.ConstantNode("q", Scalar(0.25f))]);
        g.Node("Mul", "out", ["x", scale]);
        var model = ImportAndCompare(g.Finish("out"), "out", new Shape(4));
        var layer = Assert.Single(model.Layers);
        var input = Tensor.FromArray([1f, -2f, 4f, 8f], 1, 4);
        Assert.Equal([0.75f, -1.5f, 3f, 6f], model.Forward(input).ToArray());
        Assert.IsType<ElementwiseConstant>(layer);
    }

    [Fact]
    public void BatchSizeInArithmetic_ThenUsedAsAShape_IsRefusedNamingBothNodes()
    {
        // Size(x) is N * C * H * W: nothing at import can fix it, so a Reshape to it is refused.
        var g = new TestGraph(13, 2, 2, 2);
        var size = g.Node("Size", "size", ["x"]);
        var target = g.Node("Unsqueeze", "target", [size, g.Int64s("axes", 0)]);
        g.Node("Reshape", "out", ["x", target]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish("out"), "size.onnx")));
        Assert.Equal("size.onnx: Reshape node 'out': input 1 ('target') depends on the batch size (it comes from Unsqueeze node 'target'), " +
            "which stays open at import; Convolve can use such a value only as a Reshape's target or a Resize's sizes " +
            "whose first entry is the batch.", e.Message);
    }

    [Fact]
    public void BatchSizeAsAReshapeEntryOtherThanTheFirst_IsRefused()
    {
        // [C*H*W, N] would move the batch; only a first entry of N copies it.
        var g = new TestGraph(13, 4);
        var shape = g.Node("Shape", "shape", ["x"]);
        var reversed = g.Node("Slice", "reversed", [shape, g.Int64s("starts", -1), g.Int64s("ends", -3), g.Int64s("axes", 0), g.Int64s("steps", -1)]);
        g.Node("Reshape", "out", ["x", reversed]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish("out"), "moved.onnx")));
        Assert.StartsWith("moved.onnx: Reshape node 'out': input 1 ('reversed') depends on the batch size", e.Message);
    }

    [Fact]
    public void FoldedValues_LeaveNoLayer_AndAFoldedOutputIsRefused()
    {
        // The graph output computed from constants alone is not a model.
        var g = new TestGraph(13, 4);
        g.Node("Add", "out", [g.ConstantNode("a", Scalar(1)), g.ConstantNode("b", Scalar(2))]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish("out"), "constant.onnx")));
        Assert.Contains("constant", e.Message);
    }

    [Fact]
    public void GatherSliceConcatExpandRangeWhere_OnInitializers_MatchNumpysRules()
    {
        // Every folded operator feeds the one layer through a chain, so a wrong fold shows as a
        // different answer from ONNX Runtime.
        var g = new TestGraph(13, 2, 3);
        var range = g.Node("Range", "range", [g.ConstantNode("start", Scalar(0)), g.ConstantNode("limit", Scalar(6)),
            g.ConstantNode("delta", Scalar(1))]);                                                      // [0..5]
        var grid = g.Node("Reshape", "grid", [range, g.Int64s("shape23", 2, 3)]);                            // [[0,1,2],[3,4,5]]
        var rows = g.Node("Gather", "rows", [grid, g.Int64s("pick", 1, 0)], Int("axis", 0));                 // rows swapped
        var cols = g.Node("Slice", "cols", [rows, g.Int64s("s", 2), g.Int64s("e", -4), g.Int64s("a", 1), g.Int64s("st", -1)]); // reversed
        var wide = g.Node("Expand", "wide", [g.ConstantNode("one", Scalar(1)), g.Int64s("shape13", 1, 3)]);
        var both = g.Node("Concat", "both", [cols, wide], Int("axis", 0));                                   // [3, 3]
        var firstTwo = g.Node("Slice", "first_two", [both, g.Int64s("s0", 0), g.Int64s("e0", 2), g.Int64s("a0", 0)]);
        var big = g.Node("Greater", "big", [firstTwo, g.ConstantNode("two", Scalar(2))]);
        var chosen = g.Node("Where", "chosen", [big, firstTwo, g.ConstantNode("minus", Scalar(-1))]);
        var transposed = g.Node("Transpose", "t", [g.Node("Transpose", "tt", [chosen])]);
        g.Node("Mul", "out", ["x", transposed]);
        ImportAndCompare(g.Finish("out"), "out", new Shape(2, 3));
    }

    [Fact]
    public void SliceToInt64sExtremes_AsPyTorchWritesAFlip_Folds()
    {
        // torch.flip and x[::-1] export a backward Slice whose end is -2^63 + 1: a true constant,
        // though it equals a value the folder uses internally for sizes not known at import.
        var g = new TestGraph(13, 2, 3);
        var grid = g.Node("Reshape", "grid", [g.ConstantNode("values", Tensor.FromArray([0, 1, 2, 3, 4, 5], 6)), g.Int64s("shape23", 2, 3)]);
        var flipped = g.Node("Slice", "flip", [grid, g.Int64s("s", -1), g.Int64s("e", long.MinValue + 1), g.Int64s("a", 1),
            g.Int64s("st", -1)]);
        var upTo = g.Node("Slice", "up_to", [flipped, g.Int64s("s0", 0), g.Int64s("e0", long.MaxValue), g.Int64s("a0", 0)]);
        g.Node("Mul", "out", ["x", upTo]);
        ImportAndCompare(g.Finish("out"), "out", new Shape(2, 3));
    }

    [Fact]
    public void MalformedFoldedNodes_AreRefusedNamingThem_NotCrashes()
    {
        // A Gather without indices, a Slice whose ends are missing, a Reshape copying a dimension
        // its input lacks, an Expand to a negative size: each a one-line refusal.
        string Refusal(Action<TestGraph> build)
        {
            var g = new TestGraph(13, 4);
            build(g);
            return Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish("out"), "bad.onnx"))).Message;
        }
        Assert.Equal("bad.onnx: Gather node 'k': input 1 is missing.",
            Refusal(g => g.Node("Mul", "out", ["x", g.Node("Gather", "k", [g.Int64s("v", 1, 2)])])));
        Assert.Equal("bad.onnx: Slice node 'k': input 2 is missing.",
            Refusal(g => g.Node("Mul", "out", ["x", g.Node("Slice", "k", [g.Int64s("v", 1, 2), g.Int64s("s", 0)])])));
        Assert.Equal("bad.onnx: Reshape node 'k': entry 1 copies a dimension the input [2] does not have.",
            Refusal(g => g.Node("Mul", "out", ["x", g.Node("Reshape", "k", [g.Int64s("v", 1, 2), g.Int64s("t", 2, 0)])])));
        Assert.Equal("bad.onnx: Expand node 'k': shape [-2] has a negative dimension.",
            Refusal(g => g.Node("Mul", "out", ["x", g.Node("Expand", "k", [g.Int64s("v", 1), g.Int64s("t", -2)])])));
    }
}
