using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// A function of one value with its derivative, for <see cref="ScalarActivation{TFunction}"/>, in a
/// plain scalar form (the reference) and a vector form of 8 lanes that must agree with it to float
/// rounding. The struct is a type argument, so its methods inline into the loops.
/// </summary>
public interface IScalarFunction
{
    /// <summary>f(x).</summary>
    float Value(float x);

    /// <summary>f'(x), given y = f(x) (whichever of the two is cheaper to use).</summary>
    float Slope(float x, float y);

    /// <summary>f(x) on 8 lanes.</summary>
    Vector256<float> Value(Vector256<float> x);

    /// <summary>f'(x) on 8 lanes, given y = f(x).</summary>
    Vector256<float> Slope(Vector256<float> x, Vector256<float> y);
}

/// <summary>An <see cref="Activation"/> computed element by element from a <see cref="IScalarFunction"/>.</summary>
public abstract class ScalarActivation<TFunction> : Activation where TFunction : struct, IScalarFunction
{
    /// <summary>The function with this layer's options.</summary>
    protected abstract TFunction Function { get; }

    /// <inheritdoc />
    protected sealed override void Apply(ReadOnlySpan<float> input, Span<float> output) => Apply(Function, input, output, vector: true);

    /// <inheritdoc />
    protected sealed override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Derive(Function, input, output, dOutput, dInput, vector: true);

    /// <summary>output[i] = f(input[i]): 8 lanes at a time when <paramref name="vector"/> and the CPU allows, else the scalar reference.</summary>
    internal static void Apply(TFunction f, ReadOnlySpan<float> input, Span<float> output, bool vector)
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float y = ref MemoryMarshal.GetReference(output);
        int i = 0, n = input.Length;
        if (vector && Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                f.Value(Vector256.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref y, i) = f.Value(Unsafe.Add(ref x, i));
    }

    /// <summary>dInput[i] = dOutput[i] * f'(input[i]), vector or scalar as <see cref="Apply(TFunction, ReadOnlySpan{float}, Span{float}, bool)"/>.</summary>
    internal static void Derive(TFunction f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput,
        bool vector)
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float y = ref MemoryMarshal.GetReference(output);
        ref float dy = ref MemoryMarshal.GetReference(dOutput);
        ref float dx = ref MemoryMarshal.GetReference(dInput);
        int i = 0, n = input.Length;
        if (vector && Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref dy, (nuint)i) * f.Slope(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i)))
                    .StoreUnsafe(ref dx, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dx, i) = Unsafe.Add(ref dy, i) * f.Slope(Unsafe.Add(ref x, i), Unsafe.Add(ref y, i));
    }

    /// <summary>Formats an option for <see cref="Layer.ToString"/>, or null when it has its default value.</summary>
    protected static string? Option(string name, float value, float defaultValue) => value == defaultValue ? null : $"{name}={value}";

    /// <summary>The options that are not null, comma-separated.</summary>
    protected static string Options(params string?[] options) => string.Join(", ", options.OfType<string>());
}

/// <summary>
/// x for x &gt; 0, alpha * (e^x - 1) otherwise (ONNX's Elu, PyTorch's nn.ELU; alpha defaults to 1).
/// f' = 1 for x &gt; 0, y + alpha otherwise.
/// </summary>
public sealed class ELU(float alpha = 1f) : ScalarActivation<ELU.Formula>
{
    /// <summary>The value approached as x goes to minus infinity is -alpha.</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc />
    protected override Formula Function => new(Alpha, 1);

    /// <summary>scale * (x &gt; 0 ? x : alpha * (e^x - 1)): ELU (scale 1) and SELU.</summary>
    public readonly struct Formula(float alpha, float scale) : IScalarFunction
    {
        /// <inheritdoc />
        public float Value(float x) => x > 0 ? scale * x : scale * alpha * (MathF.Exp(x) - 1);
        /// <inheritdoc />
        public float Slope(float x, float y) => x > 0 ? scale : y + scale * alpha;
        /// <inheritdoc />
        public Vector256<float> Value(Vector256<float> x) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x * scale,
                (Vector256.Exp(x) - Vector256<float>.One) * (scale * alpha));
        /// <inheritdoc />
        public Vector256<float> Slope(Vector256<float> x, Vector256<float> y) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256.Create(scale), y + Vector256.Create(scale * alpha));
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new ELUConfig(Alpha);

    /// <inheritdoc />
    protected override string ExtraDescription => Options(Option("alpha", Alpha, 1));
}

/// <summary>
/// gamma * ELU(x) with alpha (ONNX's Selu, PyTorch's nn.SELU), defaults the self-normalising
/// constants alpha = 1.6732632 and gamma = 1.050701 (ONNX's float values).
/// </summary>
public sealed class SELU(float alpha = SELU.DefaultAlpha, float gamma = SELU.DefaultGamma) : ScalarActivation<ELU.Formula>
{
    /// <summary>ONNX's default alpha.</summary>
    public const float DefaultAlpha = 1.67326319217681884765625f;

    /// <summary>ONNX's default gamma.</summary>
    public const float DefaultGamma = 1.05070102214813232421875f;

    /// <summary>The ELU's alpha.</summary>
    public float Alpha { get; } = alpha;

    /// <summary>The scale of the whole function.</summary>
    public float Gamma { get; } = gamma;

    /// <inheritdoc />
    protected override ELU.Formula Function => new(Alpha, Gamma);

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new SELUConfig(Alpha, Gamma);

    /// <inheritdoc />
    protected override string ExtraDescription => Options(Option("alpha", Alpha, DefaultAlpha), Option("gamma", Gamma, DefaultGamma));
}

/// <summary>
/// max(0, x) + min(0, alpha * (e^(x / alpha) - 1)) (ONNX's Celu, PyTorch's nn.CELU; alpha defaults
/// to 1). f' = 1 for x &gt; 0, e^(x / alpha) otherwise.
/// </summary>
public sealed class CELU : ScalarActivation<CELU.Formula>
{
    /// <summary>A CELU with the given alpha (not 0).</summary>
    public CELU(float alpha = 1f)
    {
        if (alpha == 0 || float.IsNaN(alpha)) throw new ArgumentException($"CELU: alpha must not be 0, got {alpha}.", nameof(alpha));
        Alpha = alpha;
    }

    /// <summary>The scale of the negative part.</summary>
    public float Alpha { get; }

    /// <inheritdoc />
    protected override Formula Function => new(Alpha);

    /// <summary>CELU's function.</summary>
    public readonly struct Formula(float alpha) : IScalarFunction
    {
        /// <inheritdoc />
        public float Value(float x) => x > 0 ? x : alpha * (MathF.Exp(x / alpha) - 1);
        /// <inheritdoc />
        public float Slope(float x, float y) => x > 0 ? 1 : MathF.Exp(x / alpha);
        /// <inheritdoc />
        public Vector256<float> Value(Vector256<float> x) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, (Vector256.Exp(x / alpha) - Vector256<float>.One) * alpha);
        /// <inheritdoc />
        public Vector256<float> Slope(Vector256<float> x, Vector256<float> y) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, Vector256.Exp(x / alpha));
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new CELUConfig(Alpha);

    /// <inheritdoc />
    protected override string ExtraDescription => Options(Option("alpha", Alpha, 1));
}

/// <summary>
/// ln(1 + e^x) (ONNX's Softplus, PyTorch's nn.Softplus with beta 1), computed as
/// max(x, 0) + ln(1 + e^-|x|) so that large inputs do not overflow. f' = sigmoid(x).
/// </summary>
public sealed class Softplus : ScalarActivation<Softplus.Formula>
{
    /// <inheritdoc />
    protected override Formula Function => default;

    /// <summary>Softplus's function.</summary>
    public readonly struct Formula : IScalarFunction
    {
        /// <inheritdoc />
        public float Value(float x) => Of(x);
        /// <inheritdoc />
        public float Slope(float x, float y) => SiLU.Logistic(x);
        /// <inheritdoc />
        public Vector256<float> Value(Vector256<float> x) =>
            Vector256.Max(x, Vector256<float>.Zero) + Vector256.Log(Vector256<float>.One + Vector256.Exp(-Vector256.Abs(x)));
        /// <inheritdoc />
        public Vector256<float> Slope(Vector256<float> x, Vector256<float> y) => SiLU.Logistic(x);

        /// <summary>ln(1 + e^x) without overflow.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Of(float x) => MathF.Max(x, 0) + float.LogP1(MathF.Exp(-MathF.Abs(x)));
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new SoftplusConfig();
}

/// <summary>x / (1 + |x|) (ONNX's Softsign, PyTorch's nn.Softsign). f' = 1 / (1 + |x|)^2.</summary>
public sealed class Softsign : ScalarActivation<Softsign.Formula>
{
    /// <inheritdoc />
    protected override Formula Function => default;

    /// <summary>Softsign's function.</summary>
    public readonly struct Formula : IScalarFunction
    {
        /// <inheritdoc />
        public float Value(float x) => x / (1 + MathF.Abs(x));
        /// <inheritdoc />
        public float Slope(float x, float y)
        {
            float d = 1 + MathF.Abs(x);
            return 1 / (d * d);
        }
        /// <inheritdoc />
        public Vector256<float> Value(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Abs(x));
        /// <inheritdoc />
        public Vector256<float> Slope(Vector256<float> x, Vector256<float> y)
        {
            var d = Vector256<float>.One + Vector256.Abs(x);
            return Vector256<float>.One / (d * d);
        }
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new SoftsignConfig();
}

/// <summary>
/// x for x &gt; alpha, 0 otherwise (ONNX's ThresholdedRelu; alpha defaults to 1). The gradient at
/// x = alpha is 0, as ReLU's is at 0.
/// </summary>
public sealed class ThresholdedReLU(float alpha = 1f) : ScalarActivation<ThresholdedReLU.Formula>
{
    /// <summary>The threshold.</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc />
    protected override Formula Function => new(Alpha);

    /// <summary>ThresholdedReLU's function.</summary>
    public readonly struct Formula(float alpha) : IScalarFunction
    {
        /// <inheritdoc />
        public float Value(float x) => x > alpha ? x : 0;
        /// <inheritdoc />
        public float Slope(float x, float y) => x > alpha ? 1 : 0;
        /// <inheritdoc />
        public Vector256<float> Value(Vector256<float> x) => x & Vector256.GreaterThan(x, Vector256.Create(alpha));
        /// <inheritdoc />
        public Vector256<float> Slope(Vector256<float> x, Vector256<float> y) => Vector256<float>.One & Vector256.GreaterThan(x, Vector256.Create(alpha));
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new ThresholdedReLUConfig(Alpha);

    /// <inheritdoc />
    protected override string ExtraDescription => Options(Option("alpha", Alpha, 1));
}

/// <summary>
/// x * Phi(x), Phi the standard normal distribution function: x / 2 * (1 + erf(x / sqrt 2)) (ONNX's
/// Gelu, PyTorch's nn.GELU). With <see cref="Approximate"/> "tanh", the approximation
/// x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))).
/// </summary>
public sealed class GELU : ScalarActivation<GELU.Formula>
{
    /// <summary>GELU with the exact form ("none") or the tanh approximation ("tanh"), as ONNX and PyTorch name them.</summary>
    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh"))
            throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", got \"{approximate}\".", nameof(approximate));
        Approximate = approximate;
    }

    /// <summary>"none" for the exact form, "tanh" for the approximation.</summary>
    public string Approximate { get; }

    /// <inheritdoc />
    protected override Formula Function => new(Approximate == "tanh");

    /// <summary>GELU's function, exact or approximated with tanh.</summary>
    public readonly struct Formula(bool tanh) : IScalarFunction
    {
        private const float InverseSqrt2 = 0.70710678118654752f;
        private const float InverseSqrt2Pi = 0.39894228040143268f;
        private const float Sqrt2OverPi = 0.79788456080286536f;
        private const float Cubic = 0.044715f;

        /// <inheritdoc />
        public float Value(float x)
        {
            if (!tanh) return 0.5f * x * (1 + new Kernels.Cpu.UnaryMathCpu.Erf().Invoke(x * InverseSqrt2, default));
            return 0.5f * x * (1 + MathF.Tanh(Sqrt2OverPi * (x + Cubic * x * x * x)));
        }

        // Exact: Phi(x) + x * phi(x). Tanh: 1/2 (1 + t) + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
        /// <inheritdoc />
        public float Slope(float x, float y)
        {
            if (!tanh) return 0.5f * (1 + new Kernels.Cpu.UnaryMathCpu.Erf().Invoke(x * InverseSqrt2, default)) + x * InverseSqrt2Pi * MathF.Exp(-0.5f * x * x);
            float t = MathF.Tanh(Sqrt2OverPi * (x + Cubic * x * x * x));
            return 0.5f * (1 + t) + 0.5f * x * (1 - t * t) * Sqrt2OverPi * (1 + 3 * Cubic * x * x);
        }

        /// <inheritdoc />
        public Vector256<float> Value(Vector256<float> x)
        {
            var half = Vector256.Create(0.5f);
            if (!tanh) return half * x * (Vector256<float>.One + new Kernels.Cpu.UnaryMathCpu.Erf().Invoke(x * InverseSqrt2, default));
            return half * x * (Vector256<float>.One + Tanh(Sqrt2OverPi * (x + Cubic * x * x * x), out _));
        }

        /// <inheritdoc />
        public Vector256<float> Slope(Vector256<float> x, Vector256<float> y)
        {
            var half = Vector256.Create(0.5f);
            if (!tanh)
                return half * (Vector256<float>.One + new Kernels.Cpu.UnaryMathCpu.Erf().Invoke(x * InverseSqrt2, default))
                    + x * InverseSqrt2Pi * Vector256.Exp(-half * x * x);
            var t = Tanh(Sqrt2OverPi * (x + Cubic * x * x * x), out var sech2);
            return half * (Vector256<float>.One + t) + half * x * sech2 * Sqrt2OverPi * (Vector256<float>.One + 3 * Cubic * x * x);
        }

        // tanh(u) = (e - 1) / (e + 1) and 1 - tanh(u)^2 = 4e / (e + 1)^2 with e = e^(2u), u capped at +-20
        // (where tanh is +-1 in float), so that the second has no cancellation where tanh nears +-1.
        private static Vector256<float> Tanh(Vector256<float> u, out Vector256<float> sech2)
        {
            u = Vector256.Min(Vector256.Max(u, Vector256.Create(-20f)), Vector256.Create(20f));
            var e = Vector256.Exp(u + u);
            var plus = e + Vector256<float>.One;
            sech2 = Vector256.Create(4f) * e / (plus * plus);
            return (e - Vector256<float>.One) / plus;
        }
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new GELUConfig(Approximate);

    /// <inheritdoc />
    protected override string ExtraDescription => Approximate == "none" ? "" : $"approximate={Approximate}";
}


/// <summary>
/// x * tanh(softplus(x)) (ONNX's Mish, PyTorch's nn.Mish).
/// f' = tanh(sp) + x * (1 - tanh(sp)^2) * sigmoid(x), sp = softplus(x).
/// </summary>
public sealed class Mish : ScalarActivation<Mish.Formula>
{
    /// <inheritdoc />
    protected override Formula Function => default;

    /// <summary>Mish's function.</summary>
    public readonly struct Formula : IScalarFunction
    {
        /// <inheritdoc />
        public float Value(float x) => x * MathF.Tanh(Softplus.Formula.Of(x));
        /// <inheritdoc />
        public float Slope(float x, float y)
        {
            float t = MathF.Tanh(Softplus.Formula.Of(x));
            return t + x * (1 - t * t) * SiLU.Logistic(x);
        }

        // With n = e^x, tanh(softplus(x)) = n (n + 2) / (n (n + 2) + 2), free of cancellation for
        // negative x; x is capped at 20, beyond which the ratio and sigmoid(x) are 1 in float.
        /// <inheritdoc />
        public Vector256<float> Value(Vector256<float> x) => x * TanhSoftplus(x, out _);
        /// <inheritdoc />
        public Vector256<float> Slope(Vector256<float> x, Vector256<float> y)
        {
            var t = TanhSoftplus(x, out var n);
            return t + x * (Vector256<float>.One - t * t) * (n / (Vector256<float>.One + n));
        }

        private static Vector256<float> TanhSoftplus(Vector256<float> x, out Vector256<float> n)
        {
            n = Vector256.Exp(Vector256.Min(x, Vector256.Create(20f)));
            var p = n * (n + Vector256.Create(2f));
            return p / (p + Vector256.Create(2f));
        }
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new MishConfig();
}

/// <summary>
/// x * sigmoid(x) (PyTorch's nn.SiLU, also called Swish; ONNX writes it as Sigmoid and Mul).
/// f' = s * (1 + x * (1 - s)), s = sigmoid(x).
/// </summary>
public sealed class SiLU : ScalarActivation<SiLU.Formula>
{
    /// <inheritdoc />
    protected override Formula Function => default;

    /// <summary>SiLU's function.</summary>
    public readonly struct Formula : IScalarFunction
    {
        /// <inheritdoc />
        public float Value(float x) => x * Logistic(x);
        /// <inheritdoc />
        public float Slope(float x, float y)
        {
            float s = Logistic(x);
            return s * (1 + x * (1 - s));
        }
        /// <inheritdoc />
        public Vector256<float> Value(Vector256<float> x) => x * Logistic(x);
        /// <inheritdoc />
        public Vector256<float> Slope(Vector256<float> x, Vector256<float> y)
        {
            var s = Logistic(x);
            return s * (Vector256<float>.One + x * (Vector256<float>.One - s));
        }
    }

    /// <summary>1 / (1 + e^-x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Logistic(float x) => 1 / (1 + MathF.Exp(-x));

    /// <summary>1 / (1 + e^-x) on 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Logistic(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new SiLUConfig();
}

/// <summary>Options of an <see cref="ELU"/> layer.</summary>
public sealed record ELUConfig(float Alpha = 1f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new ELU(Alpha);
}

/// <summary>Options of a <see cref="SELU"/> layer.</summary>
public sealed record SELUConfig(float Alpha = SELU.DefaultAlpha, float Gamma = SELU.DefaultGamma) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new SELU(Alpha, Gamma);
}

/// <summary>Options of a <see cref="CELU"/> layer.</summary>
public sealed record CELUConfig(float Alpha = 1f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new CELU(Alpha);
}

/// <summary>Options of a <see cref="Softplus"/> layer (none).</summary>
public sealed record SoftplusConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Softplus();
}

/// <summary>Options of a <see cref="Softsign"/> layer (none).</summary>
public sealed record SoftsignConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Softsign();
}

/// <summary>Options of a <see cref="ThresholdedReLU"/> layer.</summary>
public sealed record ThresholdedReLUConfig(float Alpha = 1f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new ThresholdedReLU(Alpha);
}

/// <summary>Options of a <see cref="GELU"/> layer.</summary>
public sealed record GELUConfig(string Approximate = "none") : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new GELU(Approximate);
}

/// <summary>Options of a <see cref="Mish"/> layer (none).</summary>
public sealed record MishConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Mish();
}

/// <summary>Options of a <see cref="SiLU"/> layer (none).</summary>
public sealed record SiLUConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new SiLU();
}

