using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>Pad in ONNX, both ways; a zero Pad before a Conv or AveragePool may become that layer's padding instead (the import plan decides).</summary>
internal static class PadOnnx
{
    /// <summary>
    /// The H and W amounts of a Pad node that pads [N, C, H, W] with zeros (constant mode, value
    /// 0, nothing on N and C): padding that a Conv or AveragePool reading it can take over; null
    /// for any other Pad, which is a <see cref="Pad"/> layer of its own.
    /// </summary>
    public static Padding? ZeroPadding(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank != 4) return null;
        var (pads, mode, value) = Options(node, inputShape);
        if (mode != PadMode.Constant || value != 0) return null;
        if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads.Any(p => p < 0)) return null;
        return new Padding((int)pads[2], (int)pads[3], (int)pads[6], (int)pads[7]);
    }

    /// <summary>
    /// Pad as a <see cref="Pad"/> layer: modes constant, reflect and edge, non-negative
    /// pads, nothing on the batch axis. The pads are an attribute before opset 11 ("paddings" in
    /// opset 1), then an input, with an optional axes input from opset 18.
    /// </summary>
    [OnnxImport("Pad")]
    public static Pad Import(OnnxNode node, Shape inputShape)
    {
        var (pads, mode, value) = Options(node, inputShape);
        int rank = inputShape.Rank;
        if (pads[0] != 0 || pads[rank] != 0)
            throw node.Refuse($"pads [{string.Join(", ", pads)}] pad the batch axis; Convolve's Pad pads the axes after the batch");
        if (pads.Any(p => p < 0))
            throw node.Refuse($"pads [{string.Join(", ", pads)}] are negative (cropping); Convolve's Pad adds only");
        int[] itemPads = [.. pads[1..rank].Concat(pads[(rank + 1)..]).Select(p => (int)p)];
        return OnnxRule.Construct(node, () => new Pad(itemPads, mode, value));
    }

    // The pads of every axis (begins then ends, the batch included), the mode and the constant value.
    private static (long[] Pads, PadMode Mode, float Value) Options(OnnxNode node, Shape inputShape)
    {
        var n = node.Proto;
        int rank = inputShape.Rank;
        var mode = n.GetString("mode", "constant") switch
        {
            "constant" => PadMode.Constant,
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Edge,
            var other => throw node.Refuse($"mode '{other}'; Convolve pads in modes constant, reflect and edge"),
        };
        bool modern = node.Opset >= 11;
        long[] pads = modern ? node.Ints(1) : n.GetInts(node.Opset >= 2 ? "pads" : "paddings") ?? [];
        float value = modern ? (node.HasInput(2) ? OnnxRule.Scalar(node, 2, "constant_value") : 0) : n.GetFloat("value", 0);
        if (modern && node.HasInput(3))
        {
            // Pads for the listed axes only: spread them over all axes.
            var axes = node.Ints(3).Select(a => a < 0 ? a + rank : a).ToArray();
            if (pads.Length != 2 * axes.Length || axes.Any(a => a < 0 || a >= rank))
                throw node.Refuse($"pads [{string.Join(", ", pads)}] and axes [{string.Join(", ", node.Ints(3))}] do not fit input {node.Show(inputShape)}");
            var all = new long[2 * rank];
            for (int i = 0; i < axes.Length; i++)
            {
                all[axes[i]] = pads[i];
                all[axes[i] + rank] = pads[i + axes.Length];
            }
            pads = all;
        }
        if (pads.Length != 2 * rank)
            throw node.Refuse($"pads [{string.Join(", ", pads)}] have {pads.Length} values; " +
                $"input {node.Show(inputShape)} needs {2 * rank} (a begin and an end per axis)");
        return (pads, mode, value);
    }

    /// <summary>Pad: ONNX pads every axis, the batch by nothing ([0, begins..., 0, ends...]); a non-zero value is a scalar input.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Pad pad, string input, Shape inputShape, string output)
    {
        string n = pad.Name;
        int r = pad.Pads.Count / 2;
        long[] pads = [0, .. pad.Pads.Take(r).Select(p => (long)p), 0, .. pad.Pads.Skip(r).Select(p => (long)p)];
        var inputs = new List<string> { input, graph.Int64Initializer($"{n}.pads", pads) };
        if (pad.Mode == PadMode.Constant && pad.Value != 0) inputs.Add(graph.Initializer($"{n}.value", Tensor.FromArray([pad.Value]), scalar: true));
        return graph.AddNode("Pad", n, inputs, output, String("mode", pad.Mode.ToString().ToLowerInvariant()));
    }
}
