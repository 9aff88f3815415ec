using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>The activations in ONNX: Relu, LeakyRelu, Sigmoid, Tanh, Clip, HardSigmoid and HardSwish.</summary>
internal static class ActivationsOnnx
{
    /// <summary>Relu as <see cref="ReLU"/>.</summary>
    [OnnxImport("Relu")]
    public static ReLU Relu(OnnxNode node, Shape inputShape) => new();

    /// <summary>LeakyRelu (alpha, default 0.01) as <see cref="LeakyReLU"/>.</summary>
    [OnnxImport("LeakyRelu")]
    public static LeakyReLU LeakyRelu(OnnxNode node, Shape inputShape) => new(node.Proto.GetFloat("alpha", 0.01f));

    /// <summary>Sigmoid as <see cref="Layers.Sigmoid"/>.</summary>
    [OnnxImport("Sigmoid")]
    public static Sigmoid Sigmoid(OnnxNode node, Shape inputShape) => new();

    /// <summary>Tanh as <see cref="Layers.Tanh"/>.</summary>
    [OnnxImport("Tanh")]
    public static Tanh Tanh(OnnxNode node, Shape inputShape) => new();

    /// <summary>HardSigmoid (alpha 0.2, beta 0.5 by default) as <see cref="Layers.HardSigmoid"/>.</summary>
    [OnnxImport("HardSigmoid")]
    public static HardSigmoid HardSigmoid(OnnxNode node, Shape inputShape) =>
        new(node.Proto.GetFloat("alpha", 0.2f), node.Proto.GetFloat("beta", 0.5f));

    /// <summary>HardSwish (opset 14) as <see cref="Layers.HardSwish"/>; the importer also reads opset 13's x * HardSigmoid(x) as one.</summary>
    [OnnxImport("HardSwish")]
    public static HardSwish HardSwish(OnnxNode node, Shape inputShape) => new();

    /// <summary>
    /// Clip as a <see cref="Layers.Clip"/>: bounds from the min and max attributes before opset
    /// 11, from the optional min and max inputs after; an absent bound is unbounded.
    /// </summary>
    [OnnxImport("Clip")]
    public static Clip Clip(OnnxNode node, Shape inputShape)
    {
        var n = node.Proto;
        float min, max;
        if (node.Opset >= 11)
        {
            min = node.HasInput(1) ? OnnxRule.Scalar(node, 1, "min") : float.NegativeInfinity;
            max = node.HasInput(2) ? OnnxRule.Scalar(node, 2, "max") : float.PositiveInfinity;
        }
        else
        {
            min = n.GetFloat("min", float.NegativeInfinity);
            max = n.GetFloat("max", float.PositiveInfinity);
        }
        return OnnxRule.Construct(node, () => new Clip(min, max));
    }

    /// <summary>Relu.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, ReLU layer, string input, Shape inputShape, string output) =>
        graph.AddNode("Relu", layer.Name, [input], output);

    /// <summary>LeakyRelu with its alpha.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, LeakyReLU layer, string input, Shape inputShape, string output) =>
        graph.AddNode("LeakyRelu", layer.Name, [input], output, Float("alpha", layer.Alpha));

    /// <summary>Sigmoid.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Sigmoid layer, string input, Shape inputShape, string output) =>
        graph.AddNode("Sigmoid", layer.Name, [input], output);

    /// <summary>Tanh.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Tanh layer, string input, Shape inputShape, string output) =>
        graph.AddNode("Tanh", layer.Name, [input], output);

    /// <summary>HardSigmoid with its alpha and beta.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, HardSigmoid layer, string input, Shape inputShape, string output) =>
        graph.AddNode("HardSigmoid", layer.Name, [input], output, Float("alpha", layer.Alpha), Float("beta", layer.Beta));

    /// <summary>
    /// HardSwish is opset 14; in opset 13 it is x * HardSigmoid(x) with alpha 1/6 and beta 1/2,
    /// which the importer reads back as one HardSwish.
    /// </summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, HardSwish layer, string input, Shape inputShape, string output)
    {
        string n = layer.Name;
        string hard = graph.AddNode("HardSigmoid", $"{n}/hardsigmoid", [input], $"{n}/hardsigmoid", Float("alpha", 1f / 6), Float("beta", 0.5f));
        return graph.AddNode("Mul", n, [input, hard], output);
    }

    /// <summary>Clip; opset 11 on, the bounds are optional scalar inputs and an infinite one is left out.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Clip clip, string input, Shape inputShape, string output)
    {
        string n = clip.Name;
        var inputs = new List<string> { input };
        inputs.Add(float.IsNegativeInfinity(clip.Min) ? "" : graph.Initializer($"{n}.min", Tensor.FromArray([clip.Min]), scalar: true));
        if (!float.IsPositiveInfinity(clip.Max)) inputs.Add(graph.Initializer($"{n}.max", Tensor.FromArray([clip.Max]), scalar: true));
        while (inputs[^1] == "") inputs.RemoveAt(inputs.Count - 1);
        return graph.AddNode("Clip", n, inputs, output);
    }
}
