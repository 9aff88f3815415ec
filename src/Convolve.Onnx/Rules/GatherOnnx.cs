using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>Gather with constant indices on a computed value, both ways (Gather on constants folds at import instead).</summary>
internal static class GatherOnnx
{
    /// <summary>
    /// Gather of a computed value at constant indices (a scalar, which drops the axis, or a tensor
    /// of any shape, which replaces it) as a <see cref="Layers.Gather"/>, along an axis after the
    /// batch. Negative indices count from the end of the axis; one out of range is refused, named.
    /// </summary>
    [OnnxImport("Gather")]
    public static Gather Import(OnnxNode node, Shape inputShape)
    {
        long axis = node.Proto.GetInt("axis", 0);
        long resolved = axis < 0 ? axis + inputShape.Rank : axis;
        if (resolved < 0 || resolved >= inputShape.Rank) throw node.Refuse($"axis {axis} is out of range for input {node.Show(inputShape)}");
        if (resolved == 0) throw node.Refuse("axis 0 gathers along the batch; the batch is free in Convolve, so Gather takes the axes after it");
        var constant = node.Constant(1);
        long[] indices = node.Ints(1);
        int[] shape = OnnxTensor.GetDimensions(constant, node.Where);
        int size = inputShape[(int)resolved];
        foreach (long index in indices)
            if (index < -size || index >= size)
                throw node.Refuse($"index {index} is out of range for axis {resolved} of input {node.Show(inputShape)} " +
                    $"(size {size}: 0 to {size - 1}, or -1 to {-size})");
        if (indices.Length == 0) throw node.Refuse("the indices are empty, which would leave the output empty; Convolve's values are never empty");
        return OnnxRule.Construct(node, () => new Gather((int)axis, [.. indices.Select(i => (int)i)], shape));
    }

    /// <summary>Gather along the layer's axis with the indices as an INT64 initializer (NAME.indices) of their shape.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Gather gather, string input, Shape inputShape, string output)
    {
        string indices = graph.Int64Initializer($"{gather.Name}.indices", [.. gather.Indices.Select(i => (long)i)]);
        var tensor = graph.Graph.Initializer[graph.Graph.Initializer.Count - 1];
        tensor.Dims.Clear();
        tensor.Dims.Add(gather.IndicesShape.Select(d => (long)d));
        return graph.AddNode("Gather", gather.Name, [input, indices], output, Int("axis", gather.Axis));
    }
}
