using Convolve.Kernels.Cpu;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// Local response normalisation across channels (ONNX's LRN; AlexNet and GoogLeNet use it): each
/// value is divided by a power of the sum of squares of its neighbours in nearby channels,
/// <c>y[n, c, h, w] = x[n, c, h, w] / (bias + alpha / size * sum over i of x[n, i, h, w]^2)^beta</c>,
/// for i from <c>c - floor((size - 1) / 2)</c> to <c>c + ceil((size - 1) / 2)</c>, clipped to the
/// channels. (PyTorch's nn.LocalResponseNorm centres an even window one channel lower; odd sizes agree.)
/// Input [N, C, H, W] (or [N, C, L], ...); the output has its shape. No parameters.
/// </summary>
public sealed class LocalResponseNorm : Layer, IThreadedLayer
{
    private Tensor? input, output, dInput;
    private float[] powers = [], quotients = [], window = [], terms = [];

    /// <summary>Normalisation over windows of <paramref name="size"/> channels, with ONNX's defaults for the rest.</summary>
    public LocalResponseNorm(int size, float alpha = 1e-4f, float beta = 0.75f, float bias = 1f)
        : this(new LocalResponseNormConfig(size, alpha, beta, bias)) { }

    /// <summary>Normalisation with the given options.</summary>
    public LocalResponseNorm(LocalResponseNormConfig config)
    {
        if (config.Size <= 0) throw new ArgumentException($"LocalResponseNorm: size must be positive, got {config.Size}.");
        if (!float.IsFinite(config.Alpha) || !float.IsFinite(config.Beta) || !float.IsFinite(config.Bias))
            throw new ArgumentException($"LocalResponseNorm: alpha, beta and bias must be finite, got {config.Alpha}, {config.Beta} and {config.Bias}.");
        Config = config;
    }

    /// <summary>The options of this layer.</summary>
    public LocalResponseNormConfig Config { get; }

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

    /// <summary>The input's shape, [N, C, H, W] or [N, C, L].</summary>
    public override Shape GetOutputShape(Shape inputShape)
    {
        if (inputShape.Rank < 3)
            throw new ShapeException($"{this}: expected input [N, C, H, W] or [N, C, L], got {inputShape}.");
        return inputShape;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var shape = OutputShapeFor(input.Shape);
        var (n, c, plane) = Split(shape);
        var result = Tensor.Reuse(ref output, shape);
        if (powers.Length != input.Length)
        {
            powers = new float[input.Length];
            quotients = new float[input.Length];
        }
        int windowLength = Math.Max(LocalResponseNormCpu.WindowLength(n, c, plane, MaxThreads), n * plane);
        if (window.Length < windowLength) window = new float[windowLength];
        var (size, alpha, beta, bias) = Config;
        LocalResponseNormCpu.Forward(n, c, plane, size, alpha, beta, bias, input.Span, result.Span, powers, quotients, window, MaxThreads);
        this.input = input;
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var (n, c, plane) = Split(dOutput.Shape);
        var result = Tensor.Reuse(ref dInput, dOutput.Shape);
        if (terms.Length != dOutput.Length) terms = new float[dOutput.Length];
        LocalResponseNormCpu.Backward(n, c, plane, Config.Size, input!.Span, output!.Span, powers, quotients, dOutput.Span, result.Span,
            terms, window, MaxThreads);
        return result;
    }

    // [N, C, rest] with rest the product of the axes after C.
    private static (int N, int C, int Plane) Split(Shape shape) => (shape[0], shape[1], shape.Size / (shape[0] * shape[1]));

    /// <inheritdoc />
    public override LayerConfig GetConfig() => Config;

    /// <inheritdoc />
    protected override string ExtraDescription =>
        string.Join(", ", new[]
        {
            $"size={Config.Size}",
            Config.Alpha == 1e-4f ? null : $"alpha={Config.Alpha}",
            Config.Beta == 0.75f ? null : $"beta={Config.Beta}",
            Config.Bias == 1f ? null : $"bias={Config.Bias}",
        }.OfType<string>());
}

/// <summary>
/// Options of a <see cref="LocalResponseNorm"/> layer: the window's size in channels, and alpha,
/// beta and bias of <c>x / (bias + alpha / size * sum of squares)^beta</c>.
/// </summary>
public sealed record LocalResponseNormConfig(int Size, float Alpha = 1e-4f, float Beta = 0.75f, float Bias = 1f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new LocalResponseNorm(this);
}
