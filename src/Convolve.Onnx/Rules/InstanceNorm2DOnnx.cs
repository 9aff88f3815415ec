using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>InstanceNorm2D in ONNX: InstanceNormalization, both ways.</summary>
internal static class InstanceNorm2DOnnx
{
    /// <summary>
    /// InstanceNormalization as <see cref="InstanceNorm2D"/>, its scale and B becoming the layer's
    /// trainable weight and bias. They must be constants: initializers (PyTorch's affine=True) or
    /// Constant nodes (affine=False writes ones and zeros that way); the import plan refuses a scale
    /// or bias computed by the graph, naming the node. Inputs [N, C, H, W] and [N, C, L] (and more axes after C) import.
    /// </summary>
    [OnnxImport("InstanceNormalization")]
    public static InstanceNorm2D Import(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank < 3)
            throw node.Refuse($"input {node.Show(inputShape)} has no axes after the channels to normalise over; " +
                "InstanceNormalization takes [N, C, H, W] or [N, C, L]");
        var layer = OnnxRule.Construct(node, () => new InstanceNorm2D(inputShape[1], node.Proto.GetFloat("epsilon", 1e-5f)));
        OnnxRule.CopyVector(node, 1, "scale", layer.Weight.Value);
        OnnxRule.CopyVector(node, 2, "B", layer.Bias.Value);
        return layer;
    }

    /// <summary>InstanceNormalization with the weight and bias as initializers.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, InstanceNorm2D layer, string input, Shape inputShape, string output)
    {
        string n = layer.Name;
        return graph.AddNode("InstanceNormalization", n,
            [input, graph.Initializer($"{n}.weight", layer.Weight.Value), graph.Initializer($"{n}.bias", layer.Bias.Value)],
            output, Float("epsilon", layer.Config.Epsilon));
    }
}
