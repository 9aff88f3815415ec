using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>LogSoftmax in ONNX, both ways.</summary>
internal static class LogSoftmaxOnnx
{
    /// <summary>LogSoftmax over one axis; before opset 13 the flattened-axis rule of Softmax (see <see cref="SoftmaxOnnx.Import"/>).</summary>
    [OnnxImport("LogSoftmax")]
    public static LogSoftmax Import(OnnxNode node, Shape inputShape) => new(SoftmaxOnnx.Axis(node, inputShape));

    /// <summary>Opset 13's LogSoftmax along the layer's axis.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, LogSoftmax layer, string input, Shape inputShape, string output) =>
        graph.AddNode("LogSoftmax", layer.Name, [input], output, Int("axis", layer.Axis));
}
