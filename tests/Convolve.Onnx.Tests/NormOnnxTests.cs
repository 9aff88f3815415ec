using Convolve.Layers;
using Convolve.Tensors;
using Xunit.Abstractions;
using static Convolve.Onnx.Tests.TestGraph;

namespace Convolve.Onnx.Tests;

/// <summary>
/// InstanceNormalization and LRN through the importer: PyTorch's exports (PyTorch/make_norm_models.py)
/// give PyTorch's outputs, hand-written graphs give ONNX Runtime's (the rule of <see cref="OnnxExporterTests"/>,
/// 1e-5 relative), and what cannot import is refused naming the node.
/// </summary>
public sealed class NormOnnxTests(ITestOutputHelper log)
{
    private static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "PyTorch", file);

    [Theory]
    [InlineData("torch_instancenorm", "Sequential(Conv2D(3->4, 3x3, padding=1), InstanceNorm2D(4), ReLU(), Conv2D(4->5, 1x1), InstanceNorm2D(5, eps=0.001))")]
    [InlineData("torch_instancenorm1d", "Sequential(InstanceNorm2D(4))")]
    public void PyTorchExport_ImportsAndGivesPyTorchsOutputs(string name, string expectedModel)
    {
        // nn.InstanceNorm2d(affine=False) writes its ones and zeros as Constant nodes, affine=True as initializers.
        var onnx = OnnxModel.Load(PathOf($"{name}.onnx"));
        log.WriteLine($"{name}: nodes {string.Join(", ", onnx.Graph.Node.Select(n => n.OpType))}");
        var model = OnnxImporter.Import(onnx);
        Assert.Equal(expectedModel, model.ToString());
        var input = OnnxTensor.ToTensor(OnnxTensor.Load(PathOf($"{name}.input.pb")));
        var golden = OnnxTensor.ToTensor(OnnxTensor.Load(PathOf($"{name}.output.pb")));
        double worst = OnnxExporterTests.AssertClose(golden, TestModels.Forward(model, input), $"{name}: Convolve vs PyTorch");
        log.WriteLine($"{name}: largest relative difference to PyTorch {worst:E2}");
    }

    [Fact]
    public void PyTorchExport_WithAffineParameters_ImportsThemAsTrainable()
    {
        var model = OnnxImporter.Import(OnnxModel.Load(PathOf("torch_instancenorm.onnx")));
        var norms = model.Layers.OfType<InstanceNorm2D>().ToArray();
        Assert.All(norms[0].Weight.Value.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(norms[0].Bias.Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.DoesNotContain(1f, norms[1].Weight.Value.ToArray());
        Assert.All(norms.SelectMany(n => n.Parameters), p => Assert.True(p.Trainable));
    }

    /// <summary>
    /// Instance normalisation with constant-node and initializer parameters, on images and on [N, C, L];
    /// LRN with ONNX's defaults and a window wider than the channels. (ONNX Runtime refuses even sizes
    /// and inputs other than 4-D; Convolve's even windows and [N, C, L] inputs are checked against the
    /// reference kernel, which follows ONNX's definition.)
    /// </summary>
    private static byte[] NormGraph()
    {
        var g = new TestGraph(13, 3, 7, 6);
        var y = g.Node("Conv", "conv", ["x", g.Weight("w", [6, 3, 3, 3]), g.Weight("b", [6])], Ints("pads", 1, 1, 1, 1));
        y = g.Node("InstanceNormalization", "in1", [y, g.ConstantNode("scale1", [6]), g.ConstantNode("b1", [6])]);
        y = g.Node("LRN", "lrn_default", [y], Int("size", 3));
        y = g.Node("LRN", "lrn_wide", [y], Int("size", 7), Float("alpha", 0.5f), Float("beta", 1.2f), Float("bias", 2));
        y = g.Node("Reshape", "rows", [y, g.Int64s("shape", 0, 6, -1)]);
        y = g.Node("InstanceNormalization", "in2", [y, g.Weight("scale2", [6], positive: true), g.Weight("b2", [6])], Float("epsilon", 0.01f));
        return g.Finish(y);
    }

    [Fact]
    public void HandWrittenGraph_GivesOnnxRuntimesOutputs()
    {
        var bytes = NormGraph();
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, "norms"));
        Assert.Equal("Sequential(Conv2D(3->6, 3x3, padding=1), InstanceNorm2D(6), LocalResponseNorm(size=3), " +
            "LocalResponseNorm(size=7, alpha=0.5, beta=1.2, bias=2), Reshape([6, -1]), InstanceNorm2D(6, eps=0.01))",
            model.ToString());
        using var runtime = new OnnxRuntimeRunner(bytes);
        foreach (int batch in (int[])[1, 3])
        {
            var input = TestModels.RandomInput(model, batch, seed: batch);
            var expected = runtime.Run(input, "x", runtime.Outputs.Keys.Single());
            double worst = OnnxExporterTests.AssertClose(expected, TestModels.Forward(model, input), $"norms at batch {batch}");
            log.WriteLine($"norms, batch {batch}: largest relative difference {worst:E2}");
        }
    }

    [Fact]
    public void LrnOfRows_ExportsAndImportsBack()
    {
        var model = new Models.Sequential(new Conv2D(2, 6, 3), new Reshape(0, -1), new LocalResponseNorm(4, alpha: 1, beta: 0.5f), new InstanceNorm2D(6));
        model.Build(new Shape(2, 5, 5), seed: 2);
        var imported = OnnxImporter.Import(OnnxModel.Parse(OnnxExporter.ToBytes(model), "rows"));
        Assert.Equal(model.ToString(), imported.ToString());
        var input = TestModels.RandomInput(model, 3, seed: 4);
        Assert.Equal(TestModels.Forward(model, input).ToArray(), TestModels.Forward(imported, input).ToArray());
    }

    private static string Refusal(byte[] bytes) =>
        Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(bytes, "m.onnx"))).Message;

    [Fact]
    public void AComputedScale_IsRefused_NamingTheNode()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var scale = g.Node("Flatten", "flat", [g.Node("GlobalAveragePool", "gap", ["x"])]);
        var y = g.Node("InstanceNormalization", "in", ["x", scale, g.Weight("b", [3])]);
        Assert.Equal("m.onnx: InstanceNormalization node 'in': input 1 ('flat') is computed by the graph, not a constant; Convolve's layer for " +
            "InstanceNormalization takes one computed input and constants (Add, Sub, Mul, Div, Sum and Concat merge several).", Refusal(g.Finish(y)));
    }

    [Fact]
    public void AScaleOfTheWrongLength_IsRefused()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var y = g.Node("InstanceNormalization", "in", ["x", g.Weight("s", [4]), g.Weight("b", [3])]);
        Assert.Equal("m.onnx: InstanceNormalization node 'in': scale [4] has 4 values, expected 3.", Refusal(g.Finish(y)));
    }

    [Fact]
    public void InputsWithoutAxesAfterTheChannels_AreRefused()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var flat = g.Node("Flatten", "flat", ["x"]);
        var y = g.Node("InstanceNormalization", "in", [flat, g.Weight("s", [48]), g.Weight("b", [48])]);
        Assert.Equal("m.onnx: InstanceNormalization node 'in': input [N, 48] has no axes after the channels to normalise over; " +
            "InstanceNormalization takes [N, C, H, W] or [N, C, L].", Refusal(g.Finish(y)));

        g = new TestGraph(13, 3, 4, 4);
        y = g.Node("LRN", "lrn", [g.Node("Flatten", "flat", ["x"])], Int("size", 3));
        Assert.Equal("m.onnx: LRN node 'lrn': input [N, 48] is not [N, C, H, W] or [N, C, L]; LRN normalises across the channels of each position.",
            Refusal(g.Finish(y)));
    }

    [Fact]
    public void LrnWithoutSize_IsAFormatError()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var y = g.Node("LRN", "lrn", ["x"], Float("alpha", 0.1f));
        Assert.Equal("m.onnx: LRN node 'lrn': the required attribute size is missing.",
            Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish(y), "m.onnx"))).Message);
    }
}
