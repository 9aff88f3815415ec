using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>Flatten in ONNX, both ways (a Reshape to [N, features] imports as one too: <see cref="ReshapeOnnx"/>).</summary>
internal static class FlattenOnnx
{
    /// <summary>Flatten at axis 1 (keeping the batch); other axes would mix batch items.</summary>
    [OnnxImport("Flatten")]
    public static Flatten Import(OnnxNode node, Shape inputShape)
    {
        long axis = node.Proto.GetInt("axis", 1);
        if ((axis < 0 ? axis + inputShape.Rank : axis) != 1)
            throw node.Refuse($"axis {axis} on input {node.Show(inputShape)}; Convolve flattens at axis 1 only, keeping the batch dimension");
        return new Flatten(1);
    }

    /// <summary>Flatten at the layer's axis.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Flatten flatten, string input, Shape inputShape, string output) =>
        graph.AddNode("Flatten", flatten.Name, [input], output, Int("axis", flatten.Axis));
}
