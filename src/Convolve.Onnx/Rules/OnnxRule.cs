using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>What several layers' import rules share: the 2-D window of Conv and the pools, scalar and vector inputs, refusals.</summary>
internal static class OnnxRule
{
    /// <summary>
    /// The spatial options Conv and the pools share, as 2-D values. ONNX's pads are
    /// [x1_begin, x2_begin, x1_end, x2_end], i.e. [top, left, bottom, right].
    /// </summary>
    /// <param name="weightKernel">The kernel size from the weight (Conv), or null where kernel_shape is required (pools).</param>
    /// <param name="padded">Zero padding of a Pad node before this one, folded into this node's padding.</param>
    /// <param name="node">The node, with its constants.</param>
    /// <param name="inputShape">The shape of the computed input, batch first.</param>
    public static (int KH, int KW, int SH, int SW, int DH, int DW, Padding Padding) Window(OnnxNode node, Shape inputShape, (int H, int W)? weightKernel,
        Padding padded = default)
    {
        if (inputShape.Rank != 4)
            throw node.Refuse($"{inputShape.Rank - 2} spatial dimension(s) (input {node.Show(inputShape)}); Convolve has 2-D convolution and pooling only");
        var n = node.Proto;
        var kernel = n.GetInts("kernel_shape")
            ?? (weightKernel is { } k ? [k.H, k.W] : throw new OnnxFormatException($"{node.Where}: the required attribute kernel_shape is missing."));
        var strides = n.GetInts("strides") ?? [1, 1];
        var dilations = n.GetInts("dilations") ?? [1, 1];
        var pads = n.GetInts("pads") ?? [0, 0, 0, 0];
        RequireLength(node, "kernel_shape", kernel, 2);
        RequireLength(node, "strides", strides, 2);
        RequireLength(node, "dilations", dilations, 2);
        RequireLength(node, "pads", pads, 4);
        int kh = (int)kernel[0], kw = (int)kernel[1], sh = (int)strides[0], sw = (int)strides[1], dh = (int)dilations[0], dw = (int)dilations[1];
        if (weightKernel is { } w && (w.H != kh || w.W != kw))
            throw node.Refuse($"kernel_shape [{kh}, {kw}] does not match the weight's {w.H}x{w.W} kernel");
        var padding = n.GetString("auto_pad", "NOTSET") switch
        {
            "NOTSET" => new Padding((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]),
            "VALID" => Padding.Valid,
            "SAME_UPPER" => Padding.Same,
            // SAME_LOWER pads as much as SAME_UPPER but puts the odd pixel at the beginning: take
            // Convolve's SAME_UPPER amounts for this input and swap begin and end.
            "SAME_LOWER" => SameLower(inputShape, kh, kw, sh, sw, dh, dw),
            var other => throw node.Refuse($"auto_pad '{other}' is not an ONNX value (NOTSET, SAME_UPPER, SAME_LOWER, VALID)"),
        };
        if (padded != Padding.Valid)
        {
            // SAME amounts depend on the padded size, which this layer does not see.
            if (padding.IsSame || n.GetString("auto_pad", "NOTSET") == "SAME_LOWER")
                throw node.Refuse("auto_pad SAME after a Pad node; Convolve folds a Pad only into explicit pads");
            padding = new Padding(padding.Top + padded.Top, padding.Left + padded.Left, padding.Bottom + padded.Bottom, padding.Right + padded.Right);
        }
        return (kh, kw, sh, sw, dh, dw, padding);
    }

    private static void RequireLength(OnnxNode node, string attribute, long[] values, int length)
    {
        if (values.Length != length)
            throw node.Refuse($"attribute {attribute} has {values.Length} values [{string.Join(", ", values)}], expected {length} for a 2-D {node.OpType}");
    }

    private static Padding SameLower(Shape inputShape, int kh, int kw, int sh, int sw, int dh, int dw)
    {
        var (top, left, bottom, right) = Padding.Same.Resolve(inputShape[2], inputShape[3], kh, kw, sh, sw, dh, dw);
        return new Padding(bottom, right, top, left);
    }

    /// <summary>Constant input <paramref name="input"/> as its single value.</summary>
    public static float Scalar(OnnxNode node, int input, string what)
    {
        var t = node.Float(input);
        if (t.Length != 1) throw node.Refuse($"{what} {t.Shape} is not a single value");
        return t[0];
    }

    /// <summary>Copies a constant vector input into a parameter, checking its number of values.</summary>
    public static void CopyVector(OnnxNode node, int input, string what, Tensor target)
    {
        var t = node.Float(input);
        if (t.Length != target.Length)
            throw node.Refuse($"{what} {t.Shape} has {t.Length} values, expected {target.Length}");
        t.Span.CopyTo(target.Span);
    }

    /// <summary>Calls a layer constructor; its <see cref="ArgumentException"/> (a bad option) becomes the node's refusal.</summary>
    public static T Construct<T>(OnnxNode node, Func<T> create)
    {
        try { return create(); }
        catch (ArgumentException e) { throw node.Refuse(e.Message.TrimEnd('.')); }
    }

    /// <summary>The ONNX operator of an element-wise <paramref name="operation"/>.</summary>
    public static string Operator(BinaryOperation operation) => operation switch
    {
        BinaryOperation.Add => "Add",
        BinaryOperation.Subtract => "Sub",
        BinaryOperation.Multiply => "Mul",
        BinaryOperation.Min => "Min",
        BinaryOperation.Max => "Max",
        _ => "Div",
    };
}
