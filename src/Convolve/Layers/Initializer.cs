namespace Convolve.Layers;

/// <summary>How a weight tensor is filled before training.</summary>
public enum Initializer
{
    /// <summary>
    /// He (Kaiming) uniform: U(-sqrt(6 / fanIn), +sqrt(6 / fanIn)). Keeps the variance of
    /// activations steady through ReLU layers, which zero half their inputs.
    /// </summary>
    HeUniform,

    /// <summary>He (Kaiming) normal: N(0, 2 / fanIn).</summary>
    HeNormal,

    /// <summary>
    /// Glorot (Xavier) uniform: U(-sqrt(6 / (fanIn + fanOut)), +sqrt(6 / (fanIn + fanOut))).
    /// Balances forward and backward variance for layers without ReLU, such as a classifier head.
    /// </summary>
    GlorotUniform,

    /// <summary>Glorot (Xavier) normal: N(0, 2 / (fanIn + fanOut)).</summary>
    GlorotNormal,

    /// <summary>All zeros.</summary>
    Zeros,
}

/// <summary>Fills spans according to an <see cref="Initializer"/>.</summary>
public static class Initializers
{
    /// <summary>
    /// Fills <paramref name="values"/>. fanIn is the number of inputs of one output unit
    /// (C/groups * kH * kW for a convolution), fanOut the number of outputs one input feeds.
    /// </summary>
    public static void Fill(Span<float> values, Initializer kind, int fanIn, int fanOut, Random random)
    {
        switch (kind)
        {
            case Initializer.HeUniform: Uniform(values, MathF.Sqrt(6f / fanIn), random); break;
            case Initializer.HeNormal: Normal(values, MathF.Sqrt(2f / fanIn), random); break;
            case Initializer.GlorotUniform: Uniform(values, MathF.Sqrt(6f / (fanIn + fanOut)), random); break;
            case Initializer.GlorotNormal: Normal(values, MathF.Sqrt(2f / (fanIn + fanOut)), random); break;
            case Initializer.Zeros: values.Clear(); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown initializer.");
        }
    }

    /// <summary>Uniform values in [-limit, +limit).</summary>
    public static void Uniform(Span<float> values, float limit, Random random)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * limit);
    }

    /// <summary>Normal values with mean 0 and the given standard deviation (Box-Muller).</summary>
    public static void Normal(Span<float> values, float std, Random random)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)(NextGaussian(random) * std);
    }

    /// <summary>One draw from N(0, 1).</summary>
    public static double NextGaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(); // in (0, 1], so the log is finite
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
