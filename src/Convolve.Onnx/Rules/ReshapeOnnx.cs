using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>Reshape in ONNX: Reshape both ways, Squeeze and Unsqueeze on import.</summary>
internal static class ReshapeOnnx
{
    /// <summary>
    /// Reshape keeping the batch, which it does when the shape's first entry is 0 (copy the batch),
    /// -1 with every other entry fixed (the batch inferred), or the batch size the graph input
    /// fixes (<see cref="OnnxNode.FixedBatch"/>: every input the file accepts has that batch, so
    /// reshaping each item agrees with the file there, and generalises it to any batch). To
    /// [N, features] (second and last entry -1 or the features per item) it is a
    /// <see cref="Flatten"/>, otherwise a <see cref="Layers.Reshape"/> of each item.
    /// </summary>
    [OnnxImport("Reshape")]
    public static Layer Reshape(OnnxNode node, Shape inputShape)
    {
        var shape = node.Ints(1);
        int features = inputShape.Size / inputShape[0];
        bool allowZero = node.Proto.GetInt("allowzero", 0) != 0;
        bool keepsBatch = shape.Length >= 1 && !(allowZero && shape.Contains(0))
            && (shape[0] == 0 || (shape[0] == -1 && !shape[1..].Contains(-1)) || shape[0] == node.FixedBatch);
        if (keepsBatch && shape.Length == 2 && (shape[1] == -1 || shape[1] == features)) return new Flatten(1);
        if (!keepsBatch || shape.Any(d => d > int.MaxValue))
            throw node.Refuse($"shape [{string.Join(", ", shape)}]{(allowZero ? " with allowzero" : "")} on input {node.Show(inputShape)}; " +
                "Convolve reshapes each batch item, so the shape must start with 0 (copy the batch), the input's fixed batch size, " +
                "or -1 with every other dimension fixed");
        return OnnxRule.Construct(node, () => new Reshape([.. shape[1..].Select(d => (int)d)]));
    }

    /// <summary>
    /// Squeeze (drop size-1 axes; all of them when none are named) and Unsqueeze (insert size-1
    /// axes) as a <see cref="Layers.Reshape"/> to the resulting item shape. The axes are an
    /// attribute before opset 13, then an input; the batch axis stays.
    /// </summary>
    [OnnxImport("Squeeze", "Unsqueeze")]
    public static Reshape SqueezeOrUnsqueeze(OnnxNode node, Shape inputShape)
    {
        bool squeeze = node.OpType == "Squeeze";
        var axes = node.Opset >= 13 ? (node.HasInput(1) ? node.Ints(1) : null) : node.Proto.GetInts("axes");
        int rank = squeeze ? inputShape.Rank : inputShape.Rank + (axes?.Length ?? 0);
        if (!squeeze && axes is null) throw node.Refuse("no axes are given; Unsqueeze needs them");
        var resolved = axes?.Select(a => a < 0 ? a + rank : a).ToArray();
        if (resolved is not null && (resolved.Any(a => a < 0 || a >= rank) || resolved.Distinct().Count() != resolved.Length))
            throw node.Refuse($"axes [{string.Join(", ", axes!)}] are not distinct axes of a rank-{rank} {(squeeze ? "input" : "output")}");
        if (resolved is not null && resolved.Contains(0))
            throw node.Refuse($"axes [{string.Join(", ", axes!)}] include the batch axis; Convolve keeps the batch first");
        List<int> dims;
        if (squeeze)
        {
            var dropped = resolved ?? [.. Enumerable.Range(1, inputShape.Rank - 1).Where(a => inputShape[a] == 1).Select(a => (long)a)];
            var notOne = dropped.Where(a => inputShape[(int)a] != 1).ToList();
            if (notOne.Count > 0)
                throw node.Refuse($"axis {notOne[0]} of input {node.Show(inputShape)} has size {inputShape[(int)notOne[0]]}, not 1");
            dims = [.. Enumerable.Range(1, inputShape.Rank - 1).Where(a => !dropped.Contains(a)).Select(a => inputShape[a])];
        }
        else
        {
            dims = [];
            int next = 1;
            for (int a = 1; a < rank; a++) dims.Add(resolved!.Contains(a) ? 1 : inputShape[next++]);
        }
        return new Reshape([.. dims]);
    }

    /// <summary>Reshape to [0, ...target]: the batch is copied; the item entries keep their meaning (0 copies, -1 infers).</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Reshape reshape, string input, Shape inputShape, string output) =>
        graph.AddNode("Reshape", reshape.Name,
            [input, graph.Int64Initializer($"{reshape.Name}.shape", [0, .. reshape.TargetShape.Select(d => (long)d)])], output);
}
