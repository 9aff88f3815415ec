using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>Dense in ONNX: Gemm both ways, and MatMul (with a following Add of a bias) on import.</summary>
internal static class DenseOnnx
{
    /// <summary>
    /// Why Gemm cannot be a <see cref="Dense"/> layer (Y = A B' + C with A the [N, K] input, B
    /// constant, C a constant vector), or null when it can.
    /// </summary>
    public static string? WhyGemmIsNotDense(OnnxNode node, Shape inputShape)
    {
        var n = node.Proto;
        if (inputShape.Rank != 2) return $"input {node.Show(inputShape)} is not [N, features]";
        if (n.GetInt("transA", 0) != 0) return "transA = 1 transposes the batch away";
        if (n.GetFloat("alpha", 1) != 1 || n.GetFloat("beta", 1) != 1)
            return $"alpha = {n.GetFloat("alpha", 1)}, beta = {n.GetFloat("beta", 1)}; Convolve's Dense computes x W^T + b (alpha = beta = 1)";
        if (!node.IsConstant(1)) return $"B ('{(node.HasInput(1) ? n.Input[1] : "")}') is not a constant";
        if (node.HasInput(2) && !node.IsConstant(2)) return $"C ('{n.Input[2]}') is not a constant";
        var b = OnnxTensor.GetDimensions(node.Constant(1));
        if (b.Length != 2) return $"B has {b.Length} dimensions, expected 2";
        bool transB = n.GetInt("transB", 0) != 0;
        int k = transB ? b[1] : b[0], outputs = transB ? b[0] : b[1];
        if (k != inputShape[1]) return $"B [{string.Join(", ", b)}]{(transB ? " transposed" : "")} does not take {inputShape[1]} features";
        if (node.HasInput(2) && !IsBiasVector(OnnxTensor.GetDimensions(node.Constant(2)), outputs))
            return $"C [{string.Join(", ", OnnxTensor.GetDimensions(node.Constant(2)))}] is not a bias of {outputs} values ([{outputs}] or [1, {outputs}])";
        return null;
    }

    // A bias broadcast along the batch: [F], [1, F], or a single value ([], [1], [1, 1]).
    private static bool IsBiasVector(int[] dims, int features)
    {
        int size = dims.Aggregate(1, (a, d) => a * d);
        return (size == features || size == 1) && dims.Take(Math.Max(0, dims.Length - 1)).All(d => d == 1);
    }

    /// <summary>Gemm as a <see cref="Dense"/> layer (weight B transposed when transB = 0); see <see cref="WhyGemmIsNotDense"/>.</summary>
    [OnnxImport("Gemm")]
    public static Dense Gemm(OnnxNode node, Shape inputShape)
    {
        if (WhyGemmIsNotDense(node, inputShape) is { } why) throw node.Refuse(why);
        var b = node.Float(1);
        bool transB = node.Proto.GetInt("transB", 0) != 0;
        var bias = node.HasInput(2) ? node.Float(2) : null;
        return DenseFrom(node, b, transB, bias);
    }

    /// <summary>MatMul of the [N, K] input by a constant [K, F] as a <see cref="Dense"/> layer without bias.</summary>
    [OnnxImport("MatMul")]
    public static Dense MatMul(OnnxNode node, Shape inputShape) => MatMul(node, inputShape, bias: null);

    /// <summary>
    /// MatMul of the [N, K] input by a constant [K, F], plus <paramref name="bias"/> (an Add that
    /// follows it) when given, as a <see cref="Dense"/> layer.
    /// </summary>
    public static Dense MatMul(OnnxNode node, Shape inputShape, Tensor? bias)
    {
        if (inputShape.Rank != 2)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, features]; Convolve's Dense multiplies matrices only");
        var b = node.Float(1);
        if (b.Shape.Rank != 2 || b.Shape[0] != inputShape[1])
            throw node.Refuse($"B {b.Shape} does not take {inputShape[1]} features ([{inputShape[1]}, F] expected)");
        if (bias is not null && !IsBiasVector(bias.Shape.Dims.ToArray(), b.Shape[1]))
            throw node.Refuse($"the added bias {bias.Shape} is not a vector of {b.Shape[1]} values");
        return DenseFrom(node, b, transposed: false, bias);
    }

    // Dense's weight is [out, in]: B itself when it is stored transposed, else B^T.
    private static Dense DenseFrom(OnnxNode node, Tensor b, bool transposed, Tensor? bias)
    {
        int k = transposed ? b.Shape[1] : b.Shape[0], outputs = transposed ? b.Shape[0] : b.Shape[1];
        var dense = new Dense(k, outputs, bias: bias is not null);
        var weight = dense.Weight.Value;
        for (int j = 0; j < outputs; j++)
            for (int p = 0; p < k; p++)
                weight[j, p] = transposed ? b[j, p] : b[p, j];
        if (bias is not null)
        {
            var target = dense.Bias!.Value.Span;
            if (bias.Length == 1) target.Fill(bias[0]);
            else bias.Span.CopyTo(target);
        }
        return dense;
    }

    /// <summary>Gemm: Y = X W^T + b with W stored as Convolve keeps it, [out, in] (transB = 1).</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Dense dense, string input, Shape inputShape, string output)
    {
        string n = dense.Name;
        var inputs = new List<string> { input, graph.Initializer($"{n}.weight", dense.Weight.Value) };
        if (dense.Bias is { } bias) inputs.Add(graph.Initializer($"{n}.bias", bias.Value));
        return graph.AddNode("Gemm", n, inputs, output, Int("transB", 1));
    }
}
