using Convolve.Kernels;
using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>UnaryMath in ONNX: Exp, Log, Sqrt, Neg, Abs, Reciprocal, Pow with a constant exponent and Erf, both ways.</summary>
internal static class UnaryMathOnnx
{
    /// <summary>
    /// The node as a <see cref="UnaryMath"/> of its operator's kind. Pow needs a constant exponent
    /// with one value (a scalar, or a tensor of one element); a computed exponent or a constant
    /// base is refused.
    /// </summary>
    [OnnxImport("Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Pow", "Erf")]
    public static UnaryMath Import(OnnxNode node, Shape inputShape)
    {
        var kind = Enum.Parse<UnaryMathKind>(node.OpType);
        if (kind != UnaryMathKind.Pow) return new UnaryMath(kind);
        if (node.Proto.Input.Count != 2) throw node.Refuse($"{node.Proto.Input.Count} inputs, expected 2");
        if (node.IsConstant(0) || !node.IsConstant(1))
            throw node.Refuse("the exponent is a computed value; Convolve's Pow raises a computed value to a constant exponent");
        // Opset 12 on, the exponent may be an integer tensor (x ** 2 with an INT64 2).
        var proto = node.Constant(1);
        float[] exponent = OnnxTensor.GetDataType(proto) is Protos.TensorProto.Types.DataType.Int64 or Protos.TensorProto.Types.DataType.Int32
            ? [.. node.Ints(1).Select(v => (float)v)]
            : node.Float(1).ToArray();
        if (exponent.Length != 1 || proto.Dims.Count > inputShape.Rank)
            throw node.Refuse($"the exponent [{string.Join(", ", proto.Dims)}] is not a single value; Convolve's Pow takes one exponent for every element");
        return OnnxRule.Construct(node, () => new UnaryMath(kind, exponent[0]));
    }

    /// <summary>The operator of the layer's kind; Pow with its exponent as a scalar initializer (NAME.exponent).</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, UnaryMath layer, string input, Shape inputShape, string output)
    {
        if (layer.Kind != UnaryMathKind.Pow) return graph.AddNode(layer.Kind.ToString(), layer.Name, [input], output);
        string exponent = graph.Initializer($"{layer.Name}.exponent", Tensor.FromArray([layer.Exponent]), scalar: true);
        return graph.AddNode("Pow", layer.Name, [input, exponent], output);
    }
}
