using Convolve.Tensors;

namespace Convolve.Training;

/// <summary>
/// Mean squared error over all elements: <c>loss = mean((prediction - target)^2)</c>;
/// backward <c>d = 2 (prediction - target) / count</c>.
/// </summary>
public sealed class MeanSquaredError
{
    private Tensor? difference, dPrediction;

    /// <summary>The loss of <paramref name="prediction"/> against a target of the same shape.</summary>
    public float Forward(Tensor prediction, Tensor target)
    {
        if (prediction.Shape != target.Shape)
            throw new ShapeException($"MeanSquaredError: prediction {prediction.Shape} and target {target.Shape} differ in shape.");
        var diff = Tensor.Reuse(ref difference, prediction.Shape);
        System.Numerics.Tensors.TensorPrimitives.Subtract(prediction.Span, target.Span, diff.Span);
        double sum = 0;
        foreach (float d in diff.Span) sum += (double)d * d;
        return (float)(sum / diff.Length);
    }

    /// <summary>Gradient of the loss with respect to the prediction of the last Forward call.</summary>
    public Tensor Backward()
    {
        var diff = difference ?? throw new InvalidOperationException("MeanSquaredError: Forward has not been called.");
        var d = Tensor.Reuse(ref dPrediction, diff.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(diff.Span, 2f / diff.Length, d.Span);
        return d;
    }
}
