using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;
using static Convolve.Onnx.Tests.TestGraph;

namespace Convolve.Onnx.Tests;

/// <summary>
/// What the importer refuses, word for word: the source, the operator, the node and why. Each
/// refusal comes from reading the graph; nothing has run.
/// </summary>
public sealed class OnnxImportErrorTests
{
    private static string Refusal(string source, byte[] bytes, Shape? itemShape = null) =>
        Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(bytes, source), itemShape)).Message;

    private static string FormatError(string source, byte[] bytes) =>
        Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxModel.Parse(bytes, source))).Message;

    [Fact]
    public void AddOfValuesThatDoNotBroadcast_IsRefused_ShowingBoth()
    {
        var g = new TestGraph(13, 2, 4, 4);
        var y = g.Node("Conv", "conv", ["x", g.Weight("w", [3, 2, 3, 3])], Ints("pads", 1, 1, 1, 1));
        y = g.Node("Add", "add", [y, "x"]);
        Assert.Equal("residual.onnx: Add node 'add': inputs [N, 3, 4, 4] and [N, 2, 4, 4] do not broadcast (numpy's rule: aligned at the last dimension, " +
            "each pair of sizes equal or one of them 1).",
            Refusal("residual.onnx", g.Finish(y)));
    }

    [Fact]
    public void ConcatAlongTheBatch_IsRefused()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var a = g.Node("Relu", "a", ["x"]);
        var b = g.Node("Sigmoid", "b", ["x"]);
        var y = g.Node("Concat", "concat", [a, b], Int("axis", -4));
        Assert.Equal("branch.onnx: Concat node 'concat': axis 0 joins along the batch; Convolve's Concat joins the axes after it.",
            Refusal("branch.onnx", g.Finish(y)));
    }

    [Fact]
    public void ConcatWithAConstant_IsRefused()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var y = g.Node("Concat", "concat", ["x", g.Weight("c", [1, 1, 4, 4])], Int("axis", 1));
        Assert.Equal("m.onnx: Concat node 'concat': input 1 ('c') is a constant; Convolve's Concat joins computed values only.",
            Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void AWeightComputedByTheGraph_IsRefused()
    {
        var g = new TestGraph(13, 1, 3, 3);
        var w = g.Node("Relu", "r", ["x"]);
        var y = g.Node("Conv", "conv", ["x", w]);
        Assert.Equal("m.onnx: Conv node 'conv': input 1 ('r') is computed by the graph, not a constant; Convolve's layer for Conv " +
            "takes one computed input and constants (Add, Sub, Mul, Div, Sum and Concat merge several).", Refusal("m.onnx", g.Finish(y)));
    }

    /// <summary>A layer's own shape error, raised while the importer checks shapes with a batch of one, shows the batch as N.</summary>
    [Fact]
    public void PoolLargerThanItsInput_IsRefused_BatchIsN()
    {
        var g = new TestGraph(13, 1, 4, 4);
        var y = g.Node("MaxPool", "pool", ["x"], Ints("kernel_shape", 8, 8), Ints("strides", 8, 8));
        Assert.Equal("m.onnx: MaxPool node 'pool': MaxPool2D(8): input [N, 1, 4, 4] is smaller than the 8x8 window.",
            Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void ASecondOutputThatIsRead_IsRefused()
    {
        var g = new TestGraph(13, 1, 4, 4);
        g.Graph.Node.Add(new NodeProto
        {
            OpType = "MaxPool",
            Name = "pool",
            Input = { "x" },
            Output = { "pooled", "indices" },
            Attribute = { Ints("kernel_shape", 2, 2) }
        });
        var y = g.Node("Relu", "r", ["indices"]);
        Assert.Equal("m.onnx: MaxPool node 'pool': output 1 ('indices') is read by Relu node 'r'; Convolve's layer computes the first output only.",
            Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void AnInputNothingComputes_IsAFormatError_NamingTheNode()
    {
        var g = new TestGraph(13, 3);
        var y = g.Node("Relu", "r", ["x"]);
        y = g.Node("Add", "add", [y, "nowhere"]);
        Assert.Equal("m.onnx: Add node 'add': input 1 ('nowhere') is neither the graph input, a constant, nor any node's output.",
            FormatError("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void ACycle_IsAFormatError_NamingItsNodes()
    {
        var g = new TestGraph(13, 3);
        g.Node("Add", "a", ["x", "b"]);
        g.Node("Relu", "b", ["a"]);
        var y = g.Node("Sigmoid", "out", ["b"]);
        Assert.Equal("m.onnx: the graph has a cycle: Add node 'a' reads the output of Relu node 'b', " +
            "which reads the output of Add node 'a'; an ONNX graph is acyclic.",
            FormatError("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void AValueComputedTwice_IsAFormatError()
    {
        var g = new TestGraph(13, 3);
        g.Node("Relu", "a", ["x"]);
        g.Graph.Node.Add(new NodeProto { OpType = "Sigmoid", Name = "s", Input = { "x" }, Output = { "a" } });
        Assert.Equal("m.onnx: Sigmoid node 's': output 'a' is also the output of Relu node 'a'; a value is defined once.",
            FormatError("m.onnx", g.Finish("a")));
    }

    [Fact]
    public void UnknownOperator_IsRefused_ListingWhatIsImported()
    {
        var g = new TestGraph(14, 3);
        var y = g.Node("Hardmax", "hardmax", ["x"]);
        Assert.Equal("m.onnx: Hardmax node 'hardmax': operator Hardmax (opset 14) has no Convolve layer (Convolve imports Abs, Add, AveragePool, " +
            "BatchNormalization, Cast, Ceil, Celu, Clip, Concat, Constant, ConstantOfShape, Conv, ConvTranspose, Div, Dropout, Elu, Equal, Erf, " +
            "Exp, Expand, Flatten, Floor, Gather, Gelu, Gemm, GlobalAveragePool, GlobalMaxPool, Greater, HardSigmoid, HardSwish, Identity, " +
            "InstanceNormalization, LRN, LeakyRelu, Less, Log, LogSoftmax, MatMul, Max, MaxPool, Min, Mish, Mul, Neg, Not, PRelu, Pad, Pow, " +
            "Range, Reciprocal, ReduceL2, ReduceMax, ReduceMean, ReduceMin, ReduceSum, Relu, Reshape, Resize, Selu, Shape, Sigmoid, Size, Slice, " +
            "Softmax, Softplus, Softsign, Split, Sqrt, Squeeze, Sub, Sum, Tanh, ThresholdedRelu, Tile, Transpose, Unsqueeze, Upsample, Where).",
            Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void FoldedOperator_OnTheModelInput_IsRefusedSayingItIsFoldedOnly()
    {
        var g = new TestGraph(13, 3);
        var y = g.Node("Floor", "floor", ["x"]);
        Assert.Equal("m.onnx: Floor node 'floor': operator Floor (opset 13) computes here on values that depend on the model input; " +
            "Convolve computes Floor only on constants and shapes, once at import.", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void PadOfTheBatch_IsRefused()
    {
        var g = new TestGraph(13, 1, 4, 4);
        var y = g.Node("Pad", "pad", ["x", g.Int64s("pads", 1, 0, 1, 1, 0, 0, 1, 1)]);
        y = g.Node("Relu", "relu", [y]);
        Assert.Equal("m.onnx: Pad node 'pad': pads [1, 0, 1, 1, 0, 0, 1, 1] pad the batch axis; Convolve's Pad pads the axes after the batch.",
            Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void WrapPad_IsRefused()
    {
        var g = new TestGraph(19, 1, 4, 4);
        var y = g.Node("Pad", "pad", ["x", g.Int64s("pads", 0, 0, 1, 1, 0, 0, 1, 1)], String("mode", "wrap"));
        y = g.Node("Conv", "conv", [y, g.Weight("w", [1, 1, 3, 3])]);
        Assert.Equal("m.onnx: Pad node 'pad': mode 'wrap'; Convolve pads in modes constant, reflect and edge.", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void AnUnnamedNode_IsDescribedByItsOperator()
    {
        var g = new TestGraph(13, 3);
        var y = g.Node("Relu", "r", ["x"]);
        g.Graph.Node.Add(new NodeProto { OpType = "Hardmax", Input = { y }, Output = { "e" } });
        Assert.StartsWith("m.onnx: Hardmax node: operator Hardmax (opset 13) has no Convolve layer", Refusal("m.onnx", g.Finish("e")));
    }

    [Fact]
    public void GemmWithAlpha_IsRefused()
    {
        var g = new TestGraph(13, 4);
        var y = g.Node("Gemm", "fc", ["x", g.Weight("w", [4, 2])], Float("alpha", 2));
        Assert.Equal("m.onnx: Gemm node 'fc': alpha = 2, beta = 1; Convolve's Dense computes x W^T + b (alpha = beta = 1).", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void ReshapeThatFixesTheBatch_IsRefused()
    {
        var g = new TestGraph(13, 1, 4, 4);
        var y = g.Node("Reshape", "r", ["x", g.Int64s("shape", 1, -1)]);
        Assert.Equal("m.onnx: Reshape node 'r': shape [1, -1] on input [N, 1, 4, 4]; Convolve reshapes each batch item, so the shape " +
            "must start with 0 (copy the batch), the input's fixed batch size, or -1 with every other dimension fixed.", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void AConstantThatDoesNotBroadcastOverTheBatch_IsRefused()
    {
        var g = new TestGraph(13, 4);
        var y = g.Node("Add", "bias", ["x", g.Weight("b", [3, 4])]);
        Assert.Equal("m.onnx: Add node 'bias': the constant [3, 4] has as many dimensions as input [N, 4] without a leading 1; " +
            "Convolve broadcasts a constant over the batch.", Refusal("m.onnx", g.Finish(y)));
        g = new TestGraph(13, 4);
        y = g.Node("Mul", "scale", [g.Weight("s", [3]), "x"]);
        Assert.Equal("m.onnx: Mul node 'scale': the constant [3] does not broadcast against input [N, 4] (numpy's rule: aligned at the last " +
            "dimension, each pair of sizes equal or one of them 1).", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void SliceOfSeveralAxesOrWithAStep_IsRefused()
    {
        var g = new TestGraph(13, 2, 6);
        var y = g.Node("Slice", "s", ["x", g.Int64s("starts", 0, 1), g.Int64s("ends", 1, 4), g.Int64s("axes", 1, 2)]);
        Assert.Equal("m.onnx: Slice node 's': slices 2 axes at once; Convolve's Slice takes a range of one axis.", Refusal("m.onnx", g.Finish(y)));
        g = new TestGraph(13, 2, 6);
        y = g.Node("Slice", "s", ["x", g.Int64s("starts", 0), g.Int64s("ends", 6), g.Int64s("axes", 2), g.Int64s("steps", 2)]);
        Assert.Equal("m.onnx: Slice node 's': step 2; Convolve's Slice takes every element of its range (step 1).", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void TransposeOfTheBatch_AndSqueezeOfALongAxis_AreRefused()
    {
        var g = new TestGraph(13, 2, 3);
        var y = g.Node("Transpose", "t", ["x"]);
        Assert.Equal("m.onnx: Transpose node 't': perm [2, 1, 0] moves the batch axis; Convolve's Transpose keeps it first.", Refusal("m.onnx", g.Finish(y)));
        g = new TestGraph(13, 2, 3);
        y = g.Node("Squeeze", "s", ["x", g.Int64s("axes", -1)]);
        Assert.Equal("m.onnx: Squeeze node 's': axis 2 of input [N, 2, 3] has size 3, not 1.", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void OneDimensionalConv_IsRefused()
    {
        var g = new TestGraph(13, 2, 5);
        var y = g.Node("Conv", "c", ["x", g.Weight("w", [3, 2, 3])]);
        Assert.Equal("m.onnx: Conv node 'c': weight [3, 2, 3] is not [K, C/group, kH, kW]; Convolve has 2-D convolution only.", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void AGraphWithTwoInputs_IsRefused()
    {
        var g = new TestGraph(13, 1, 4, 4);
        g.Graph.Input.Add(new ValueInfoProto { Name = "w" });
        var y = g.Node("Conv", "c", ["x", "w"]);
        Assert.Equal("m.onnx: the graph has 2 inputs ('x', 'w'); Convolve imports models with one input.", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void OutputThatIsNotTheLastValue_Imports_WithoutTheNodesAfterIt()
    {
        var g = new TestGraph(13, 3);
        var a = g.Node("Relu", "a", ["x"]);
        g.Node("Erf", "b", [a]);
        var model = OnnxImporter.Import(OnnxModel.Parse(g.Finish(a), "m.onnx"));
        Assert.Equal("Sequential(ReLU())", model.ToString());
    }

    [Fact]
    public void AGraphThatOnlyPassesItsInputThrough_IsRefused()
    {
        var g = new TestGraph(13, 3);
        var y = g.Node("Identity", "same", ["x"]);
        Assert.Equal("m.onnx: the graph computes nothing (no node maps to a layer); a model needs at least one layer.", Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void DynamicImageSize_NeedsTheItemShape_AndImportsWithIt()
    {
        var g = new TestGraph(13, 1, 4, 4);
        var dims = g.Graph.Input[0].Type.TensorType.Shape.Dim;
        dims[2] = new TensorShapeProto.Types.Dimension { DimParam = "H" };
        dims[3] = new TensorShapeProto.Types.Dimension { DimParam = "W" };
        var y = g.Node("Conv", "c", ["x", g.Weight("w", [2, 1, 3, 3])]);
        var bytes = g.Finish(y);
        Assert.Equal("m.onnx: input 'x' has declared shape [?, 1, ?, ?]; the dimensions after the batch must be fixed numbers, " +
            "or the item shape given (e.g. --input-shape C,H,W).", Refusal("m.onnx", bytes));
        Assert.Equal("m.onnx: input 'x' has declared shape [?, 1, ?, ?], which does not fit items of [2, 5, 5].", Refusal("m.onnx", bytes, new Shape(2, 5, 5)));
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, "m.onnx"), new Shape(1, 5, 5));
        Assert.Equal(new Shape(2, 3, 3), model.LayerOutputShapes()[^1]);
    }

    [Fact]
    public void TrainingModeBatchNormalization_IsRefused()
    {
        var g = new TestGraph(14, 2, 3, 3);
        var y = g.Node("BatchNormalization", "bn", ["x", g.Weight("s", [2]), g.Weight("b", [2]), g.Weight("m", [2]), g.Weight("v", [2], true)],
            Int("training_mode", 1));
        Assert.Equal("m.onnx: BatchNormalization node 'bn': training_mode = 1 computes batch statistics in the graph; import models exported for inference.",
            Refusal("m.onnx", g.Finish(y)));
    }

    [Fact]
    public void MalformedFiles_GiveTheReadersMessage()
    {
        string path = Path.Combine(Path.GetTempPath(), $"convolve-empty-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, []);
        try
        {
            var error = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Load(path));
            Assert.Equal($"{path}: the file is empty (0 bytes); expected an ONNX model.", error.Message);
        }
        finally { File.Delete(path); }

        // A model cut short in the middle of a weight: protobuf's own complaint, with the source.
        var whole = new ModelProto { Graph = new GraphProto { Initializer = { OnnxTensor.FromTensor(new Tensor(new Shape(64)), "w") } } }.ToByteArray();
        var cut = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxModel.Parse(whole.AsSpan(0, whole.Length - 10), "cut.onnx")));
        Assert.StartsWith($"cut.onnx: {whole.Length - 10} bytes are not an ONNX model (ModelProto): ", cut.Message);
    }
}
