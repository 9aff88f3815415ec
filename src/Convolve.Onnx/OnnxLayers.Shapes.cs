using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx;

// The shape operators: Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Slice, Split and Pad.
public static partial class OnnxLayers
{
    /// <summary>Flatten at axis 1 (keeping the batch); other axes would mix batch items.</summary>
    public static Flatten Flatten(OnnxNode node, Shape inputShape)
    {
        long axis = node.Proto.GetInt("axis", 1);
        if ((axis < 0 ? axis + inputShape.Rank : axis) != 1)
            throw node.Refuse($"axis {axis} on input {node.Show(inputShape)}; Convolve flattens at axis 1 only, keeping the batch dimension");
        return new Flatten(1);
    }

    /// <summary>
    /// Reshape keeping the batch: to [N, features] it is a <see cref="Layers.Flatten"/> (shape
    /// [0, -1], [-1, F] or [0, F] with F the features per item), otherwise a
    /// <see cref="Layers.Reshape"/> of each item, when the shape's first entry is 0 (copy the
    /// batch), -1 with every other entry fixed (the batch inferred), or the batch size the graph
    /// input fixes (<see cref="OnnxNode.FixedBatch"/>: every input the file accepts has that batch,
    /// so reshaping each item agrees with it there, and generalises it to any batch).
    /// </summary>
    public static Layer Reshape(OnnxNode node, Shape inputShape)
    {
        var shape = node.Ints(1);
        int features = inputShape.Size / inputShape[0];
        bool allowZero = node.Proto.GetInt("allowzero", 0) != 0;
        bool flattens = shape.Length == 2 && !allowZero
            && ((shape[0] == 0 && (shape[1] == -1 || shape[1] == features)) || (shape[0] == -1 && shape[1] == features));
        if (flattens) return new Flatten(1);
        bool keepsBatch = shape.Length >= 1 && !(allowZero && shape.Contains(0))
            && (shape[0] == 0 || (shape[0] == -1 && !shape[1..].Contains(-1)) || shape[0] == node.FixedBatch);
        if (!keepsBatch || shape.Any(d => d > int.MaxValue))
            throw node.Refuse($"shape [{string.Join(", ", shape)}]{(allowZero ? " with allowzero" : "")} on input {node.Show(inputShape)}; " +
                "Convolve reshapes each batch item, so the shape must start with 0 (copy the batch), the input's fixed batch size, or -1 with every other dimension fixed");
        return Construct(node, () => new Reshape([.. shape[1..].Select(d => (int)d)]));
    }

    /// <summary>Transpose as a <see cref="Layers.Transpose"/>; the permutation (default: all axes reversed) must keep the batch first.</summary>
    public static Transpose Transpose(OnnxNode node, Shape inputShape)
    {
        var perm = node.Proto.GetInts("perm") ?? [.. Enumerable.Range(0, inputShape.Rank).Reverse().Select(a => (long)a)];
        if (perm.Length != inputShape.Rank)
            throw node.Refuse($"perm [{string.Join(", ", perm)}] does not permute the {inputShape.Rank} axes of input {node.Show(inputShape)}");
        if (perm[0] != 0)
            throw node.Refuse($"perm [{string.Join(", ", perm)}] moves the batch axis; Convolve's Transpose keeps it first");
        return Construct(node, () => new Transpose([.. perm.Select(a => (int)a)]));
    }

    /// <summary>
    /// Squeeze (drop size-1 axes; all of them when none are named) and Unsqueeze (insert size-1
    /// axes) as a <see cref="Layers.Reshape"/> to the resulting item shape. The axes are an
    /// attribute before opset 13, then an input; the batch axis stays.
    /// </summary>
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

    /// <summary>
    /// Slice of one non-batch axis with step 1 as a <see cref="Layers.Slice"/>. Starts, ends and
    /// axes are attributes before opset 10, then inputs (with optional steps).
    /// </summary>
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

    /// <summary>Split along a non-batch axis as one <see cref="Slice"/> per output (null for an output the graph does not read).</summary>
    /// <param name="read">Whether each output is read.</param>
    public static Slice?[] Split(OnnxNode node, Shape inputShape, bool[] read)
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
        var slices = new Slice?[parts];
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

    /// <summary>
    /// The H and W amounts of a Pad node that pads [N, C, H, W] with zeros (constant mode, value
    /// 0, nothing on N and C): padding that a Conv or AveragePool reading it can take over; null
    /// for any other Pad, which is a <see cref="Layers.Pad"/> layer of its own.
    /// </summary>
    public static Padding? ZeroPadding(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank != 4) return null;
        var (pads, mode, value) = PadOptions(node, inputShape);
        if (mode != PadMode.Constant || value != 0) return null;
        if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads.Any(p => p < 0)) return null;
        return new Padding((int)pads[2], (int)pads[3], (int)pads[6], (int)pads[7]);
    }

    /// <summary>
    /// Pad as a <see cref="Layers.Pad"/> layer: modes constant, reflect and edge, non-negative
    /// pads, nothing on the batch axis. The pads are an attribute before opset 11 ("paddings" in
    /// opset 1), then an input, with an optional axes input from opset 18.
    /// </summary>
    public static Pad Pad(OnnxNode node, Shape inputShape)
    {
        var (pads, mode, value) = PadOptions(node, inputShape);
        int rank = inputShape.Rank;
        if (pads[0] != 0 || pads[rank] != 0)
            throw node.Refuse($"pads [{string.Join(", ", pads)}] pad the batch axis; Convolve's Pad pads the axes after the batch");
        if (pads.Any(p => p < 0))
            throw node.Refuse($"pads [{string.Join(", ", pads)}] are negative (cropping); Convolve's Pad adds only");
        int[] itemPads = [.. pads[1..rank].Concat(pads[(rank + 1)..]).Select(p => (int)p)];
        return Construct(node, () => new Pad(itemPads, mode, value));
    }

    // The pads of every axis (begins then ends, the batch included), the mode and the constant value.
    private static (long[] Pads, PadMode Mode, float Value) PadOptions(OnnxNode node, Shape inputShape)
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
        float value = modern ? (node.HasInput(2) ? Scalar(node, 2, "constant_value") : 0) : n.GetFloat("value", 0);
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
            throw node.Refuse($"pads [{string.Join(", ", pads)}] have {pads.Length} values; input {node.Show(inputShape)} needs {2 * rank} (a begin and an end per axis)");
        return (pads, mode, value);
    }
}
