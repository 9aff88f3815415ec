namespace Convolve.Onnx;

/// <summary>
/// A readable ONNX model that Convolve cannot express: an operator without a Convolve layer, an
/// attribute value a layer does not have, or a graph that is not a chain. The message names the
/// source, the operator, the node and why, e.g. "model.onnx: Add node 'add_1': input 'skip' is
/// neither the previous node's output nor a constant; Convolve imports chains (Sequential models)".
/// Thrown before anything runs.
/// </summary>
public sealed class OnnxImportException(string message) : NotSupportedException(message);
