using Convolve.Kernels.Cpu;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// Instance normalisation (ONNX's InstanceNormalization, PyTorch's nn.InstanceNorm2d): each
/// sample's channel is normalised over its own H * W values, then scaled and shifted per channel:
/// <c>y[n, c, h, w] = (x[n, c, h, w] - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]</c>,
/// with the mean and the biased variance (divided by H * W) of the plane. Training and evaluation
/// compute the same (no running statistics). Input [N, C, H, W], or [N, C, L] (the statistics are
/// then over L; more axes after C are allowed likewise); the output has the input's shape.
/// Parameters: weight (the scale) and bias, [C], both trainable.
/// </summary>
public sealed class InstanceNorm2D : Layer, IThreadedLayer
{
    private readonly Parameter weight, bias;
    private Tensor? input, output, dInput;
    private float[] mean = [], inverseStd = [], sums = [];

    /// <summary>Instance normalisation of <paramref name="channels"/> channels, adding <paramref name="epsilon"/> to each variance.</summary>
    public InstanceNorm2D(int channels, float epsilon = 1e-5f) : this(new InstanceNorm2DConfig(channels, epsilon)) { }

    /// <summary>Instance normalisation with the given options; weight 1, bias 0.</summary>
    public InstanceNorm2D(InstanceNorm2DConfig config)
    {
        if (config.Channels <= 0) throw new ArgumentException($"InstanceNorm2D: channels must be positive, got {config.Channels}.");
        if (!(config.Epsilon >= 0) || float.IsInfinity(config.Epsilon))
            throw new ArgumentException($"InstanceNorm2D: epsilon must be zero or positive and finite, got {config.Epsilon}.");
        Config = config;
        weight = new Parameter("weight", new Shape(config.Channels));
        bias = new Parameter("bias", new Shape(config.Channels));
        ResetParameters(new Random(0));
    }

    /// <summary>The options of this layer.</summary>
    public InstanceNorm2DConfig Config { get; }

    /// <summary>The per-channel scale, [C].</summary>
    public Parameter Weight => weight;

    /// <summary>The per-channel shift, [C].</summary>
    public Parameter Bias => bias;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [weight, bias];

    /// <inheritdoc />
    public int MaxThreads
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    }

    /// <summary>The input's shape: [N, C, H, W] or [N, C, L] with C the layer's channels.</summary>
    public override Shape GetOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 3)
            throw new ShapeException($"{this}: expected input [N, C, H, W] or [N, C, L], got {inputShape}.");
        if (inputShape[1] != Config.Channels)
            throw new ShapeException($"{this}: expected input with {Words.Plural(Config.Channels, "channel")}, got {inputShape}.");
        return inputShape;
    }

    /// <summary>weight 1, bias 0 (the identity on normalised planes, as PyTorch starts).</summary>
    public override void ResetParameters(Random random)
    {
        weight.Value.Fill(1);
        bias.Value.Clear();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var shape = OutputShapeFor(input.Shape);
        var (n, c, plane) = Split(shape);
        var result = Tensor.Reuse(ref output, shape);
        if (mean.Length < n * c)
        {
            mean = new float[n * c];
            inverseStd = new float[n * c];
        }
        InstanceNormCpu.Forward(n, c, plane, Config.Epsilon, input.Span, weight.Value.Span, bias.Value.Span, result.Span,
            mean, inverseStd, MaxThreads);
        this.input = input;
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var (n, c, plane) = Split(dOutput.Shape);
        var result = Tensor.Reuse(ref dInput, dOutput.Shape);
        if (sums.Length < 2 * n * c) sums = new float[2 * n * c];
        InstanceNormCpu.Backward(n, c, plane, input!.Span, weight.Value.Span, mean, inverseStd, dOutput.Span, result.Span,
            weight.Gradient.Span, bias.Gradient.Span, sums, MaxThreads);
        return result;
    }

    // [N, C, rest] with rest the product of the axes after C.
    private static (int N, int C, int Plane) Split(Shape shape) => (shape[0], shape[1], shape.Size / (shape[0] * shape[1]));

    /// <inheritdoc />
    public override LayerConfig GetConfig() => Config;

    /// <inheritdoc />
    protected override string ExtraDescription => $"{Config.Channels}" + (Config.Epsilon != 1e-5f ? $", eps={Config.Epsilon}" : "");
}

/// <summary>Options of an <see cref="InstanceNorm2D"/> layer: its channels and the epsilon added to each variance.</summary>
public sealed record InstanceNorm2DConfig(int Channels, float Epsilon = 1e-5f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new InstanceNorm2D(this);
}
