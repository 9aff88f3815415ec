namespace Convolve.Tensors;

/// <summary>
/// A tensor of the wrong shape was given to an operation. The message names the operation,
/// what it expected and what it got, e.g.
/// "Conv2D(3->16, 3x3): expected input with 3 channels, got [8, 1, 28, 28]".
/// </summary>
public sealed class ShapeException(string message) : ArgumentException(message);
