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

    /// <summary>
    /// output = max(0, conv(input, weight) + bias): the convolution with the ReLU after it fused,
    /// so the output is written once. Kernels override it to rectify while the values are in
    /// registers or cache; this default rectifies in a second pass.
    /// </summary>
    void ForwardRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        Forward(g, input, weight, bias, output);
        var values = output[..g.OutputLength];
        System.Numerics.Tensors.TensorPrimitives.Max(values, 0f, values);
    }

    /// <summary>
    /// <see cref="Forward"/>, or <see cref="ForwardRectified"/> when <paramref name="rectify"/>,
    /// in a training step: a kernel may keep what it computed from the input for the
    /// <see cref="BackwardWeight"/> call on the same input that follows. The default keeps nothing.
    /// </summary>
    void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify)
    {
        if (rectify) ForwardRectified(g, input, weight, bias, output);
        else Forward(g, input, weight, bias, output);
    }

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
