using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>
/// Log-probabilities along one axis (the last by default; PyTorch's <c>F.log_softmax</c>):
/// <c>y_i = x_i - max x - log(sum_j e^(x_j - max x))</c>; subtracting the max keeps e^ finite and
/// the log of a sum of at least 1 finite.
/// Backward: <c>dx_i = dy_i - e^(y_i) sum_j dy_j</c>.
/// <para>
/// For training, a model may end in it: the trainer's cross-entropy of log-probabilities is the
/// negative log-likelihood of the label (PyTorch's NLLLoss after log_softmax), since the
/// log-sum-exp of log-probabilities is 0, and its gradient passes through this layer unchanged.
/// </para>
/// </summary>
public sealed class LogSoftmax(int axis = -1) : AxisLayer(axis)
{
    private Tensor? output, dInput;

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public LogSoftmax(LogSoftmaxConfig config) : this(config.Axis) { }

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
                var row = x.Slice(o * length, length);
                var outRow = y.Slice(o * length, length);
                float max = TensorPrimitives.Max(row);
                // e^(x - max) into the output row for the sum, then x - max again, minus the log of
                // the sum: (x - max) - log sum keeps small gaps that x - (max + log sum) rounds away.
                TensorPrimitives.Subtract(row, max, outRow);
                TensorPrimitives.Exp(outRow, outRow);
                float logSum = MathF.Log(TensorPrimitives.Sum(outRow));
                TensorPrimitives.Subtract(row, max, outRow);
                TensorPrimitives.Subtract(outRow, logSum, outRow);
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
                for (int j = 0; j < length; j++) sum += MathF.Exp(x[start + j * inner] - max);
                float logSum = (float)Math.Log(sum);
                for (int j = 0; j < length; j++) y[start + j * inner] = x[start + j * inner] - max - logSum;
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
                double sum = 0;
                for (int j = 0; j < length; j++) sum += dy[start + j * inner];
                for (int j = 0; j < length; j++)
                    dx[start + j * inner] = (float)(dy[start + j * inner] - Math.Exp(y[start + j * inner]) * sum);
            }
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new LogSoftmaxConfig(Axis);
}

/// <summary>Options of a <see cref="LogSoftmax"/> layer.</summary>
public sealed record LogSoftmaxConfig(int Axis = -1) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new LogSoftmax(this);
}
