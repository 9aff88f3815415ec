using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Xunit.Abstractions;
using static Convolve.Onnx.Tests.TestGraph;

namespace Convolve.Onnx.Tests;

/// <summary>
/// The activations as exporters write them: PRelu's slope shapes, GELU as opset 13's Erf form and
/// as opset 20's Gelu, SiLU as x * Sigmoid(x), Mish as x * Tanh(Softplus(x)); each imports as one
/// layer and matches ONNX Runtime.
/// </summary>
public sealed class ActivationsImportTests(ITestOutputHelper log)
{
    private Model ImportAndCompare(byte[] bytes, string output, params int[] itemShape)
    {
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, "m.onnx"));
        using var runtime = new OnnxRuntimeRunner(bytes);
        var input = new Tensor(new Shape([3, .. itemShape]));
        var random = new Random(6);
        foreach (ref float v in input.Span) v = (float)(6 * random.NextDouble() - 3);
        double worst = OnnxExporterTests.AssertClose(runtime.Run(input, "x", output), model.Forward(input), output);
        log.WriteLine($"{model}: largest relative difference from ONNX Runtime {worst:E2}");
        return model;
    }

    private static string[] Types(Model model) => [.. model.Layers.Select(l => l.ToString())];

    [Fact]
    public void PyTorchsOpset13Forms_ImportAsOneLayerEach()
    {
        // As torch.onnx.export writes nn.PReLU(4) (slope [4, 1, 1]), nn.GELU() (Div, Erf, Add, Mul, Mul with
        // Constant nodes), nn.SiLU() (Sigmoid, Mul) and nn.Mish() at opset 13 (Softplus, Tanh, Mul), the
        // constants and the Mul operands on either side.
        var g = new TestGraph(13, 2, 5, 5);
        var y = g.Node("Conv", "conv", ["x", g.Weight("w", [4, 2, 3, 3]), g.Weight("b", [4])], Ints("pads", 1, 1, 1, 1));
        y = g.Node("PRelu", "prelu", [y, g.Weight("slope", [4, 1, 1], positive: true)]);
        var d = g.Node("Div", "gelu/div", [y, g.ConstantNode("sqrt2", Tensor.FromArray([MathF.Sqrt(2)]))]);
        var e = g.Node("Erf", "gelu/erf", [d]);
        var a = g.Node("Add", "gelu/add", [g.ConstantNode("one", Tensor.FromArray([1f])), e]);
        var m = g.Node("Mul", "gelu/mul", [y, a]);
        y = g.Node("Mul", "gelu", [g.ConstantNode("half", Tensor.FromArray([0.5f])), m]);
        var s = g.Node("Sigmoid", "silu/sigmoid", [y]);
        y = g.Node("Mul", "silu", [s, y]);
        var sp = g.Node("Softplus", "mish/softplus", [y]);
        var t = g.Node("Tanh", "mish/tanh", [sp]);
        y = g.Node("Mul", "mish", [t, y]);
        y = g.Node("PRelu", "prelu_one", [y, g.Weight("slope1", [1, 1, 1, 1], positive: true)]);
        var model = ImportAndCompare(g.Finish(y), y, 2, 5, 5);
        Assert.Equal(["Conv2D(2->4, 3x3, padding=1)", "PReLU(slope=[4, 1, 1])", "GELU()", "SiLU()", "Mish()", "PReLU()"], Types(model));
    }

    [Fact]
    public void Opset20Gelu_BothForms_Import()
    {
        var g = new TestGraph(20, 3, 4);
        var y = g.Node("Gelu", "exact", ["x"]);
        y = g.Node("Gelu", "tanh", [y], String("approximate", "tanh"));
        var model = ImportAndCompare(g.Finish(y), y, 3, 4);
        Assert.Equal(["GELU()", "GELU(approximate=tanh)"], Types(model));
    }

    [Fact]
    public void ASigmoidReadTwice_IsNotFoldedIntoASiLU()
    {
        var g = new TestGraph(13, 3, 4);
        var s = g.Node("Sigmoid", "sigmoid", ["x"]);
        var y = g.Node("Mul", "gate", ["x", s]);
        y = g.Node("Add", "sum", [y, s]);
        var model = ImportAndCompare(g.Finish(y), y, 3, 4);
        Assert.DoesNotContain(model.Layers, l => l is SiLU);
        Assert.Contains(model.Layers, l => l is Sigmoid);
    }

    [Fact]
    public void GeluWithTheTanhApproximation_ExportsAsItsOpset13Form_AndRunsInOnnxRuntimeLikeConvolve()
    {
        var model = new Sequential(new Conv2D(2, 3, kernelSize: 3, padding: 1), new GELU("tanh"), new Flatten(), new Dense(4), new GELU("tanh"));
        model.Build(new Shape(2, 4, 4), seed: 2);
        using var runtime = new OnnxRuntimeRunner(OnnxExporter.ToBytes(model));
        var input = TestModels.RandomInput(model, 3, seed: 1);
        double worst = OnnxExporterTests.AssertClose(TestModels.Forward(model, input), runtime.Run(input), "GELU(tanh)");
        log.WriteLine($"largest relative difference from ONNX Runtime {worst:E2}");
    }

    [Fact]
    public void APReluSlopeThatDoesNotFit_IsRefusedNamingTheNode()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var y = g.Node("PRelu", "prelu", ["x", g.Weight("slope", [4, 1, 1])]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish(y), "m.onnx")));
        Assert.Equal("m.onnx: PRelu node 'prelu': PReLU(slope=[4, 1, 1]): the slope [4, 1, 1] does not broadcast to the items of input [N, 3, 4, 4] " +
            "(aligned at the right, each size 1 or the item's size; the batch takes no slope).", e.Message);
    }
}
