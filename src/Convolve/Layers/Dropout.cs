using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// In training, zeroes each element with probability <c>rate</c> and scales the others by
/// 1 / (1 - rate), so that the expected value is unchanged ("inverted" dropout); in evaluation
/// it passes the input through. The mask is a pure function of (seed, call number, element):
/// a counter-based generator, so a seeded run repeats exactly and a resumed run can continue
/// the sequence by restoring <see cref="Layer.RandomState"/>. The seed is drawn when the
/// model's parameters are reset.
/// </summary>
public sealed class Dropout : Layer
{
    private ulong seed;
    private long calls;
    private Tensor? output, dInput;
    private float[] mask = [];
    private bool lastWasTraining;

    /// <summary>Dropout of a fraction <paramref name="rate"/> of the values in training; the identity in evaluation.</summary>
    /// <param name="rate">The probability of zeroing each value, in [0, 1); kept values are scaled by 1 / (1 - rate).</param>
    /// <exception cref="ArgumentException"><paramref name="rate"/> is outside [0, 1).</exception>
    public Dropout(float rate = 0.5f)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentException($"Dropout: rate must be in [0, 1), got {rate}.");
        Rate = rate;
    }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public Dropout(DropoutConfig config) : this(config.Rate) { }

    /// <summary>The probability that an element is dropped in training.</summary>
    public float Rate { get; }

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape) => inputShape;

    /// <inheritdoc />
    public override void ResetParameters(Random random)
    {
        seed = (ulong)random.NextInt64();
        calls = 0;
    }

    /// <summary>The mask generator's seed and the number of training calls made so far.</summary>
    public override long[]? RandomState
    {
        get => [(long)seed, calls];
        set
        {
            if (value is not [var s, var c]) throw new ArgumentException($"{this}: random state has two values (seed, calls).");
            (seed, calls) = ((ulong)s, c);
        }
    }

    /// <inheritdoc />
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
        ulong stream = seed ^ (ulong)calls++ * 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = UnitInterval(stream + (ulong)i) < Rate ? 0 : scale;
            y[i] = x[i] * mask[i];
        }
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, dOutput.Shape);
        if (lastWasTraining) System.Numerics.Tensors.TensorPrimitives.Multiply(dOutput.Span, mask, result.Span);
        else dOutput.Span.CopyTo(result.Span);
        return result;
    }

    // SplitMix64's output function of a counter, mapped to [0, 1) with 24 bits.
    private static float UnitInterval(ulong counter)
    {
        ulong z = counter * 0x9E3779B97F4A7C15UL + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1f / (1 << 24));
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new DropoutConfig(Rate);

    /// <inheritdoc />
    protected override string ExtraDescription => $"rate={Rate}";
}

/// <summary>Options of a <see cref="Dropout"/> layer.</summary>
public sealed record DropoutConfig(float Rate = 0.5f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Dropout(this);
}
