using Convolve.Kernels;
using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx;

// The reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceL2 and GlobalMaxPool.
public static partial class OnnxLayers
{
    /// <summary>The ONNX reduction operators and what each computes.</summary>
    public static IReadOnlyDictionary<string, ReduceKind> Reductions { get; } = new Dictionary<string, ReduceKind>
    {
        ["ReduceMean"] = ReduceKind.Mean, ["ReduceSum"] = ReduceKind.Sum, ["ReduceMax"] = ReduceKind.Max,
        ["ReduceMin"] = ReduceKind.Min, ["ReduceL2"] = ReduceKind.L2,
    };

    /// <summary>
    /// A Reduce* node as a <see cref="Reduce"/> layer. The axes are an attribute up to opset 17
    /// (ReduceSum: up to 12), then an optional input; without axes every axis is reduced, which
    /// includes the batch and is refused, unless noop_with_empty_axes makes the node pass its input through.
    /// </summary>
    public static Layer? Reduction(OnnxNode node, Shape inputShape)
    {
        var kind = Reductions[node.OpType];
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
        return Construct(node, () => new Reduce(kind, [.. resolved.Select(a => (int)a)], keepDims));
    }

    /// <summary>GlobalMaxPool: the largest value of each channel, [N, C, H, W] to [N, C, 1, 1].</summary>
    public static Reduce GlobalMaxPool(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank != 4)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, C, H, W]; Convolve has 2-D global pooling only");
        return new Reduce(ReduceKind.Max, [2, 3], keepDims: true);
    }
}
