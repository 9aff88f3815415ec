using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>
/// Turns scores into probabilities along one axis (the last by default):
/// <c>y_i = e^(x_i - max x) / sum_j e^(x_j - max x)</c>; subtracting the max keeps e^ finite.
/// Backward: <c>dx_i = y_i (dy_i - sum_j dy_j y_j)</c>.
/// For training, prefer ending the model with logits and using
/// the cross-entropy loss of Convolve.Training, which fuses the two stably; a trailing Softmax is
/// skipped by the trainer for that reason.
/// </summary>
public sealed class Softmax(int axis = -1) : AxisLayer(axis)
{
    private Tensor? output, dInput;

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Softmax(SoftmaxConfig config) : this(config.Axis) { }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var (outer, length, inner) = Split(input.Shape);
        var result = Tensor.Reuse(ref output, input.Shape);
        var x = input.Span;
        var y = result.Span;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                // TensorPrimitives.SoftMax does not subtract the max, and e^x overflows from x = 89.
                var row = x.Slice(o * length, length);
                var outRow = y.Slice(o * length, length);
                TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), outRow);
                TensorPrimitives.Exp(outRow, outRow);
                TensorPrimitives.Divide(outRow, TensorPrimitives.Sum(outRow), outRow);
            }
            return result;
        }
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * length * inner + i;
                float max = float.NegativeInfinity;
                for (int j = 0; j < length; j++) max = MathF.Max(max, x[start + j * inner]);
                double sum = 0;
                for (int j = 0; j < length; j++) sum += y[start + j * inner] = MathF.Exp(x[start + j * inner] - max);
                for (int j = 0; j < length; j++) y[start + j * inner] = (float)(y[start + j * inner] / sum);
            }
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var (outer, length, inner) = Split(dOutput.Shape);
        var result = Tensor.Reuse(ref dInput, dOutput.Shape);
        var y = output!.Span;
        var dy = dOutput.Span;
        var dx = result.Span;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * length * inner + i;
                double dot = 0;
                for (int j = 0; j < length; j++) dot += dy[start + j * inner] * y[start + j * inner];
                for (int j = 0; j < length; j++)
                    dx[start + j * inner] = (float)(y[start + j * inner] * (dy[start + j * inner] - dot));
            }
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new SoftmaxConfig(Axis);
}

/// <summary>Options of a <see cref="Softmax"/> layer.</summary>
public sealed record SoftmaxConfig(int Axis = -1) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Softmax(this);
}
