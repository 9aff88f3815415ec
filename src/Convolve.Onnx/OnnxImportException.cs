namespace Convolve.Onnx;

/// <summary>
/// A readable ONNX model that Convolve cannot express: an operator without a Convolve layer, an
/// attribute value a layer does not have, or inputs a layer cannot take. The message names the
/// source, the operator, the node and why, e.g. "model.onnx: Add node 'add_1': inputs [N, 3, 4, 4]
/// and [N, 2, 4, 4] differ in shape; Convolve's Add sums values of one shape (no broadcasting)".
/// Thrown before anything runs.
/// </summary>
public sealed class OnnxImportException(string message) : NotSupportedException(message);
