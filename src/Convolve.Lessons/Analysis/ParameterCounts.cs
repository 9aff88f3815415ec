namespace Convolve.Analysis;

/// <summary>How many numbers a layer learns, with weights and biases kept apart.</summary>
public readonly record struct ParameterCount(long Weights, long Biases)
{
    /// <summary>Weights plus biases.</summary>
    public long Total => Weights + Biases;
}

/// <summary>
/// Parameter counts of a fully connected layer and of a convolution, by formula. The formulas are
/// the sizes of the tensors that <see cref="Layers.Dense"/> and <see cref="Layers.Conv2D"/> create
/// (the tests check them against those layers), so huge layers can be counted without allocating them.
/// </summary>
public static class ParameterCounts
{
    /// <summary>
    /// A dense layer from <paramref name="inputs"/> to <paramref name="units"/>: one weight per
    /// (input, unit) pair and one bias per unit.
    /// </summary>
    public static ParameterCount Dense(long inputs, long units, bool bias = true)
    {
        RequirePositive(inputs, nameof(inputs));
        RequirePositive(units, nameof(units));
        return new ParameterCount(checked(inputs * units), bias ? units : 0);
    }

    /// <summary>
    /// A dense layer fed with a whole image of <paramref name="height"/> x <paramref name="width"/> x
    /// <paramref name="channels"/> values (flattened).
    /// </summary>
    public static ParameterCount DenseOnImage(long height, long width, long channels, long units, bool bias = true)
    {
        RequirePositive(height, nameof(height));
        RequirePositive(width, nameof(width));
        RequirePositive(channels, nameof(channels));
        return Dense(checked(height * width * channels), units, bias);
    }

    /// <summary>
    /// A convolution with <paramref name="filters"/> filters of <paramref name="kernelH"/> x
    /// <paramref name="kernelW"/> x <paramref name="inChannels"/> weights each, and one bias per
    /// filter. The image size does not appear: the same filter is used at every position.
    /// </summary>
    public static ParameterCount Conv(long inChannels, long kernelH, long kernelW, long filters, bool bias = true)
    {
        RequirePositive(inChannels, nameof(inChannels));
        RequirePositive(kernelH, nameof(kernelH));
        RequirePositive(kernelW, nameof(kernelW));
        RequirePositive(filters, nameof(filters));
        return new ParameterCount(checked(filters * inChannels * kernelH * kernelW), bias ? filters : 0);
    }

    /// <summary>
    /// How many filters of <paramref name="inChannels"/> x <paramref name="kernelH"/> x
    /// <paramref name="kernelW"/> hold exactly <paramref name="weights"/> weights, or null if no
    /// whole number does (used to say which layer a quoted weight count belongs to).
    /// </summary>
    public static long? FiltersFor(long weights, long inChannels, long kernelH, long kernelW)
    {
        long perFilter = Conv(inChannels, kernelH, kernelW, 1).Weights;
        return weights > 0 && weights % perFilter == 0 ? weights / perFilter : null;
    }

    private static void RequirePositive(long value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, got {value}.");
    }
}
