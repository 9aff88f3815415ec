namespace Convolve.Kernels;

/// <summary>
/// One implementation of 2-D convolution. The reference kernel defines the operation; fast
/// kernels must compute the same numbers (up to float rounding) and are tested against it.
/// All spans are dense NCHW (see <see cref="Conv2DGeometry"/>); an empty bias means no bias.
/// </summary>
public interface IConv2DKernel
{
    /// <summary>output = conv(input, weight) + bias. Overwrites <paramref name="output"/>.</summary>
    void Forward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output);

    /// <summary>dInput = transposed convolution of dOutput with weight. Overwrites <paramref name="dInput"/>.</summary>
    void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight,
        Span<float> dInput);

    /// <summary>
    /// dWeight += correlation of input with dOutput; dBias += sum of dOutput per channel
    /// (skipped when <paramref name="dBias"/> is empty). Accumulates.
    /// </summary>
    void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias);
}
