using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>Conv2D in ONNX: the Conv operator, both ways.</summary>
internal static class Conv2DOnnx
{
    /// <summary>Conv (weight [K, C/group, kH, kW], optional bias [K]) as a <see cref="Conv2D"/>.</summary>
    [OnnxImport("Conv")]
    public static Conv2D Import(OnnxNode node, Shape inputShape) => Import(node, inputShape, Padding.Valid);

    /// <summary>Conv as a <see cref="Conv2D"/> reading a zero-padded input.</summary>
    /// <param name="padded">Zero padding of a Pad node before the Conv, added to its pads.</param>
    /// <param name="node">The node, with its constants.</param>
    /// <param name="inputShape">The shape of the computed input, batch first.</param>
    public static Conv2D Import(OnnxNode node, Shape inputShape, Padding padded)
    {
        var w = node.Float(1);
        if (w.Shape.Rank != 4)
            throw node.Refuse($"weight {w.Shape} is not [K, C/group, kH, kW]; Convolve has 2-D convolution only");
        var (kh, kw, sh, sw, dh, dw, padding) = OnnxRule.Window(node, inputShape, (w.Shape[2], w.Shape[3]), padded);
        int groups = (int)node.Proto.GetInt("group", 1);
        bool hasBias = node.HasInput(2);
        var conv = OnnxRule.Construct(node, () => new Conv2D(new Conv2DConfig(inputShape[1], w.Shape[0], kh, kw, sh, sw, padding, dh, dw, groups, hasBias)));
        if (conv.Weight.Shape != w.Shape)
            throw node.Refuse($"weight {w.Shape} does not fit an input of {inputShape[1]} channels in {groups} group(s) (expected {conv.Weight.Shape})");
        w.Span.CopyTo(conv.Weight.Value.Span);
        if (hasBias) OnnxRule.CopyVector(node, 2, "bias", conv.Bias!.Value);
        return conv;
    }

    /// <summary>Conv with explicit pads (a "same" padding resolved for this input), the weight and bias as initializers.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Conv2D conv, string input, Shape inputShape, string output)
    {
        string n = conv.Name;
        var g = conv.GetGeometry(inputShape);
        var inputs = new List<string> { input, graph.Initializer($"{n}.weight", conv.Weight.Value) };
        if (conv.Bias is { } bias) inputs.Add(graph.Initializer($"{n}.bias", bias.Value));
        return graph.AddNode("Conv", n, inputs, output,
            Ints("kernel_shape", g.KernelH, g.KernelW), Ints("strides", g.StrideH, g.StrideW),
            Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight),
            Ints("dilations", g.DilationH, g.DilationW), Int("group", g.Groups));
    }
}
