using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>Identity in ONNX: no layer; the node's output is its input.</summary>
internal static class IdentityOnnx
{
    /// <summary>Nothing: the importer reads Identity's output as its input.</summary>
    [OnnxImport("Identity")]
    public static Layer? Import(OnnxNode node, Shape inputShape) => null;
}
