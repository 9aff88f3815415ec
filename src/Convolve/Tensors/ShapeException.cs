namespace Convolve.Tensors;

/// <summary>
/// A tensor of the wrong shape was given to an operation. The message names the operation,
/// what it expected and what it got, e.g.
/// "Conv2D(3->16, 3x3): expected input with 3 channels, got [8, 1, 28, 28]".
/// </summary>
public sealed class ShapeException(string message) : ArgumentException(message)
{
    /// <summary>
    /// <paramref name="error"/>, raised by the layer <paramref name="layer"/> (printed as
    /// <paramref name="description"/>) on <paramref name="inputs"/>, with the layer's name in front:
    /// "conv2d_1 Conv2D(3->16, 3x3): expected input with 3 channels, got [N, 1, 28, 28]". With
    /// <paramref name="standInBatch"/> the inputs are the batch of one a model is built and checked
    /// with, which the user never gave: their batch dimension is shown as N.
    /// </summary>
    public static ShapeException InLayer(ShapeException error, string layer, string description, IEnumerable<Shape> inputs, bool standInBatch)
    {
        string message = error.Message;
        if (standInBatch)
            foreach (var input in inputs.Where(s => s.Rank > 0).Distinct().OrderByDescending(s => s.Rank))
                message = message.Replace(input.ToString(), input.ToBatchString(), StringComparison.Ordinal);
        if (layer.Length == 0) return new ShapeException(message);
        return new ShapeException(message.StartsWith(description + ":", StringComparison.Ordinal)
            ? $"{layer} {message}"
            : $"{layer}: {message}");
    }
}
