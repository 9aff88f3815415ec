using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>
/// Batch normalisation over [N, C, H, W], per channel:
/// <c>y = (x - mean) / sqrt(var + eps) * weight + bias</c>.
/// In training, mean and var are the batch's (var biased, over N*H*W values) and the running
/// statistics move toward them: <c>running = (1 - momentum) * running + momentum * batch</c>, with
/// the unbiased variance (PyTorch's rule). In evaluation the running statistics are used.
/// Parameters: weight (gamma) and bias (beta), [C]; running_mean and running_var, [C], are
/// saved with the model but not trained.
/// </summary>
public sealed class BatchNorm2D : Layer
{
    private readonly Parameter weight, bias, runningMean, runningVar;
    private Tensor? output, dInput;
    private float[] normalized = [];
    private readonly float[] inverseStd;
    private bool lastWasTraining;

    /// <summary>Batch normalisation over <paramref name="channels"/> channels, weight 1 and bias 0.</summary>
    /// <param name="channels">C of the [N, C, H, W] input.</param>
    /// <param name="epsilon">Added to the variance before the square root, for stability.</param>
    /// <param name="momentum">How far the running statistics move toward each batch's, in (0, 1].</param>
    public BatchNorm2D(int channels, float epsilon = 1e-5f, float momentum = 0.1f)
        : this(new BatchNorm2DConfig(channels, epsilon, momentum)) { }

    /// <summary>A layer with the options of <paramref name="config"/> (what a model file holds).</summary>
    /// <param name="config">The options.</param>
    /// <exception cref="ArgumentException">The channel count is not positive.</exception>
    public BatchNorm2D(BatchNorm2DConfig config)
    {
        if (config.Channels <= 0) throw new ArgumentException($"BatchNorm2D: channels must be positive, got {config.Channels}.");
        Config = config;
        var shape = new Shape(config.Channels);
        weight = new Parameter("weight", shape);
        bias = new Parameter("bias", shape);
        runningMean = new Parameter("running_mean", shape, trainable: false);
        runningVar = new Parameter("running_var", shape, trainable: false);
        inverseStd = new float[config.Channels];
        ResetParameters(new Random(0));
    }

    /// <summary>The options of this layer.</summary>
    public BatchNorm2DConfig Config { get; }

    /// <summary>The scale gamma, [C], trained.</summary>
    public Parameter Weight => weight;
    /// <summary>The shift beta, [C], trained.</summary>
    public Parameter Bias => bias;
    /// <summary>The running mean of each channel, [C], used in evaluation; saved, not trained.</summary>
    public Parameter RunningMean => runningMean;
    /// <summary>The running (unbiased) variance of each channel, [C], used in evaluation; saved, not trained.</summary>
    public Parameter RunningVar => runningVar;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [weight, bias, runningMean, runningVar];

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        RequireRank(inputShape, 4, "input [N, C, H, W]");
        if (inputShape[1] != Config.Channels)
            throw new ShapeException($"{this}: expected input with {Words.Plural(Config.Channels, "channel")}, got {inputShape}.");
        return inputShape;
    }

    /// <summary>weight 1, bias 0, running mean 0, running variance 1.</summary>
    public override void ResetParameters(Random random)
    {
        weight.Value.Fill(1);
        bias.Value.Clear();
        runningMean.Value.Clear();
        runningVar.Value.Fill(1);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var shape = OutputShapeFor(input.Shape);
        int n = shape[0], channels = shape[1], plane = shape[2] * shape[3];
        int count = n * plane;
        lastWasTraining = training;
        var result = Tensor.Reuse(ref output, shape);
        if (normalized.Length != input.Length) normalized = new float[input.Length];
        var x = input.Span;
        var y = result.Span;
        var gamma = weight.Value.Span;
        var beta = bias.Value.Span;
        var rMean = runningMean.Value.Span;
        var rVar = runningVar.Value.Span;
        for (int c = 0; c < channels; c++)
        {
            double mean, variance;
            if (training)
            {
                double sum = 0;
                for (int b = 0; b < n; b++)
                    foreach (float v in x.Slice((b * channels + c) * plane, plane)) sum += v;
                mean = sum / count;
                double squares = 0;
                for (int b = 0; b < n; b++)
                    foreach (float v in x.Slice((b * channels + c) * plane, plane)) squares += (v - mean) * (v - mean);
                variance = squares / count;
                float m = Config.Momentum;
                rMean[c] = (float)((1 - m) * rMean[c] + m * mean);
                rVar[c] = (float)((1 - m) * rVar[c] + m * (count > 1 ? squares / (count - 1) : variance));
            }
            else
            {
                mean = rMean[c];
                variance = rVar[c];
            }
            float invStd = (float)(1 / Math.Sqrt(variance + Config.Epsilon));
            inverseStd[c] = invStd;
            for (int b = 0; b < n; b++)
            {
                int start = (b * channels + c) * plane;
                for (int i = start; i < start + plane; i++)
                {
                    float xHat = (float)((x[i] - mean) * invStd);
                    normalized[i] = xHat;
                    y[i] = xHat * gamma[c] + beta[c];
                }
            }
        }
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var shape = dOutput.Shape;
        int n = shape[0], channels = shape[1], plane = shape[2] * shape[3];
        int count = n * plane;
        var result = Tensor.Reuse(ref dInput, shape);
        var dy = dOutput.Span;
        var dx = result.Span;
        var gamma = weight.Value.Span;
        var dGamma = weight.Gradient.Span;
        var dBeta = bias.Gradient.Span;
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyXHat = 0;
            for (int b = 0; b < n; b++)
            {
                int start = (b * channels + c) * plane;
                for (int i = start; i < start + plane; i++)
                {
                    sumDy += dy[i];
                    sumDyXHat += dy[i] * normalized[i];
                }
            }
            dGamma[c] += (float)sumDyXHat;
            dBeta[c] += (float)sumDy;
            float scale = gamma[c] * inverseStd[c];
            for (int b = 0; b < n; b++)
            {
                int start = (b * channels + c) * plane;
                for (int i = start; i < start + plane; i++)
                {
                    // In training, mean and variance depend on x too; in evaluation they are constants.
                    dx[i] = lastWasTraining
                        ? (float)(scale * (dy[i] - sumDy / count - normalized[i] * sumDyXHat / count))
                        : scale * dy[i];
                }
            }
        }
        return result;
    }

    /// <summary>
    /// The weights and bias of one convolution that computes a convolution followed by this layer
    /// in evaluation mode: with <c>s = weight / sqrt(running_var + eps)</c> per channel,
    /// <c>foldedWeight[k, ...] = convWeight[k, ...] * s[k]</c> and
    /// <c>foldedBias[k] = (convBias[k] - running_mean[k]) * s[k] + bias[k]</c> (convBias 0 when
    /// empty). The same function as the two layers up to float rounding; nothing stored changes.
    /// </summary>
    internal void Fold(ReadOnlySpan<float> convWeight, ReadOnlySpan<float> convBias, Span<float> foldedWeight, Span<float> foldedBias)
    {
        int channels = Config.Channels, perChannel = convWeight.Length / channels;
        var gamma = weight.Value.Span;
        var beta = bias.Value.Span;
        var rMean = runningMean.Value.Span;
        var rVar = runningVar.Value.Span;
        for (int c = 0; c < channels; c++)
        {
            double scale = gamma[c] / Math.Sqrt(rVar[c] + (double)Config.Epsilon);
            TensorPrimitives.Multiply(convWeight.Slice(c * perChannel, perChannel), (float)scale, foldedWeight.Slice(c * perChannel, perChannel));
            foldedBias[c] = (float)(((convBias.IsEmpty ? 0 : convBias[c]) - rMean[c]) * scale + beta[c]);
        }
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => Config;

    /// <inheritdoc />
    protected override string ExtraDescription =>
        $"{Config.Channels}" + (Config.Epsilon != 1e-5f ? $", eps={Config.Epsilon}" : "") + (Config.Momentum != 0.1f ? $", momentum={Config.Momentum}" : "");
}

/// <summary>Options of a <see cref="BatchNorm2D"/> layer.</summary>
public sealed record BatchNorm2DConfig(int Channels, float Epsilon = 1e-5f, float Momentum = 0.1f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new BatchNorm2D(this);
}
