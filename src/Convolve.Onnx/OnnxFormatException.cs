namespace Convolve.Onnx;

/// <summary>
/// An ONNX file or message could not be read, or holds something Convolve does not support.
/// The message names the source (usually a file path) and what is wrong with it, e.g.
/// "model.onnx: tensor 'W' has data type FLOAT16 (10); Convolve reads FLOAT and DOUBLE as float32".
/// </summary>
public sealed class OnnxFormatException(string message, Exception? innerException = null)
    : FormatException(message, innerException);
