using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>GlobalAvgPool2D in ONNX: GlobalAveragePool, then Flatten unless the layer keeps [N, C, 1, 1].</summary>
internal static class GlobalAvgPool2DOnnx
{
    /// <summary>GlobalAveragePool of [N, C, H, W] as <see cref="GlobalAvgPool2D"/> keeping [N, C, 1, 1].</summary>
    [OnnxImport("GlobalAveragePool")]
    public static GlobalAvgPool2D Import(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank != 4)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, C, H, W]; Convolve's GlobalAvgPool2D is 2-D only");
        return new GlobalAvgPool2D(keepDims: true);
    }

    /// <summary>GlobalAveragePool, and for a layer that drops the 1x1 dimensions a Flatten at axis 1.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, GlobalAvgPool2D pool, string input, Shape inputShape, string output)
    {
        string n = pool.Name;
        if (pool.KeepDims) return graph.AddNode("GlobalAveragePool", n, [input], output);
        // ONNX's GlobalAveragePool keeps [N, C, 1, 1]; flatten to Convolve's [N, C].
        return graph.AddNode("Flatten", $"{n}/flatten", [graph.AddNode("GlobalAveragePool", n, [input], $"{n}/pooled")], output, Int("axis", 1));
    }
}
