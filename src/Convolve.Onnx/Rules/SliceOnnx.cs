using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>Slice in ONNX: Slice both ways, Split (one Slice per output) on import.</summary>
internal static class SliceOnnx
{
    /// <summary>
    /// Slice of one non-batch axis with step 1 as a <see cref="Layers.Slice"/>. Starts, ends and
    /// axes are attributes before opset 10, then inputs (with optional steps).
    /// </summary>
    [OnnxImport("Slice")]
    public static Slice Slice(OnnxNode node, Shape inputShape)
    {
        var n = node.Proto;
        bool modern = node.Opset >= 10;
        long[] starts = modern ? node.Ints(1) : n.GetInts("starts") ?? [];
        long[] ends = modern ? node.Ints(2) : n.GetInts("ends") ?? [];
        long[] axes = (modern ? (node.HasInput(3) ? node.Ints(3) : null) : n.GetInts("axes")) ?? [.. Enumerable.Range(0, starts.Length).Select(a => (long)a)];
        long[] steps = modern && node.HasInput(4) ? node.Ints(4) : [.. starts.Select(_ => 1L)];
        if (starts.Length != 1 || ends.Length != 1 || axes.Length != 1 || steps.Length != 1)
            throw node.Refuse($"slices {starts.Length} axes at once; Convolve's Slice takes a range of one axis");
        if (steps[0] != 1) throw node.Refuse($"step {steps[0]}; Convolve's Slice takes every element of its range (step 1)");
        long axis = axes[0] < 0 ? axes[0] + inputShape.Rank : axes[0];
        if (axis < 0 || axis >= inputShape.Rank) throw node.Refuse($"axis {axes[0]} is out of range for input {node.Show(inputShape)}");
        if (axis == 0) throw node.Refuse("axis 0 slices the batch; Convolve slices the axes after it");
        static int Clamp(long v) => (int)Math.Clamp(v, int.MinValue, int.MaxValue);
        return new Slice((int)axis, Clamp(starts[0]), Clamp(ends[0]));
    }

    /// <summary>Split along a non-batch axis as one <see cref="Layers.Slice"/> per output (null for an output the graph does not read).</summary>
    /// <param name="read">Whether each output is read.</param>
    /// <param name="node">The node, with its constants.</param>
    /// <param name="inputShape">The shape of the computed input, batch first.</param>
    [OnnxImportSplit("Split")]
    public static Layer?[] Split(OnnxNode node, Shape inputShape, bool[] read)
    {
        var n = node.Proto;
        long axis = n.GetInt("axis", 0);
        int resolved = (int)(axis < 0 ? axis + inputShape.Rank : axis);
        if (resolved < 0 || resolved >= inputShape.Rank)
            throw node.Refuse($"axis {axis} is out of range for input {node.Show(inputShape)}");
        if (resolved == 0) throw node.Refuse("axis 0 splits the batch; Convolve slices the axes after the batch");
        int size = inputShape[resolved], parts = n.Output.Count;
        long[] split = node.Opset >= 13 ? (node.HasInput(1) ? node.Ints(1) : []) : n.GetInts("split") ?? [];
        if (split.Length == 0)
        {
            // Equal parts; from opset 18 num_outputs may leave a smaller last one.
            int each = (size + parts - 1) / parts;
            split = [.. Enumerable.Range(0, parts).Select(i => (long)Math.Clamp(size - i * each, 0, each))];
        }
        if (split.Length != parts || split.Sum() != size || split.Any(s => s < 0))
            throw node.Refuse($"split [{string.Join(", ", split)}] does not divide axis {resolved} of input {node.Show(inputShape)} into {parts} parts");
        var slices = new Layer?[parts];
        long start = 0;
        for (int i = 0; i < parts; i++)
        {
            if (read[i])
            {
                if (split[i] == 0) throw node.Refuse($"output {i} is empty; Convolve's values are never empty");
                slices[i] = new Slice(resolved, (int)start, (int)(start + split[i]));
            }
            start += split[i];
        }
        return slices;
    }

    /// <summary>Slice with starts, ends and axes initializers.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Slice slice, string input, Shape inputShape, string output)
    {
        string n = slice.Name;
        return graph.AddNode("Slice", n,
            [input, graph.Int64Initializer($"{n}.starts", [slice.Start]), graph.Int64Initializer($"{n}.ends", [slice.End]),
             graph.Int64Initializer($"{n}.axes", [slice.Axis])],
            output);
    }
}
