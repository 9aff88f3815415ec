using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>Dropout in ONNX, both ways.</summary>
internal static class DropoutOnnx
{
    /// <summary>
    /// Dropout, an identity at inference. From opset 12 the ratio (default 0.5) and training_mode
    /// are inputs, before that ratio was an attribute.
    /// </summary>
    [OnnxImport("Dropout")]
    public static Dropout Import(OnnxNode node, Shape inputShape)
    {
        bool modern = node.Opset >= 12;
        float ratio = modern ? (node.HasInput(1) ? OnnxRule.Scalar(node, 1, "ratio") : 0.5f) : node.Proto.GetFloat("ratio", 0.5f);
        if (modern && node.HasInput(2) && OnnxTensor.ToBoolArray(node.Constant(2), node.Where) is [true, ..])
            throw node.Refuse("training_mode is true, so the graph drops values even at inference");
        return OnnxRule.Construct(node, () => new Dropout(ratio));
    }

    /// <summary>
    /// Without a training_mode input, Dropout is the identity; the ratio stays in the file so that
    /// an importer can restore the layer for fine-tuning.
    /// </summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Dropout dropout, string input, Shape inputShape, string output) =>
        graph.AddNode("Dropout", dropout.Name, [input, graph.Initializer($"{dropout.Name}.ratio", Tensor.FromArray([dropout.Rate]), scalar: true)], output);
}
