using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>ConvTranspose2D in ONNX: the ConvTranspose operator (2-D), both ways.</summary>
internal static class ConvTranspose2DOnnx
{
    /// <summary>
    /// ConvTranspose (weight [C, K/group, kH, kW] and optional bias [K], both constants) as a
    /// <see cref="ConvTranspose2D"/>. The pads come from <c>pads</c>, or from <c>auto_pad</c> or
    /// <c>output_shape</c> for this input's size by ONNX's formula
    /// <c>total = s*(in-1) + output_padding + d*(k-1) + 1 - out</c> (SAME: <c>out = in*s</c>), split with
    /// the odd one at the end for SAME_UPPER and at the beginning otherwise. An output larger than the
    /// windows reach (a negative total) grows at the end, as output padding, as in ONNX Runtime.
    /// </summary>
    [OnnxImport("ConvTranspose")]
    public static ConvTranspose2D Import(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank != 4)
            throw node.Refuse($"{inputShape.Rank - 2} spatial dimension(s) (input {node.Show(inputShape)}); Convolve's ConvTranspose is 2-D only");
        if (!node.IsConstant(1))
            throw node.Refuse($"the weight (input 1, '{(node.HasInput(1) ? node.Proto.Input[1] : "")}') is computed by the graph; " +
                "Convolve needs it to be a constant (an initializer or a Constant node)");
        var w = node.Float(1);
        if (w.Shape.Rank != 4)
            throw node.Refuse($"weight {w.Shape} is not [C, K/group, kH, kW]");
        var n = node.Proto;
        int groups = (int)n.GetInt("group", 1);
        int kh = w.Shape[2], kw = w.Shape[3];
        var kernel = Pair(node, "kernel_shape", [kh, kw]);
        if (kernel[0] != kh || kernel[1] != kw)
            throw node.Refuse($"kernel_shape [{kernel[0]}, {kernel[1]}] does not match the weight's {kh}x{kw} kernel");
        var strides = Pair(node, "strides", [1, 1]);
        var dilations = Pair(node, "dilations", [1, 1]);
        var outputPadding = Pair(node, "output_padding", [0, 0]);
        var pads = n.GetInts("pads") ?? [0, 0, 0, 0];
        if (pads.Length != 4)
            throw node.Refuse($"attribute pads has {pads.Length} values [{string.Join(", ", pads)}], expected 4 for a 2-D ConvTranspose");
        int[] begin = [(int)pads[0], (int)pads[1]], end = [(int)pads[2], (int)pads[3]];
        string autoPad = n.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
            throw node.Refuse($"auto_pad '{autoPad}' is not an ONNX value (NOTSET, SAME_UPPER, SAME_LOWER, VALID)");
        var outputShape = n.GetInts("output_shape");
        if (outputShape is { Length: 4 }) outputShape = outputShape[2..]; // some exporters write N and C too
        if (outputShape is not null && outputShape.Length != 2)
            throw node.Refuse($"attribute output_shape has {outputShape.Length} values [{string.Join(", ", outputShape)}], expected 2 for a 2-D ConvTranspose");
        if (autoPad == "VALID") (begin, end) = ([0, 0], [0, 0]);
        if (outputShape is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            for (int axis = 0; axis < 2; axis++)
            {
                int size = inputShape[axis + 2];
                int target = outputShape is null ? size * strides[axis] : (int)outputShape[axis];
                int total = strides[axis] * (size - 1) + outputPadding[axis] + dilations[axis] * (kernel[axis] - 1) + 1 - target;
                if (total < 0)
                {
                    // An output larger than the windows reach: ONNX Runtime pads nothing and leaves
                    // the rows and columns past the last window at the bias, as output padding does.
                    (begin[axis], end[axis]) = (0, 0);
                    outputPadding[axis] -= total;
                    continue;
                }
                int half = total / 2;
                (begin[axis], end[axis]) = autoPad == "SAME_UPPER" ? (half, total - half) : (total - half, half);
            }
        }
        bool hasBias = node.HasInput(2);
        var layer = OnnxRule.Construct(node, () => new ConvTranspose2D(new ConvTranspose2DConfig(inputShape[1], w.Shape[1] * groups, kh, kw,
            strides[0], strides[1], new Padding(begin[0], begin[1], end[0], end[1]), outputPadding[0], outputPadding[1],
            dilations[0], dilations[1], groups, hasBias)));
        if (layer.Weight.Shape != w.Shape)
            throw node.Refuse($"weight {w.Shape} does not fit an input of {inputShape[1]} channels in {groups} group(s) " +
                $"(expected [{inputShape[1]}, K/group, {kh}, {kw}])");
        w.Span.CopyTo(layer.Weight.Value.Span);
        if (hasBias) OnnxRule.CopyVector(node, 2, "bias", layer.Bias!.Value);
        return layer;
    }

    private static int[] Pair(OnnxNode node, string attribute, int[] defaults)
    {
        var values = node.Proto.GetInts(attribute);
        if (values is null) return defaults;
        if (values.Length != 2)
            throw node.Refuse($"attribute {attribute} has {values.Length} values [{string.Join(", ", values)}], expected 2 for a 2-D ConvTranspose");
        return [(int)values[0], (int)values[1]];
    }

    /// <summary>ConvTranspose with explicit pads and output padding, the weight and bias as initializers.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, ConvTranspose2D layer, string input, Shape inputShape, string output)
    {
        string n = layer.Name;
        var c = layer.Config;
        var inputs = new List<string> { input, graph.Initializer($"{n}.weight", layer.Weight.Value) };
        if (layer.Bias is { } bias) inputs.Add(graph.Initializer($"{n}.bias", bias.Value));
        return graph.AddNode("ConvTranspose", n, inputs, output,
            Ints("kernel_shape", c.KernelH, c.KernelW), Ints("strides", c.StrideH, c.StrideW),
            Ints("pads", c.Padding.Top, c.Padding.Left, c.Padding.Bottom, c.Padding.Right),
            Ints("output_padding", c.OutputPaddingH, c.OutputPaddingW),
            Ints("dilations", c.DilationH, c.DilationW), Int("group", c.Groups));
    }
}
