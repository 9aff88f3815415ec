using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>Softmax in ONNX, both ways.</summary>
internal static class SoftmaxOnnx
{
    /// <summary>
    /// Softmax over one axis (opset 13 on). Before opset 13 Softmax normalised the input flattened
    /// to 2-D at `axis` (default 1), which is one axis only when every later dimension is 1.
    /// </summary>
    [OnnxImport("Softmax")]
    public static Softmax Import(OnnxNode node, Shape inputShape) => new(Axis(node, inputShape));

    /// <summary>
    /// The one axis a Softmax or LogSoftmax node normalises, as Convolve writes it (-1 for the last):
    /// opset 13's axis (default -1), or before it the flattened-axis rule, refused unless the
    /// dimensions after the axis are all 1.
    /// </summary>
    internal static int Axis(OnnxNode node, Shape inputShape)
    {
        bool modern = node.Opset >= 13;
        long axis = node.Proto.GetInt("axis", modern ? -1 : 1);
        long resolved = axis < 0 ? axis + inputShape.Rank : axis;
        if (resolved < 0 || resolved >= inputShape.Rank)
            throw node.Refuse($"axis {axis} is out of range for input {node.Show(inputShape)}");
        // The last axis is written -1, Convolve's default, whichever way the file spells it.
        int convolveAxis = resolved == inputShape.Rank - 1 ? -1 : (int)resolved;
        if (modern) return convolveAxis;
        for (int d = (int)resolved + 1; d < inputShape.Rank; d++)
            if (inputShape[d] != 1)
                throw node.Refuse($"opset {node.Opset} {node.OpType} with axis {axis} normalises over dimensions {resolved} to {inputShape.Rank - 1} " +
                    $"of {node.Show(inputShape)} together; Convolve's {node.OpType} normalises one axis");
        return convolveAxis;
    }

    /// <summary>Opset 13's Softmax normalises along one axis, as Convolve's does.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Softmax softmax, string input, Shape inputShape, string output) =>
        graph.AddNode("Softmax", softmax.Name, [input], output, Int("axis", softmax.Axis));
}
