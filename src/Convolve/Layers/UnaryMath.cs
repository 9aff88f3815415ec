using Convolve.Kernels;
using Convolve.Kernels.Cpu;

namespace Convolve.Layers;

/// <summary>
/// An element-wise function of a computed value: Exp, Log, Sqrt, Neg, Abs, Reciprocal, Pow with
/// a constant exponent, or Erf (ONNX's operators of those names; see <see cref="UnaryMathKind"/>).
/// One layer with a kind, as <see cref="Reduce"/> is, because the eight share everything but the
/// formula: one config, one model-file tag, one ONNX rule each way. Values out of a function's
/// domain give NaN or infinity, as in ONNX (Log and Sqrt below 0, Reciprocal at 0). The gradient of
/// Abs at 0 is 0.
/// </summary>
public sealed class UnaryMath : Activation
{
    /// <summary>The function <paramref name="kind"/>; <paramref name="exponent"/> is Pow's (and must be left at 1 for the others).</summary>
    public UnaryMath(UnaryMathKind kind, float exponent = 1)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown element-wise function.");
        if (!float.IsFinite(exponent)) throw new ArgumentException($"UnaryMath: the exponent must be finite, got {exponent}.", nameof(exponent));
        if (kind != UnaryMathKind.Pow && exponent != 1)
            throw new ArgumentException($"UnaryMath: only Pow takes an exponent, got {exponent} for {kind}.", nameof(exponent));
        Kind = kind;
        Exponent = exponent;
    }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public UnaryMath(UnaryMathConfig config) : this(config.Kind, config.Exponent) { }

    /// <summary>The function.</summary>
    public UnaryMathKind Kind { get; }

    /// <summary>Pow's exponent p in x^p (1 for the other functions).</summary>
    public float Exponent { get; }

    /// <inheritdoc />
    public override string TypeName => Kind.ToString();

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => UnaryMathCpu.Forward(Kind, Exponent, input, output);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        UnaryMathCpu.Backward(Kind, Exponent, input, output, dOutput, dInput);

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new UnaryMathConfig(Kind, Exponent);

    /// <inheritdoc />
    protected override string ExtraDescription => Kind == UnaryMathKind.Pow ? $"exponent={Exponent}" : "";
}

/// <summary>Options of a <see cref="UnaryMath"/> layer: the function and, for Pow, the exponent.</summary>
public sealed record UnaryMathConfig(UnaryMathKind Kind, float Exponent = 1) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new UnaryMath(this);
}
