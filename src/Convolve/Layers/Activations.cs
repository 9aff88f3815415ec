using System.Runtime.Intrinsics;
using System.Text.Json.Serialization;
using Convolve.Kernels.Cpu;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>
/// A function applied to every element on its own; the output has the input's shape, and
/// dInput = dOutput * f'(input), computed from whichever of input and output is cheaper.
/// </summary>
public abstract class Activation : Layer
{
    private Tensor? input, output, dInput;
    private Tensor? lastOutput; // output, or the layer before's when fused
    private bool fused;

    /// <inheritdoc />
    public sealed override Shape GetOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc />
    public sealed override Tensor Forward(Tensor input, bool training = false)
    {
        this.input = input;
        var result = Tensor.Reuse(ref output, input.Shape);
        Apply(input.Span, result.Span);
        lastOutput = result;
        fused = false;
        return result;
    }

    /// <summary>
    /// For a model whose layer before this one applied this function itself (a convolution with
    /// its ReLU fused, <see cref="Conv2D.ForwardRectified"/>): passes <paramref name="applied"/>
    /// through as this layer's output, and the next <see cref="Backward"/> passes dOutput
    /// through, the layer before applying the derivative.
    /// </summary>
    public Tensor ForwardFused(Tensor applied)
    {
        input = null;
        lastOutput = applied;
        fused = true;
        return applied;
    }

    /// <inheritdoc />
    public sealed override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, lastOutput);
        if (fused) return dOutput;
        var result = Tensor.Reuse(ref dInput, dOutput.Shape);
        Derive(input!.Span, output!.Span, dOutput.Span, result.Span);
        return result;
    }

    /// <summary>output[i] = f(input[i]).</summary>
    protected abstract void Apply(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>dInput[i] = dOutput[i] * f'(input[i]), where output[i] = f(input[i]).</summary>
    protected abstract void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput);
}

/// <summary>max(0, x). The gradient at 0 is taken as 0.</summary>
public sealed class ReLU : Activation
{
    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Max(input, 0f, output);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new Gate(0), input, dOutput, dInput);

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new ReLUConfig();

    /// <summary>(x, dy) -> dy where x &gt; 0, else slope * dy: the gradient of ReLU (slope 0) and LeakyReLU.</summary>
    internal readonly struct Gate(float slope) : IBinaryOperator
    {
        public float Invoke(float x, float dy) => x > 0 ? dy : slope * dy;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, dy * slope);
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy, dy * slope);
    }
}

/// <summary>x for x &gt; 0, alpha * x otherwise (alpha defaults to 0.01, as in PyTorch).</summary>
public sealed class LeakyReLU(float alpha = 0.01f) : Activation
{
    /// <summary>The slope for negative inputs.</summary>
    public float Alpha { get; } = alpha;

    // Gating x by itself gives x for x > 0 and alpha * x otherwise: the function itself.
    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Elementwise.Apply(new ReLU.Gate(Alpha), input, input, output);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new ReLU.Gate(Alpha), input, dOutput, dInput);

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new LeakyReLUConfig(Alpha);

    /// <inheritdoc />
    protected override string ExtraDescription => Alpha == 0.01f ? "" : $"alpha={Alpha}";
}

/// <summary>1 / (1 + e^-x); f' = y(1 - y).</summary>
public sealed class Sigmoid : Activation
{
    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Sigmoid(input, output);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new Slope(), output, dOutput, dInput);

    /// <summary>(y, dy) -> dy * y * (1 - y).</summary>
    private readonly struct Slope : IBinaryOperator
    {
        public float Invoke(float y, float dy) => dy * y * (1 - y);
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * y * (Vector256<float>.One - y);
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * y * (Vector512<float>.One - y);
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new SigmoidConfig();
}

/// <summary>tanh(x); f' = 1 - y^2.</summary>
public sealed class Tanh : Activation
{
    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Tanh(input, output);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new Slope(), output, dOutput, dInput);

    /// <summary>(y, dy) -> dy * (1 - y^2).</summary>
    private readonly struct Slope : IBinaryOperator
    {
        public float Invoke(float y, float dy) => dy * (1 - y * y);
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (Vector512<float>.One - y * y);
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new TanhConfig();
}

/// <summary>
/// min(max(x, Min), Max) (ONNX's Clip; ReLU6 is Clip(0, 6)). The gradient is dOutput strictly
/// inside (Min, Max) and 0 elsewhere, the boundaries included: at x = Min or x = Max it is 0, the
/// rule this library's ReLU uses at 0, so Clip(0, +inf) and ReLU have one gradient (PyTorch's clamp
/// counts the boundaries as inside instead). Either bound may be infinite.
/// </summary>
public sealed class Clip : Activation
{
    /// <summary>A clip to [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <param name="min">The lower bound; minus infinity for none.</param>
    /// <param name="max">The upper bound, at least <paramref name="min"/>; plus infinity for none.</param>
    /// <exception cref="ArgumentException">A bound is NaN or <paramref name="min"/> is above <paramref name="max"/>.</exception>
    public Clip(float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        if (float.IsNaN(min) || float.IsNaN(max) || min > max)
            throw new ArgumentException($"Clip: expected min <= max, got min={min}, max={max}.");
        Min = min;
        Max = max;
    }

    /// <summary>The lower bound.</summary>
    public float Min { get; }

    /// <summary>The upper bound.</summary>
    public float Max { get; }

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Elementwise.Apply(new Line(1, 0, Min, Max), input, input, output);

    /// <summary>
    /// (x, _) -> min(max(slope * x + offset, low), high) in one pass: Clip, HardSigmoid and, with
    /// <see cref="Times"/>, HardSwish (a pass per TensorPrimitives step made HardSwish five passes).
    /// NaN stays NaN, as with TensorPrimitives.Max and Min.
    /// </summary>
    internal readonly struct Line(float slope, float offset, float low, float high, bool times = false) : IBinaryOperator
    {
        /// <summary>The same line multiplied by x: x * min(max(slope * x + offset, low), high).</summary>
        public Line Times => new(slope, offset, low, high, times: true);

        public float Invoke(float x, float y)
        {
            float value = MathF.Min(MathF.Max(slope * x + offset, low), high);
            return times ? x * value : value;
        }
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y)
        {
            var value = Vector256.Min(Vector256.Max(x * slope + Vector256.Create(offset), Vector256.Create(low)), Vector256.Create(high));
            return times ? x * value : value;
        }
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y)
        {
            var value = Vector512.Min(Vector512.Max(x * slope + Vector512.Create(offset), Vector512.Create(low)), Vector512.Create(high));
            return times ? x * value : value;
        }
    }

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new Inside(Min, Max), input, dOutput, dInput);

    /// <summary>(x, dy) -> dy where low &lt; x &lt; high, else 0.</summary>
    internal readonly struct Inside(float low, float high) : IBinaryOperator
    {
        public float Invoke(float x, float dy) => x > low && x < high ? dy : 0;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) =>
            dy & Vector256.GreaterThan(x, Vector256.Create(low)) & Vector256.LessThan(x, Vector256.Create(high));
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) =>
            dy & Vector512.GreaterThan(x, Vector512.Create(low)) & Vector512.LessThan(x, Vector512.Create(high));
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new ClipConfig(Min, Max);

    /// <inheritdoc />
    protected override string ExtraDescription =>
        string.Join(", ", new[] { float.IsNegativeInfinity(Min) ? null : $"min={Min}", float.IsPositiveInfinity(Max) ? null : $"max={Max}" }.OfType<string>());
}

/// <summary>
/// max(0, min(1, alpha * x + beta)) (ONNX's HardSigmoid; alpha 0.2 and beta 0.5 by default, as in
/// ONNX). The gradient is alpha * dOutput where 0 &lt; output &lt; 1 and 0 elsewhere, the two
/// kinks included (see <see cref="Clip"/>).
/// </summary>
public sealed class HardSigmoid(float alpha = 0.2f, float beta = 0.5f) : Activation
{
    /// <summary>The slope.</summary>
    public float Alpha { get; } = alpha;

    /// <summary>The value at 0.</summary>
    public float Beta { get; } = beta;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Elementwise.Apply(new Clip.Line(Alpha, Beta, 0, 1), input, input, output);

    // Where the output is strictly between 0 and 1, the function is the line alpha * x + beta.
    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        Elementwise.Apply(new Clip.Inside(0, 1), output, dOutput, dInput);
        TensorPrimitives.Multiply(dInput, Alpha, dInput);
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new HardSigmoidConfig(Alpha, Beta);

    /// <inheritdoc />
    protected override string ExtraDescription =>
        string.Join(", ", new[] { Alpha == 0.2f ? null : $"alpha={Alpha}", Beta == 0.5f ? null : $"beta={Beta}" }.OfType<string>());
}

/// <summary>
/// x * HardSigmoid(x) with alpha 1/6 and beta 0.5, i.e. x * clamp(x / 6 + 1/2, 0, 1) (ONNX's
/// HardSwish). f' = x / 3 + 1/2 for -3 &lt; x &lt; 3, 0 for x &lt;= -3 and 1 for x &gt;= 3: at the
/// kinks the gradient is the outside one (PyTorch takes the inside one at both).
/// </summary>
public sealed class HardSwish : Activation
{
    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Elementwise.Apply(new Clip.Line(1f / 6, 0.5f, 0, 1).Times, input, input, output);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new Slope(), input, dOutput, dInput);

    /// <summary>(x, dy) -> dy * (x &lt;= -3 ? 0 : x &gt;= 3 ? 1 : x / 3 + 1/2).</summary>
    private readonly struct Slope : IBinaryOperator
    {
        public float Invoke(float x, float dy) => x <= -3 ? 0 : x >= 3 ? dy : dy * (x * (1f / 3) + 0.5f);
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            var slope = x * (1f / 3) + Vector256.Create(0.5f);
            slope = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256.Create(3f)), Vector256<float>.One, slope);
            return dy * (slope & Vector256.GreaterThan(x, Vector256.Create(-3f)));
        }
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            var slope = x * (1f / 3) + Vector512.Create(0.5f);
            slope = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512.Create(3f)), Vector512<float>.One, slope);
            return dy * (slope & Vector512.GreaterThan(x, Vector512.Create(-3f)));
        }
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new HardSwishConfig();
}

/// <summary>Options of a <see cref="ReLU"/> layer (none).</summary>
public sealed record ReLUConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new ReLU();
}

/// <summary>Options of a <see cref="LeakyReLU"/> layer.</summary>
public sealed record LeakyReLUConfig(float Alpha = 0.01f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new LeakyReLU(Alpha);
}

/// <summary>Options of a <see cref="Sigmoid"/> layer (none).</summary>
public sealed record SigmoidConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Sigmoid();
}

/// <summary>Options of a <see cref="Tanh"/> layer (none).</summary>
public sealed record TanhConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Tanh();
}

/// <summary>Options of a <see cref="Clip"/> layer; infinite bounds are written as "Infinity" / "-Infinity".</summary>
public sealed record ClipConfig(
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] float Min = float.NegativeInfinity,
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] float Max = float.PositiveInfinity) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Clip(Min, Max);
}

/// <summary>Options of a <see cref="HardSigmoid"/> layer.</summary>
public sealed record HardSigmoidConfig(float Alpha = 0.2f, float Beta = 0.5f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new HardSigmoid(Alpha, Beta);
}

/// <summary>Options of a <see cref="HardSwish"/> layer (none).</summary>
public sealed record HardSwishConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new HardSwish();
}
