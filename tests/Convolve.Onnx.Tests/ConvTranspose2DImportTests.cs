using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Xunit.Abstractions;
using static Convolve.Onnx.Tests.TestGraph;

namespace Convolve.Onnx.Tests;

/// <summary>
/// ConvTranspose as exporters write it (PyTorch's symmetric pads with output_padding, groups,
/// dilations, auto_pad, output_shape), imported and compared with ONNX Runtime; the forms
/// Convolve refuses, with the node named.
/// </summary>
public sealed class ConvTranspose2DImportTests(ITestOutputHelper log)
{
    private Model ImportAndCompare(byte[] bytes, string output, params int[] itemShape)
    {
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, "m.onnx"));
        using var runtime = new OnnxRuntimeRunner(bytes);
        var input = new Tensor(new Shape([3, .. itemShape]));
        var random = new Random(6);
        foreach (ref float v in input.Span) v = (float)(2 * random.NextDouble() - 1);
        var expected = runtime.Run(input, "x", output);
        double worst = OnnxExporterTests.AssertClose(expected, model.Forward(input), output);
        float largest = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(expected.Span));
        Assert.True(largest > 0.1f, $"{output}: ONNX Runtime's output is all near zero, which would compare equal to anything small");
        log.WriteLine($"{model}: largest relative difference from ONNX Runtime {worst:E2} (largest |output| {largest:G3})");
        return model;
    }

    private static string[] Types(Model model) => [.. model.Layers.Select(l => l.ToString())];

    [Fact]
    public void PyTorchsForms_MatchOnnxRuntime()
    {
        // nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=(1, 2)),
        // then a DCGAN layer without bias and an asymmetric one.
        var g = new TestGraph(13, 4, 5, 4);
        var y = g.Node("ConvTranspose", "up1", ["x", g.Weight("w1", [4, 3, 3, 3]), g.Weight("b1", [6])],
            Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Ints("output_padding", 1, 1), Int("group", 2), Ints("dilations", 1, 2));
        y = g.Node("ConvTranspose", "up2", [y, g.Weight("w2", [6, 2, 4, 4])], Ints("kernel_shape", 4, 4), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        y = g.Node("ConvTranspose", "odd", [y, g.Weight("w3", [2, 3, 2, 3]), g.Weight("b3", [3])], Ints("strides", 3, 1), Ints("pads", 0, 2, 1, 0));
        var model = ImportAndCompare(g.Finish(y), y, 4, 5, 4);
        Assert.Equal(["ConvTranspose2D(4->6, 3x3, stride=2, padding=1, output_padding=1, dilation=(1, 2), groups=2)",
            "ConvTranspose2D(6->2, 4x4, stride=2, padding=1, bias=false)", "ConvTranspose2D(2->3, 2x3, stride=(3, 1), padding=(0, 2, 1, 0))"], Types(model));
    }

    [Fact]
    public void OutputShapeAndSame_WithEvenTotals_MatchOnnxRuntime()
    {
        // Even total padding, where every reading of the standard agrees (ONNX Runtime puts an odd
        // pixel at the other end than the standard for SAME_UPPER and output_shape).
        var g = new TestGraph(13, 2, 5, 4);
        var y = g.Node("ConvTranspose", "shaped", ["x", g.Weight("w1", [2, 3, 4, 4])], Ints("strides", 2, 2), Ints("output_shape", 10, 8));
        y = g.Node("ConvTranspose", "same", [y, g.Weight("w2", [3, 2, 4, 4])], Ints("strides", 2, 2), String("auto_pad", "SAME_LOWER"));
        var model = ImportAndCompare(g.Finish(y), y, 2, 5, 4);
        // 5x4 -> 12x10 before cropping; output_shape [10, 8] crops 2 and 2 (1 each side);
        // SAME_LOWER doubles 10x8 to 20x16 from 22x18 (1 each side again).
        Assert.Equal(["ConvTranspose2D(2->3, 4x4, stride=2, padding=1, bias=false)", "ConvTranspose2D(3->2, 4x4, stride=2, padding=1, bias=false)"],
            Types(model));
    }

    [Theory]
    [InlineData("SAME_UPPER", 0, 0, 1, 1)]
    [InlineData("SAME_LOWER", 1, 1, 0, 0)]
    [InlineData("VALID", 0, 0, 0, 0)]
    public void AutoPad_WithAnOddTotal_PutsTheExtraPixelWhereTheStandardSays(string autoPad, int top, int left, int bottom, int right)
    {
        // 3x3 input, 3x3 kernel, stride 2: 7x7 reached; SAME wants 6x6, a total of 1 per axis.
        var g = new TestGraph(13, 1, 3, 3);
        var y = g.Node("ConvTranspose", "t", ["x", g.Weight("w", [1, 2, 3, 3])], Ints("strides", 2, 2), String("auto_pad", autoPad));
        var layer = Assert.IsType<ConvTranspose2D>(Assert.Single(OnnxImporter.Import(OnnxModel.Parse(g.Finish(y), "m.onnx")).Layers));
        Assert.Equal(new Padding(top, left, bottom, right), layer.Config.Padding);
    }

    [Fact]
    public void OutputShape_LargerThanTheWindowsReach_GrowsAtTheEnd_AsOnnxRuntimeDoes()
    {
        // 3x3 input, kernel 3, strides (3, 2): 9x7 reached; output_shape [10, 8] adds a row and a column.
        var g = new TestGraph(13, 1, 3, 3);
        var y = g.Node("ConvTranspose", "t", ["x", g.Weight("w", [1, 2, 3, 3]), g.Weight("b", [2])], Ints("strides", 3, 2), Ints("output_shape", 10, 8));
        var model = ImportAndCompare(g.Finish(y), y, 1, 3, 3);
        var layer = Assert.IsType<ConvTranspose2D>(Assert.Single(model.Layers));
        Assert.Equal((Padding.Valid, 1, 1), (layer.Config.Padding, layer.Config.OutputPaddingH, layer.Config.OutputPaddingW));
    }

    [Fact]
    public void OneAndThreeSpatialDimensions_AreRefused_NamingTheNode()
    {
        var g = new TestGraph(13, 2, 5);
        var y = g.Node("ConvTranspose", "up1d", ["x", g.Weight("w", [2, 3, 3])]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish(y), "m.onnx")));
        Assert.Equal("m.onnx: ConvTranspose node 'up1d': 1 spatial dimension(s) (input [N, 2, 5]); Convolve's ConvTranspose is 2-D only.", e.Message);

        g = new TestGraph(13, 2, 3, 4, 5);
        y = g.Node("ConvTranspose", "up3d", ["x", g.Weight("w", [2, 3, 2, 2, 2])]);
        e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish(y), "m.onnx")));
        Assert.Equal("m.onnx: ConvTranspose node 'up3d': 3 spatial dimension(s) (input [N, 2, 3, 4, 5]); Convolve's ConvTranspose is 2-D only.", e.Message);
    }

    [Fact]
    public void AComputedWeight_IsRefused_NamingTheNodeAndTheInput()
    {
        // The weight is the graph's own value (a 2x2x2x2 input read as the kernel).
        var g = new TestGraph(13, 2, 2, 2);
        var w = g.Node("Relu", "w", ["x"]);
        var y = g.Node("ConvTranspose", "up", ["x", w]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish(y), "m.onnx")));
        log.WriteLine(e.Message);
        Assert.Contains("ConvTranspose node 'up'", e.Message);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void AWeightOfTheWrongChannels_IsRefused_WithBothShapes()
    {
        var g = new TestGraph(13, 3, 4, 4);
        var y = g.Node("ConvTranspose", "up", ["x", g.Weight("w", [2, 3, 3, 3])]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish(y), "m.onnx")));
        Assert.Equal("m.onnx: ConvTranspose node 'up': weight [2, 3, 3, 3] does not fit an input of 3 channels in 1 group(s) (expected [3, K/group, 3, 3]).",
            e.Message);
    }
}
