using Convolve.Kernels;
using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>Reduce in ONNX: ReduceMean, ReduceSum, ReduceMax, ReduceMin and ReduceL2 both ways; GlobalMaxPool on import.</summary>
internal static class ReduceOnnx
{
    /// <summary>The ONNX operator of each reduction.</summary>
    public static string OperatorOf(ReduceKind kind) => kind switch
    {
        ReduceKind.Mean => "ReduceMean",
        ReduceKind.Sum => "ReduceSum",
        ReduceKind.Max => "ReduceMax",
        ReduceKind.Min => "ReduceMin",
        _ => "ReduceL2",
    };

    /// <summary>
    /// A Reduce* node as a <see cref="Reduce"/> layer. The axes are an attribute up to opset 17
    /// (ReduceSum: up to 12), then an optional input. Without axes every axis is reduced, the
    /// batch too, which is refused, unless noop_with_empty_axes makes the node pass its input through.
    /// </summary>
    [OnnxImport("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2")]
    public static Reduce? Import(OnnxNode node, Shape inputShape)
    {
        var kind = Enum.GetValues<ReduceKind>().Single(k => OperatorOf(k) == node.OpType);
        bool axesAsInput = node.OpType == "ReduceSum" ? node.Opset >= 13 : node.Opset >= 18;
        long[]? axes = axesAsInput ? (node.HasInput(1) ? node.Ints(1) : null) : node.Proto.GetInts("axes");
        bool keepDims = node.Proto.GetInt("keepdims", 1) != 0;
        if (axes is null or [])
        {
            if (node.Proto.GetInt("noop_with_empty_axes", 0) != 0) return null;
            throw node.Refuse($"no axes are given, so every axis of input {node.Show(inputShape)} is reduced, the batch too; " +
                "Convolve reduces each batch item (name the axes after the batch)");
        }
        var resolved = axes.Select(a => a < 0 ? a + inputShape.Rank : a).ToArray();
        if (resolved.Any(a => a < 0 || a >= inputShape.Rank))
            throw node.Refuse($"axes [{string.Join(", ", axes)}] are out of range for input {node.Show(inputShape)}");
        if (resolved.Contains(0))
            throw node.Refuse($"axes [{string.Join(", ", axes)}] include the batch axis 0; Convolve reduces each batch item");
        return OnnxRule.Construct(node, () => new Reduce(kind, [.. axes.Select(a => (int)a)], keepDims));
    }

    /// <summary>GlobalMaxPool: the largest value of each channel, [N, C, H, W] to [N, C, 1, 1].</summary>
    [OnnxImport("GlobalMaxPool")]
    public static Reduce GlobalMaxPool(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank != 4)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, C, H, W]; Convolve's global pooling is 2-D only");
        return new Reduce(ReduceKind.Max, [2, 3], keepDims: true);
    }

    /// <summary>The Reduce* node at opset 13: axes an attribute, except ReduceSum's, which are an input.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Reduce reduce, string input, Shape inputShape, string output)
    {
        long[] axes = [.. reduce.Axes.Select(a => (long)a)];
        var keepDims = Int("keepdims", reduce.KeepDims ? 1 : 0);
        return reduce.Kind == ReduceKind.Sum
            ? graph.AddNode("ReduceSum", reduce.Name, [input, graph.Int64Initializer($"{reduce.Name}.axes", axes)], output, keepDims)
            : graph.AddNode(OperatorOf(reduce.Kind), reduce.Name, [input], output, Ints("axes", axes), keepDims);
    }
}
