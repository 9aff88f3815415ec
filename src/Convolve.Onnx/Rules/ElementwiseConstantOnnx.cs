using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>ElementwiseConstant in ONNX: Add, Sub, Mul, Div, Min or Max of a computed value and a constant, both ways.</summary>
internal static class ElementwiseConstantOnnx
{
    /// <summary>
    /// Add, Sub, Mul, Div, Min or Max of the computed value and a constant (on either side) as an
    /// <see cref="ElementwiseConstant"/>, the constant broadcasting against the input.
    /// </summary>
    public static ElementwiseConstant Import(OnnxNode node, Shape inputShape)
    {
        if (node.Proto.Input.Count != 2) throw node.Refuse($"{node.Proto.Input.Count} inputs, expected 2");
        var operation = node.OpType switch
        {
            "Add" => BinaryOperation.Add,
            "Sub" => BinaryOperation.Subtract,
            "Mul" => BinaryOperation.Multiply,
            "Min" => BinaryOperation.Min,
            "Max" => BinaryOperation.Max,
            _ => BinaryOperation.Divide,
        };
        bool constantOnLeft = node.IsConstant(0);
        var constant = node.Float(constantOnLeft ? 0 : 1);
        var c = constant.Shape;
        if (c.Rank > inputShape.Rank || (c.Rank == inputShape.Rank && c.Rank > 0 && c[0] != 1))
            throw node.Refuse($"the constant {c} has {(c.Rank > inputShape.Rank ? "more dimensions than" : "as many dimensions as")} " +
                $"input {node.Show(inputShape)}" +
                $"{(c.Rank == inputShape.Rank ? " without a leading 1" : "")}; Convolve broadcasts a constant over the batch");
        if (!Broadcast.TryGetShape(inputShape, c, out _, out _))
            throw node.Refuse($"the constant {c} does not broadcast against input {node.Show(inputShape)} " +
                "(numpy's rule: aligned at the last dimension, each pair of sizes equal or one of them 1)");
        return new ElementwiseConstant(operation, constant, constantOnLeft);
    }

    /// <summary>Add, Sub, Mul, Div, Min or Max with the constant as an initializer (NAME.constant) on its side.</summary>
    public static string Export(OnnxGraphBuilder graph, ElementwiseConstant layer, string input, Shape inputShape, string output)
    {
        string constant = graph.Initializer($"{layer.Name}.constant", layer.Constant.Value);
        return graph.AddNode(OnnxRule.Operator(layer.Operation), layer.Name, layer.ConstantOnLeft ? [constant, input] : [input, constant], output);
    }
}
