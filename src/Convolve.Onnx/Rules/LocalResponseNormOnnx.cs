using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>LocalResponseNorm in ONNX: LRN, both ways.</summary>
internal static class LocalResponseNormOnnx
{
    /// <summary>
    /// LRN as <see cref="LocalResponseNorm"/>: size is required; alpha (1e-4), beta (0.75) and bias (1)
    /// take ONNX's defaults. Inputs [N, C, H, W] and [N, C, L] (and more axes after C) import.
    /// </summary>
    [OnnxImport("LRN")]
    public static LocalResponseNorm Import(OnnxNode node, Shape inputShape)
    {
        var n = node.Proto;
        if (!n.Has("size")) throw new OnnxFormatException($"{node.Where}: the required attribute size is missing.");
        if (inputShape.Rank < 3)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, C, H, W] or [N, C, L]; LRN normalises across the channels of each position");
        long size = n.GetInt("size", 0);
        if (size is <= 0 or > int.MaxValue) throw node.Refuse($"size {size} is not a positive channel count");
        return OnnxRule.Construct(node, () => new LocalResponseNorm((int)size, n.GetFloat("alpha", 1e-4f), n.GetFloat("beta", 0.75f), n.GetFloat("bias", 1f)));
    }

    /// <summary>
    /// LRN with every attribute written out. ONNX allows any input [N, C, ...]; ONNX Runtime runs
    /// LRN on [N, C, H, W] with an odd size only.
    /// </summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, LocalResponseNorm layer, string input, Shape inputShape, string output)
    {
        var c = layer.Config;
        return graph.AddNode("LRN", layer.Name, [input], output,
            Float("alpha", c.Alpha), Float("beta", c.Beta), Float("bias", c.Bias), Int("size", c.Size));
    }
}
