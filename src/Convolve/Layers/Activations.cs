using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// A function applied to every element on its own; the output has the input's shape, and
/// dInput = dOutput * f'(input), computed from whichever of input and output is cheaper.
/// </summary>
public abstract class Activation : Layer
{
    private Tensor? input, output, dInput;

    public sealed override Shape GetOutputShape(Shape inputShape) => inputShape;

    public sealed override Tensor Forward(Tensor input, bool training = false)
    {
        this.input = input;
        var result = Tensor.Reuse(ref output, input.Shape);
        Apply(input.Span, result.Span);
        return result;
    }

    public sealed override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
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

    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        for (int i = 0; i < dInput.Length; i++) dInput[i] = input[i] > 0 ? dOutput[i] : 0;
    }

    public override LayerConfig GetConfig() => new ReLUConfig();
}

/// <summary>x for x &gt; 0, alpha * x otherwise (alpha defaults to 0.01, as in PyTorch).</summary>
public sealed class LeakyReLU(float alpha = 0.01f) : Activation
{
    /// <summary>The slope for negative inputs.</summary>
    public float Alpha { get; } = alpha;

    protected override void Apply(ReadOnlySpan<float> input, Span<float> output)
    {
        for (int i = 0; i < output.Length; i++) output[i] = input[i] > 0 ? input[i] : Alpha * input[i];
    }

    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        for (int i = 0; i < dInput.Length; i++) dInput[i] = input[i] > 0 ? dOutput[i] : Alpha * dOutput[i];
    }

    public override LayerConfig GetConfig() => new LeakyReLUConfig(Alpha);

    protected override string ExtraDescription => Alpha == 0.01f ? "" : $"alpha={Alpha}";
}

/// <summary>1 / (1 + e^-x); f' = y(1 - y).</summary>
public sealed class Sigmoid : Activation
{
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Sigmoid(input, output);

    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        for (int i = 0; i < dInput.Length; i++) dInput[i] = dOutput[i] * output[i] * (1 - output[i]);
    }

    public override LayerConfig GetConfig() => new SigmoidConfig();
}

/// <summary>tanh(x); f' = 1 - y^2.</summary>
public sealed class Tanh : Activation
{
    protected override void Apply(ReadOnlySpan<float> input, Span<float> output) => TensorPrimitives.Tanh(input, output);

    protected override void Derive(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        for (int i = 0; i < dInput.Length; i++) dInput[i] = dOutput[i] * (1 - output[i] * output[i]);
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
