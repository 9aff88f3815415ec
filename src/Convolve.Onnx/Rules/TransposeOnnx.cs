using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>Transpose in ONNX, both ways.</summary>
internal static class TransposeOnnx
{
    /// <summary>Transpose as a <see cref="Transpose"/>; the permutation (default: all axes reversed) must keep the batch first.</summary>
    [OnnxImport("Transpose")]
    public static Transpose Import(OnnxNode node, Shape inputShape)
    {
        var perm = node.Proto.GetInts("perm") ?? [.. Enumerable.Range(0, inputShape.Rank).Reverse().Select(a => (long)a)];
        if (perm.Length != inputShape.Rank)
            throw node.Refuse($"perm [{string.Join(", ", perm)}] does not permute the {inputShape.Rank} axes of input {node.Show(inputShape)}");
        if (perm[0] != 0)
            throw node.Refuse($"perm [{string.Join(", ", perm)}] moves the batch axis; Convolve's Transpose keeps it first");
        return OnnxRule.Construct(node, () => new Transpose([.. perm.Select(a => (int)a)]));
    }

    /// <summary>Transpose with the layer's permutation.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Transpose transpose, string input, Shape inputShape, string output) =>
        graph.AddNode("Transpose", transpose.Name, [input], output, Ints("perm", [.. transpose.Permutation.Select(a => (long)a)]));
}
