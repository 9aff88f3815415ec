using System.Runtime.Intrinsics;
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

    public sealed override Shape GetOutputShape(Shape inputShape) => inputShape;

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
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Max(input, 0f, output);

    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new Gate(0), input, dOutput, dInput);

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
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Elementwise.Apply(new ReLU.Gate(Alpha), input, input, output);

    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new ReLU.Gate(Alpha), input, dOutput, dInput);

    public override LayerConfig GetConfig() => new LeakyReLUConfig(Alpha);

    protected override string ExtraDescription => Alpha == 0.01f ? "" : $"alpha={Alpha}";
}

/// <summary>1 / (1 + e^-x); f' = y(1 - y).</summary>
public sealed class Sigmoid : Activation
{
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Sigmoid(input, output);

    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new Slope(), output, dOutput, dInput);

    /// <summary>(y, dy) -> dy * y * (1 - y).</summary>
    private readonly struct Slope : IBinaryOperator
    {
        public float Invoke(float y, float dy) => dy * y * (1 - y);
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * y * (Vector256<float>.One - y);
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * y * (Vector512<float>.One - y);
    }

    public override LayerConfig GetConfig() => new SigmoidConfig();
}

/// <summary>tanh(x); f' = 1 - y^2.</summary>
public sealed class Tanh : Activation
{
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Tanh(input, output);

    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput) =>
        Elementwise.Apply(new Slope(), output, dOutput, dInput);

    /// <summary>(y, dy) -> dy * (1 - y^2).</summary>
    private readonly struct Slope : IBinaryOperator
    {
        public float Invoke(float y, float dy) => dy * (1 - y * y);
        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);
        public Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (Vector512<float>.One - y * y);
    }

    public override LayerConfig GetConfig() => new TanhConfig();
}

/// <summary>Options of a <see cref="ReLU"/> layer (none).</summary>
public sealed record ReLUConfig : LayerConfig { public override Layer CreateLayer() => new ReLU(); }

/// <summary>Options of a <see cref="LeakyReLU"/> layer.</summary>
public sealed record LeakyReLUConfig(float Alpha = 0.01f) : LayerConfig { public override Layer CreateLayer() => new LeakyReLU(Alpha); }

/// <summary>Options of a <see cref="Sigmoid"/> layer (none).</summary>
public sealed record SigmoidConfig : LayerConfig { public override Layer CreateLayer() => new Sigmoid(); }

/// <summary>Options of a <see cref="Tanh"/> layer (none).</summary>
public sealed record TanhConfig : LayerConfig { public override Layer CreateLayer() => new Tanh(); }
