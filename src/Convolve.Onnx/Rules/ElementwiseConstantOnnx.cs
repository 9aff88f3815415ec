using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>ElementwiseConstant in ONNX: Add, Sub, Mul, Div, Min or Max of a computed value and a constant, both ways.</summary>
internal static class ElementwiseConstantOnnx
{
    /// <summary>
    /// Add, Sub, Mul, Div, Min or Max of the computed value and a constant (on either side) as an
    /// <see cref="ElementwiseConstant"/>, the constant broadcasting against the input. Min and Max
    /// of one computed value and two or more constants take the constants' Min or Max, computed
    /// once here, as the one constant.
    /// </summary>
    [OnnxImport("Add", "Sub", "Mul", "Div", "Min", "Max")]
    public static ElementwiseConstant Import(OnnxNode node, Shape inputShape)
    {
        if (node.OpType is "Min" or "Max" && node.Proto.Input.Count > 2) return Extremum(node, inputShape);
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
        return Layer(node, inputShape, operation, constant, constantOnLeft);
    }

    // Min or Max of the computed value and the constants' Min or Max; the constant stands on the right,
    // so the computed value takes the gradient at ties, as it does when it comes first.
    private static ElementwiseConstant Extremum(OnnxNode node, Shape inputShape)
    {
        var operation = node.OpType == "Min" ? BinaryOperation.Min : BinaryOperation.Max;
        Tensor? folded = null;
        for (int i = 0; i < node.Proto.Input.Count; i++)
        {
            if (!node.IsConstant(i)) continue;
            var next = node.Float(i);
            if (folded is null)
            {
                folded = next;
                continue;
            }
            if (!Broadcast.TryGetShape(folded.Shape, next.Shape, out var shape, out _))
                throw node.Refuse($"the constant {next.Shape} (input {i}) does not broadcast against the constants before it, {folded.Shape}");
            var result = new Tensor(shape);
            new Broadcast(folded.Shape, next.Shape).Apply(operation, folded.Span, next.Span, result.Span);
            folded = result;
        }
        return Layer(node, inputShape, operation, folded!, constantOnLeft: false);
    }

    private static ElementwiseConstant Layer(OnnxNode node, Shape inputShape, BinaryOperation operation, Tensor constant, bool constantOnLeft)
    {
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
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, ElementwiseConstant layer, string input, Shape inputShape, string output)
    {
        string constant = graph.Initializer($"{layer.Name}.constant", layer.Constant.Value);
        return graph.AddNode(OnnxRule.Operator(layer.Operation), layer.Name, layer.ConstantOnLeft ? [constant, input] : [input, constant], output);
    }
}
