using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Xunit.Abstractions;
using static Convolve.Onnx.Tests.TestGraph;

namespace Convolve.Onnx.Tests;

/// <summary>
/// Hand-written ONNX graphs imported into Convolve give ONNX Runtime's outputs, by the rule of
/// <see cref="OnnxExporterTests"/> (|a - b| &lt;= 1e-5 * max(1, |b|)), at batch 1 and 3.
/// </summary>
public sealed class OnnxImporterTests(ITestOutputHelper log)
{
    /// <summary>Graphs built by <see cref="Graph"/>.</summary>
    public static TheoryData<string> GraphNames() =>
        ["convolutions", "gemm-and-flatten", "opset8", "constant-nodes", "residual", "branches", "elementwise-and-shapes", "opset10-shapes"];

    private static byte[] Graph(string name)
    {
        switch (name)
        {
            case "convolutions":
                {
                    // auto_pad of every kind, groups, dilation, asymmetric pads, both pools, MatMul + Add.
                    var g = new TestGraph(13, 2, 7, 8);
                    var y = g.Node("Conv", "same_upper", ["x", g.Weight("w1", [4, 2, 3, 3]), g.Weight("b1", [4])],
                        String("auto_pad", "SAME_UPPER"), Ints("strides", 2, 2));
                    y = g.Node("Relu", "relu", [y]);
                    y = g.Node("Conv", "valid_depthwise", [y, g.Weight("w2", [4, 1, 3, 2])],
                        String("auto_pad", "VALID"), Int("group", 4), Ints("dilations", 1, 1));
                    y = g.Node("Conv", "same_lower", [y, g.Weight("w3", [6, 4, 2, 3])], String("auto_pad", "SAME_LOWER"));
                    y = g.Node("Conv", "asymmetric", [y, g.Weight("w4", [6, 3, 2, 2]), g.Weight("b4", [6])],
                        Ints("pads", 0, 1, 2, 0), Int("group", 2), Ints("dilations", 2, 1));
                    y = g.Node("LeakyRelu", "leaky", [y], Float("alpha", 0.3f));
                    y = g.Node("MaxPool", "maxpool", [y], Ints("kernel_shape", 2, 2), Ints("strides", 1, 1), String("auto_pad", "SAME_UPPER"));
                    y = g.Node("AveragePool", "avgpool", [y], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1),
                        Int("count_include_pad", 1));
                    y = g.Node("GlobalAveragePool", "gap", [y]);
                    y = g.Node("Reshape", "reshape", [y, g.Int64s("shape", 0, -1)]);
                    y = g.Node("MatMul", "matmul", [y, g.Weight("w5", [6, 5])]);
                    y = g.Node("Add", "add", [g.Weight("b5", [5]), y]);
                    y = g.Node("Identity", "identity", [y]);
                    y = g.Node("Dropout", "dropout", [y, g.ConstantNode("ratio", Tensor.FromArray([0.25f]))]);
                    y = g.Node("Softmax", "softmax", [y]);
                    return g.Finish(y);
                }
            case "gemm-and-flatten":
                {
                    var g = new TestGraph(13, 1, 4, 4);
                    var y = g.Node("Flatten", "flatten", ["x"]);
                    y = g.Node("Gemm", "gemm_b", [y, g.Weight("w1", [16, 5]), g.Weight("c1", [1, 5])]);
                    y = g.Node("Sigmoid", "sigmoid", [y]);
                    y = g.Node("Gemm", "gemm_bt", [y, g.Weight("w2", [3, 5])], Int("transB", 1));
                    y = g.Node("Tanh", "tanh", [y]);
                    y = g.Node("MatMul", "matmul_no_bias", [y, g.Weight("w3", [3, 4])]);
                    return g.Finish(y);
                }
            case "opset8":
                {
                    // BatchNormalization with the spatial attribute (opset 7/8), Dropout's ratio
                    // attribute and Softmax's flattening axis of opset 8.
                    var g = new TestGraph(8, 3, 5, 5);
                    var y = g.Node("Conv", "conv", ["x", g.Weight("w", [4, 3, 3, 3]), g.Weight("b", [4])], Ints("pads", 1, 1, 1, 1));
                    y = g.Node("BatchNormalization", "bn", [y, g.Weight("s", [4], true), g.Weight("bb", [4]), g.Weight("m", [4]), g.Weight("v", [4], true)],
                        Float("epsilon", 1e-3f), Int("spatial", 1));
                    y = g.Node("Relu", "relu", [y]);
                    y = g.Node("GlobalAveragePool", "gap", [y]);
                    y = g.Node("BatchNormalization", "bn_per_value",
                        [y, g.Weight("s2", [4, 1, 1], true), g.Weight("bb2", [4, 1, 1]), g.Weight("m2", [4, 1, 1]), g.Weight("v2", [4, 1, 1], true)],
                        Int("spatial", 0));
                    y = g.Node("Dropout", "dropout", [y], Float("ratio", 0.25f));
                    y = g.Node("Softmax", "softmax", [y]);
                    y = g.Node("Flatten", "flatten", [y]);
                    return g.Finish(y);
                }
            case "constant-nodes":
                {
                    // Weights from Constant nodes rather than initializers; a zero Pad (6x6 to 7x8) folded into the Conv.
                    var g = new TestGraph(13, 1, 6, 6);
                    var y = g.Node("Pad", "pad", ["x", g.Int64s("pads", 0, 0, 1, 0, 0, 0, 0, 2)]);
                    y = g.Node("Conv", "conv", [y, g.ConstantNode("w", [3, 1, 3, 3]), g.ConstantNode("b", [3])]);
                    // 5x6 pooled in ceil mode: 3x3, so 3 * 3 * 3 = 27 features.
                    y = g.Node("MaxPool", "pool", [y], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Int("ceil_mode", 1));
                    y = g.Node("Flatten", "flatten", [y], Int("axis", -3));
                    y = g.Node("Gemm", "gemm", [y, g.ConstantNode("fc", [2, 27]), g.ConstantNode("fcb", [2])], Int("transB", 1));
                    return g.Finish(y);
                }
            case "residual":
                {
                    // A residual block with its nodes listed backwards (the importer sorts them), then
                    // global pooling, Flatten and MatMul + Add, the Add listed before its MatMul.
                    var g = new TestGraph(13, 2, 6, 6);
                    var y = g.Node("Add", "bias", [g.Weight("fcb", [3]), "matmul"]);
                    g.Node("MatMul", "matmul", ["flatten", g.Weight("fc", [2, 3])]);
                    g.Node("Flatten", "flatten", ["gap"]);
                    g.Node("GlobalAveragePool", "gap", ["block"]);
                    g.Node("Relu", "block", ["sum"]);
                    g.Node("Add", "sum", ["relu", "x"]);
                    g.Node("Relu", "relu", ["bn"]);
                    g.Node("BatchNormalization", "bn", ["conv", g.Weight("s", [2], true), g.Weight("b", [2]), g.Weight("m", [2]), g.Weight("v", [2], true)]);
                    g.Node("Conv", "conv", ["x", g.Weight("w", [2, 2, 3, 3]), g.Weight("cb", [2])], Ints("pads", 1, 1, 1, 1));
                    return g.Finish(y);
                }
            case "branches":
                {
                    // The input read by two nodes, their outputs joined, a Sum of three values, an
                    // Identity as the output, and a node after it that the output does not need.
                    var g = new TestGraph(13, 3, 5, 4);
                    var a = g.Node("Relu", "a", ["x"]);
                    var b = g.Node("Sigmoid", "b", ["x"]);
                    var y = g.Node("Concat", "concat", [a, b], Int("axis", 1));
                    y = g.Node("Conv", "mix", [y, g.Weight("w", [3, 6, 1, 1])]);
                    y = g.Node("Sum", "sum", [y, a, "x"]);
                    y = g.Node("Identity", "same", [y]);
                    g.Node("Tanh", "unused", [y]);
                    return g.Finish(y);
                }
            case "elementwise-and-shapes":
                {
                    // The operators of the shape and element-wise layers at opset 13 (inputs for Clip's
                    // bounds, Split's sizes and Squeeze's axes), broadcasting merges, a constant on the
                    // left, a reflect Pad before a Conv, and HardSwish written as x * HardSigmoid(x).
                    var g = new TestGraph(13, 3, 6, 5);
                    var y = g.Node("Pad", "pad", ["x", g.Int64s("pads", 0, 0, 1, 2, 0, 0, 1, 0)], String("mode", "reflect"));
                    var c = g.Node("Conv", "conv", [y, g.Weight("w", [4, 3, 3, 3])]);
                    var k = g.Node("Clip", "clip", [c, g.ConstantNode("lo", Tensor.FromArray([-0.5f])), g.ConstantNode("hi", Tensor.FromArray([0.8f]))]);
                    var h = g.Node("HardSigmoid", "hardsigmoid", [c], Float("alpha", 0.3f), Float("beta", 0.4f));
                    var m = g.Node("Mul", "gate", [k, h]);
                    var hs = g.Node("HardSigmoid", "hs_gate", [m], Float("alpha", 1f / 6), Float("beta", 0.5f));
                    y = g.Node("Mul", "hardswish", [m, hs]);
                    y = g.Node("Sub", "from_constant", [g.Weight("per_channel", [4, 1, 1]), y]);
                    y = g.Node("Div", "per_column", [y, g.Weight("columns", [5], positive: true)]);
                    y = g.Node("Transpose", "transpose", [y], Ints("perm", 0, 1, 3, 2));
                    g.Graph.Node.Add(new Protos.NodeProto
                    {
                        OpType = "Split",
                        Name = "split",
                        Input = { y, g.Int64s("sizes", 1, 3) },
                        Output = { "one", "three" },
                        Attribute = { Int("axis", 1) }
                    });
                    var gated = g.Node("Mul", "broadcast", ["one", "three"]);
                    y = g.Node("Concat", "rows", [gated, "three"], Int("axis", 2));
                    y = g.Node("Reshape", "reshape", [y, g.Int64s("shape", 0, 3, -1)]);
                    y = g.Node("Unsqueeze", "unsqueeze", [y, g.Int64s("axes1", 2)]);
                    y = g.Node("Squeeze", "squeeze", [y, g.Int64s("axes2", -2)]);
                    var r = g.Node("Relu", "relu", [y]);
                    y = g.Node("Sub", "negative_part", [y, r]);
                    y = g.Node("Slice", "slice", [y, g.Int64s("starts", 5), g.Int64s("ends", -3), g.Int64s("axes", -1)]);
                    return g.Finish(y);
                }
            case "opset10-shapes":
                {
                    // The older spellings: Pad's pads and Clip's bounds as attributes, Split's sizes and
                    // Unsqueeze's axes as attributes, Slice's ranges as inputs (opset 10).
                    var g = new TestGraph(10, 2, 5, 5);
                    var y = g.Node("Pad", "pad", ["x"], Ints("pads", 0, 0, 1, 1, 0, 0, 1, 1), String("mode", "edge"));
                    y = g.Node("Clip", "clip", [y], Float("min", -0.6f), Float("max", 0.7f));
                    g.Graph.Node.Add(new Protos.NodeProto
                    {
                        OpType = "Split",
                        Name = "split",
                        Input = { y },
                        Output = { "a", "b" },
                        Attribute = { Int("axis", 1), Ints("split", 1, 1) }
                    });
                    y = g.Node("Add", "sum", ["a", "b"]);
                    y = g.Node("Unsqueeze", "unsqueeze", [y], Ints("axes", 1));
                    y = g.Node("Squeeze", "squeeze", [y], Ints("axes", 1));
                    y = g.Node("Pad", "zero_pad", [y], Ints("pads", 0, 0, 0, 1, 0, 0, 0, 1));
                    y = g.Node("AveragePool", "pool", [y], Ints("kernel_shape", 2, 2), Int("count_include_pad", 1));
                    y = g.Node("Slice", "slice", [y, g.Int64s("starts", 1), g.Int64s("ends", 100), g.Int64s("axes", 3)]);
                    return g.Finish(y);
                }
            default:
                throw new ArgumentException(name);
        }
    }

    [Theory]
    [MemberData(nameof(GraphNames))]
    public void ImportedGraph_GivesOnnxRuntimesOutputs(string name)
    {
        var bytes = Graph(name);
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, name));
        log.WriteLine($"{name}: {model}");
        using var runtime = new OnnxRuntimeRunner(bytes);
        foreach (int batch in (int[])[1, 3])
        {
            var input = TestModels.RandomInput(model, batch, seed: batch);
            var expected = runtime.Run(input, "x", runtime.Outputs.Keys.Single());
            double worst = OnnxExporterTests.AssertClose(expected, TestModels.Forward(model, input), $"{name} at batch {batch}");
            log.WriteLine($"{name}, batch {batch}: output {expected.Shape}, largest relative difference {worst:E2}");
        }
    }

    /// <summary>
    /// SAME_LOWER on the 2x3 input of 'same_lower' (2x3 kernel, stride 1) pads 1 row and 2
    /// columns in all, the odd row at the top: (top 1, left 1, bottom 0, right 1). GlobalAveragePool
    /// and the Reshape to [N, C] after it are one GlobalAvgPool2D; Softmax's default axis -1 stays -1.
    /// </summary>
    [Fact]
    public void Import_MapsEachNodeToTheLayerWithItsOptions()
    {
        var model = OnnxImporter.Import(OnnxModel.Parse(Graph("convolutions"), "convolutions"));
        Assert.Equal(
            "Sequential(Conv2D(2->4, 3x3, stride=2, padding=same), ReLU(), Conv2D(4->4, 3x2, groups=4, bias=false), " +
            "Conv2D(4->6, 2x3, padding=(1, 1, 0, 1), bias=false), Conv2D(6->6, 2x2, padding=(0, 1, 2, 0), dilation=(2, 1), groups=2), " +
            "LeakyReLU(alpha=0.3), MaxPool2D(2, stride=1, padding=same), AvgPool2D(3, stride=2, padding=1), " +
            "GlobalAvgPool2D(), Dense(6->5), Dropout(rate=0.25), Softmax())",
            model.ToString());
    }

    /// <summary>
    /// Graphs that are not chains import as Graph models, nodes in dependency order; the folds
    /// of a chain (MatMul + Add, GlobalAveragePool + Flatten) apply in a graph too.
    /// </summary>
    [Fact]
    public void Import_OfABranchingGraph_GivesAGraphModel()
    {
        var residual = Assert.IsType<Graph>(OnnxImporter.Import(OnnxModel.Parse(Graph("residual"), "residual")));
        Assert.Equal(
            "Graph(Conv2D(2->2, 3x3, padding=1)<-[input], BatchNorm2D(2)<-[conv2d_1], ReLU()<-[batchnorm2d_1], Add()<-[relu_1, input], " +
            "ReLU()<-[add_1], GlobalAvgPool2D()<-[relu_2], Dense(2->3)<-[globalavgpool2d_1])",
            residual.ToString());
        var branches = Assert.IsType<Graph>(OnnxImporter.Import(OnnxModel.Parse(Graph("branches"), "branches")));
        Assert.Equal(
            "Graph(ReLU()<-[input], Sigmoid()<-[input], Concat()<-[relu_1, sigmoid_1], Conv2D(6->3, 1x1, bias=false)<-[concat_1], " +
            "Add()<-[conv2d_1, relu_1, input])",
            branches.ToString());
    }

    /// <summary>
    /// Export then import gives the same architecture (for the built-ins and the graph; the
    /// every-layer models' GlobalAvgPool2D + Flatten come back as one layer) and bit for bit the
    /// same outputs: the same layers with the same weights run the same kernels.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void ExportThenImport_GivesTheSameOutputs(string name)
    {
        var original = TestModels.Create(name);
        var imported = OnnxImporter.Import(OnnxModel.Parse(OnnxExporter.ToBytes(original), name));
        Assert.Equal(original.InputShape, imported.InputShape);
        Assert.Equal(original.GetType(), imported.GetType());
        if (!name.StartsWith("every-layer"))
        {
            Assert.Equal(original.ToString(), imported.ToString());
            Assert.Equal(Configs(original), Configs(imported));
        }
        foreach (int batch in (int[])[1, 4])
        {
            var input = TestModels.RandomInput(original, batch, seed: 10 + batch);
            Assert.Equal(TestModels.Forward(original, input).ToArray(), TestModels.Forward(imported, input).ToArray());
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions ConfigJson = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    // Each layer's options as text: config records holding arrays (Pad, Reshape) compare those by reference.
    private static IEnumerable<string> Configs(Model model) =>
        model.Layers.Select(l => l.GetConfig()).Select(c => $"{c.GetType().Name}{System.Text.Json.JsonSerializer.Serialize(c, c.GetType(), ConfigJson)}");

    /// <summary>
    /// A file that fixes the batch at 1 (as many exporters write) and reshapes to [1, -1]: the
    /// Reshape keeps that batch, so it imports as a Flatten (folded with the pooling before it),
    /// and the model runs any batch, each item giving ONNX Runtime's batch-1 output.
    /// </summary>
    [Fact]
    public void FixedBatchOfOne_ReshapeToOneRow_ImportsAsAFlatten_AndRunsAnyBatch()
    {
        var g = new TestGraph(13, 2, 3, 3);
        g.Graph.Input[0].Type.TensorType.Shape.Dim[0] = new Protos.TensorShapeProto.Types.Dimension { DimValue = 1 };
        var y = g.Node("Conv", "conv", ["x", g.Weight("w", [4, 2, 3, 3]), g.Weight("b", [4])], Ints("pads", 1, 1, 1, 1));
        y = g.Node("GlobalAveragePool", "gap", [y]);
        y = g.Node("Reshape", "reshape", [y, g.Int64s("shape", 1, -1)]);
        y = g.Node("Gemm", "fc", [y, g.Weight("fc_w", [3, 4]), g.Weight("fc_b", [3])], Int("transB", 1));
        var bytes = g.Finish(y);
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, "fixed-batch"));
        Assert.Equal("Sequential(Conv2D(2->4, 3x3, padding=1), GlobalAvgPool2D(), Dense(4->3))", model.ToString());
        using var runtime = new OnnxRuntimeRunner(bytes);
        var input = TestModels.RandomInput(model, 4, seed: 3);
        var output = TestModels.Forward(model, input);
        for (int n = 0; n < 4; n++)
        {
            var item = Tensor.FromArray(input.Span.Slice(n * 18, 18), 1, 2, 3, 3);
            var itemOutput = Tensor.FromArray(output.Span.Slice(n * 3, 3), 1, 3);
            OnnxExporterTests.AssertClose(runtime.Run(item, "x", "fc"), itemOutput, $"item {n}");
        }
    }

    /// <summary>
    /// The nodes of an exported graph shuffled into random orders import to the same function:
    /// the importer sorts them, and the outputs are bit for bit the original's.
    /// </summary>
    [Theory]
    [InlineData("resnet-graph")]
    [InlineData("new-layers")]
    [InlineData("activation-layers")]
    public void ShuffledNodes_ImportToTheSameOutputs(string name)
    {
        var original = TestModels.Create(name);
        var input = TestModels.RandomInput(original, 3, seed: 4);
        var expected = TestModels.Forward(original, input).ToArray();
        var proto = OnnxExporter.Export(original);
        var random = new Random(9);
        for (int trial = 0; trial < 5; trial++)
        {
            var nodes = proto.Graph.Node.OrderBy(_ => random.Next()).ToList();
            proto.Graph.Node.Clear();
            proto.Graph.Node.Add(nodes);
            var imported = OnnxImporter.Import(OnnxModel.Parse(Google.Protobuf.MessageExtensions.ToByteArray(proto), $"{name} shuffled"));
            Assert.Equal(original.Layers.Count, imported.Layers.Count);
            Assert.Equal(expected, TestModels.Forward(imported, input).ToArray());
        }
    }

    /// <summary>
    /// An imported graph trains like the original: one SGD step (momentum, on a mean squared
    /// error, batch norm in training mode) from the same weights gives the same parameters, bit
    /// for bit, running statistics included.
    /// </summary>
    [Theory]
    [InlineData("resnet-graph")]
    [InlineData("new-layers")]
    [InlineData("activation-layers")]
    public void ExportThenImport_OfAGraph_TakesTheSameSgdStep(string name)
    {
        var original = TestModels.Create(name);
        var imported = OnnxImporter.Import(OnnxModel.Parse(OnnxExporter.ToBytes(original), name));
        Assert.Equal(original.NamedParameters.Select(p => p.Key), imported.NamedParameters.Select(p => p.Key));
        Assert.Equal(original.ParameterValues.ToArray(), imported.ParameterValues.ToArray());
        var input = TestModels.RandomInput(original, 3, seed: 7);
        var target = TestModels.Forward(original, TestModels.RandomInput(original, 3, seed: 8));
        foreach (var model in (Model[])[original, imported])
        {
            var sgd = new Training.Sgd(model.Parameters, momentum: 0.9f);
            var loss = new Training.MeanSquaredError();
            model.ZeroGradients();
            loss.Forward(model.Forward(input, training: true), target);
            model.Backward(loss.Backward());
            sgd.Step(learningRate: 0.1f);
        }
        var before = TestModels.Create(name).ParameterValues.ToArray();
        var after = original.ParameterValues.ToArray();
        int trainable = original.Parameters.Where(p => p.Trainable).Sum(p => p.Value.Length);
        Assert.True(after.Zip(before).Count(p => p.First != p.Second) > trainable / 2, "the step changed most trainable parameters");
        Assert.Equal(after, imported.ParameterValues.ToArray());
    }

    [Fact]
    public void ExportThenImport_KeepsTheOptionsOfEveryLayerKind()
    {
        var original = new Sequential(
            new Conv2D(new Conv2DConfig(2, 4, 3, 2, StrideH: 2, StrideW: 1, Padding: new Padding(1, 0, 2, 1), DilationH: 1, DilationW: 2, Groups: 2)),
            new BatchNorm2D(4, epsilon: 1e-3f, momentum: 0.01f), new LeakyReLU(0.25f),
            new MaxPool2D(new MaxPool2DConfig(3, 2, 2, 1, new Padding(1, 0, 1, 1), DilationH: 1, DilationW: 1, CeilMode: true)),
            new AvgPool2D(2, stride: 1, padding: 1, countIncludePad: false), new Sigmoid(), new Tanh(), new ReLU(),
            new Dropout(0.4f), new GlobalAvgPool2D(), new Dense(3), new Softmax());
        original.Build(new Shape(2, 9, 8), seed: 1);
        var imported = OnnxImporter.Import(OnnxModel.Parse(OnnxExporter.ToBytes(original), "options"));
        Assert.Equal(Configs(original), Configs(imported));
    }

    /// <summary>
    /// An imported model trains: the gradient Backward gives for a convolution weight matches a
    /// central difference of the loss sum(output * r), computed in float.
    /// </summary>
    [Fact]
    public void ImportedModel_CanBeFineTuned_ItsGradientsMatchFiniteDifferences()
    {
        var model = OnnxImporter.Import(OnnxModel.Parse(Graph("constant-nodes"), "constant-nodes"));
        var input = TestModels.RandomInput(model, 2, seed: 1);
        var r = TestModels.RandomInput(model, 1, seed: 2).Span[..4].ToArray(); // output is [2, 2]
        double Loss()
        {
            var y = model.Forward(input, training: true).Span;
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += y[i] * r[i];
            return sum;
        }
        model.ZeroGradients();
        model.Forward(input, training: true);
        model.Backward(Tensor.FromArray(r, 2, 2));
        var conv = Assert.IsType<Conv2D>(model.Layers[0]);
        Assert.True(conv.Weight.Trainable);
        for (int i = 0; i < conv.Weight.Value.Length; i += 4)
        {
            float saved = conv.Weight.Value[i];
            const float h = 1e-2f;
            conv.Weight.Value[i] = saved + h;
            double plus = Loss();
            conv.Weight.Value[i] = saved - h;
            double minus = Loss();
            conv.Weight.Value[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - conv.Weight.Gradient[i]) <= 2e-2 * Math.Max(1, Math.Abs(numeric)),
                $"weight {i}: backward {conv.Weight.Gradient[i]}, central difference {numeric}");
        }
    }
}
