using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>PReLU in ONNX: PRelu with its slope as a constant input, both ways.</summary>
internal static class PReLUOnnx
{
    /// <summary>
    /// PRelu as <see cref="PReLU"/>. The slope broadcasts against the whole input [N, ...] aligned at
    /// the right; leading sizes of 1 change nothing there and are dropped (a slope [1, C, 1, 1] is
    /// [C, 1, 1], [1, 1, 1, 1] is [1]), and a slope that varies along the batch is refused.
    /// </summary>
    [OnnxImport("PRelu")]
    public static PReLU Import(OnnxNode node, Shape inputShape)
    {
        var slope = node.Float(1);
        var dims = slope.Shape.Dims.ToArray().ToList();
        while (dims.Count > 1 && dims[0] == 1) dims.RemoveAt(0);
        if (dims.Count == 0) dims.Add(1);
        if (dims.Count >= inputShape.Rank)
            throw node.Refuse($"slope {slope.Shape} varies along the batch of input {node.Show(inputShape)}; " +
                "Convolve's PReLU shares its slope across the batch");
        var layer = OnnxRule.Construct(node, () => new PReLU([.. dims]));
        slope.Span.CopyTo(layer.Slope.Value.Span);
        return layer;
    }

    /// <summary>PRelu with the slope as an initializer of its own shape (ONNX broadcasts it against the input).</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, PReLU layer, string input, Shape inputShape, string output) =>
        graph.AddNode("PRelu", layer.Name, [input, graph.Initializer($"{layer.Name}.weight", layer.Slope.Value)], output);
}
