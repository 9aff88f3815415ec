using Convolve.Onnx.Protos;
using Convolve.Tensors;

namespace Convolve.Onnx;

/// <summary>
/// One node as the importer reads it: the message, the operator-set version it is read under,
/// and the constant tensors (initializers and Constant nodes' outputs) its weight inputs come from.
/// </summary>
/// <param name="symbolicBatch">Whether shapes passed with this node carry a stand-in batch size (the importer's 1), shown as N in messages.</param>
/// <param name="proto">The node's message.</param>
/// <param name="source">The model's file name (or "&lt;memory&gt;"), for messages.</param>
/// <param name="opset">The default domain's operator-set version the model declares.</param>
/// <param name="constants">The constant tensors by value name.</param>
internal sealed class OnnxNode(NodeProto proto, string source, long opset, IReadOnlyDictionary<string, TensorProto> constants, bool symbolicBatch = false)
{
    /// <summary>The node's message.</summary>
    public NodeProto Proto => proto;

    /// <summary>
    /// The batch size the graph input declares when it is a fixed number (ONNX's own test models
    /// fix it), else null. Values computed from the input then have that batch too.
    /// </summary>
    public long? FixedBatch { get; init; }

    /// <summary>The operator, e.g. "Conv".</summary>
    public string OpType => proto.OpType;

    /// <summary>The version of the standard operator set the node is read under.</summary>
    public long Opset => opset;

    /// <summary>Where the model came from (a file path), for messages.</summary>
    public string Source => source;

    /// <summary>"model.onnx: Conv node 'conv1'", the start of every message about the node.</summary>
    public string Where => $"{source}: {proto.Describe()}";

    /// <summary>Whether input <paramref name="i"/> is given (ONNX omits optional inputs with an empty name).</summary>
    public bool HasInput(int i) => i < proto.Input.Count && proto.Input[i].Length > 0;

    /// <summary>Whether input <paramref name="i"/> is given and is a constant.</summary>
    public bool IsConstant(int i) => HasInput(i) && constants.ContainsKey(proto.Input[i]);

    /// <summary>The constant tensor of input <paramref name="i"/>; refuses the node when that input is computed.</summary>
    public TensorProto Constant(int i)
    {
        if (!HasInput(i)) throw Refuse($"input {i} is missing");
        return constants.TryGetValue(proto.Input[i], out var tensor) ? tensor
            : throw Refuse($"input {i} ('{proto.Input[i]}') is computed by the graph; Convolve needs it to be a constant (an initializer or a Constant node)");
    }

    /// <summary>Input <paramref name="i"/> as a float32 tensor (a copy).</summary>
    public Tensor Float(int i) => OnnxTensor.ToTensor(Constant(i), $"{Where} input '{proto.Input[i]}'");

    /// <summary>Input <paramref name="i"/> as integers (INT64 or INT32).</summary>
    public long[] Ints(int i) => OnnxTensor.ToInt64Array(Constant(i), $"{Where} input '{proto.Input[i]}'");

    /// <summary>A shape for a message: "[N, 3, 4, 5]" when the batch is symbolic, else as it is.</summary>
    public string Show(Shape shape) =>
        symbolicBatch && shape.Rank > 0 ? $"[N{string.Concat(shape.Dims[1..].ToArray().Select(d => $", {d}"))}]" : shape.ToString();

    /// <summary>The refusal of this node, with the reason: "{source}: {Op} node '{name}': {why}."</summary>
    public OnnxImportException Refuse(string why) => new($"{Where}: {why}.");
}
