using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// In training, zeroes each element with probability <c>rate</c> and scales the others by
/// 1 / (1 - rate), so that the expected value is unchanged ("inverted" dropout); in evaluation
/// it passes the input through. The mask comes from the layer's own random source, seeded when
/// the model's parameters are reset, so a seeded run repeats exactly.
/// </summary>
public sealed class Dropout : Layer
{
    private Random random = new(0);
    private Tensor? output, dInput;
    private float[] mask = [];
    private bool lastWasTraining;

    public Dropout(float rate = 0.5f)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentException($"Dropout: rate must be in [0, 1), got {rate}.");
        Rate = rate;
    }

    public Dropout(DropoutConfig config) : this(config.Rate) { }

    /// <summary>The probability that an element is dropped in training.</summary>
    public float Rate { get; }

    public override Shape GetOutputShape(Shape inputShape) => inputShape;

    public override void ResetParameters(Random random) => this.random = new Random(random.Next());

    public override Tensor Forward(Tensor input, bool training = false)
    {
        lastWasTraining = training && Rate > 0;
        var result = Tensor.Reuse(ref output, input.Shape);
        if (!lastWasTraining)
        {
            input.Span.CopyTo(result.Span);
            return result;
        }
        if (mask.Length != input.Length) mask = new float[input.Length];
        float scale = 1 / (1 - Rate);
        var x = input.Span;
        var y = result.Span;
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = random.NextSingle() < Rate ? 0 : scale;
            y[i] = x[i] * mask[i];
        }
        return result;
    }

    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, dOutput.Shape);
        if (lastWasTraining) System.Numerics.Tensors.TensorPrimitives.Multiply(dOutput.Span, mask, result.Span);
        else dOutput.Span.CopyTo(result.Span);
        return result;
    }

    public override LayerConfig GetConfig() => new DropoutConfig(Rate);

    protected override string ExtraDescription => $"rate={Rate}";
}

/// <summary>Options of a <see cref="Dropout"/> layer.</summary>
public sealed record DropoutConfig(float Rate = 0.5f) : LayerConfig
{
    public override Layer CreateLayer() => new Dropout(this);
}
