using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>
/// The merge layers in ONNX: Add (Add or Sum), Subtract, Multiply, Divide, Minimum and Maximum
/// (Sub, Mul, Div, Min, Max, broadcasting) and Concat, each of computed values.
/// </summary>
internal static class MergesOnnx
{
    /// <summary>
    /// Add or Sum, Sub, Mul, Div, Min and Max of computed values as <see cref="Add"/>, <see cref="Subtract"/>,
    /// <see cref="Multiply"/>, <see cref="Divide"/>, <see cref="Minimum"/> or <see cref="Maximum"/>;
    /// a Sum, Min or Max of one value passes it through. Sum, Min and Max of three or more values are one
    /// layer of all of them (Min and Max are variadic merges, as Add is, rather than chains of binary
    /// ones: one pass over the output per input, no intermediate values, and one node back on export).
    /// </summary>
    [OnnxImportMerge("Add", "Sum", "Sub", "Mul", "Div", "Min", "Max")]
    public static Layer? Arithmetic(OnnxNode node, IReadOnlyList<Shape> inputShapes)
    {
        if (inputShapes.Count == 1 && node.OpType is "Sum" or "Min" or "Max") return null;
        if (node.OpType is not ("Sum" or "Min" or "Max") && inputShapes.Count != 2)
            throw node.Refuse($"{inputShapes.Count} inputs, expected 2");
        var shape = inputShapes[0];
        foreach (var other in inputShapes.Skip(1))
            if (!Broadcast.TryGetShape(shape, other, out shape, out _))
                throw node.Refuse($"inputs {string.Join(" and ", inputShapes.Select(node.Show))} do not broadcast (numpy's rule: " +
                    "aligned at the last dimension, each pair of sizes equal or one of them 1)");
        return node.OpType switch
        {
            "Add" or "Sum" => new Add(),
            "Sub" => new Subtract(),
            "Mul" => new Multiply(),
            "Min" => new Minimum(),
            "Max" => new Maximum(),
            _ => new Divide(),
        };
    }

    /// <summary>Concat of computed values along a non-batch axis as <see cref="Layers.Concat"/>; a Concat of one value passes it through.</summary>
    [OnnxImportMerge("Concat")]
    public static Concat? Concat(OnnxNode node, IReadOnlyList<Shape> inputShapes)
    {
        if (inputShapes.Count == 1) return null;
        var proto = node.Proto;
        if (!proto.Has("axis")) throw new OnnxFormatException($"{node.Where}: the required attribute axis is missing.");
        long axis = proto.GetInt("axis", 1);
        var first = inputShapes[0];
        long resolved = axis < 0 ? axis + first.Rank : axis;
        if (resolved < 0 || resolved >= first.Rank) throw node.Refuse($"axis {axis} is out of range for input {node.Show(first)}");
        if (resolved == 0) throw node.Refuse("axis 0 joins along the batch; Convolve's Concat joins the axes after it");
        return new Concat((int)resolved);
    }

    /// <summary>Add of two values, Sum of more.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Add layer, IReadOnlyList<string> inputs, string output) =>
        graph.AddNode(inputs.Count == 2 ? "Add" : "Sum", layer.Name, inputs, output);

    /// <summary>Sub, Mul, Div, Min or Max (Min and Max of all the layer's inputs).</summary>
    [OnnxExport(typeof(Subtract), typeof(Multiply), typeof(Divide), typeof(Minimum), typeof(Maximum))]
    public static string Export(OnnxGraphBuilder graph, BinaryMerge layer, IReadOnlyList<string> inputs, string output) =>
        graph.AddNode(OnnxRule.Operator(layer.Operation), layer.Name, inputs, output);

    /// <summary>Concat along the layer's axis.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Concat layer, IReadOnlyList<string> inputs, string output) =>
        graph.AddNode("Concat", layer.Name, inputs, output, Int("axis", layer.Axis));
}
