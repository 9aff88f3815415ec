namespace Convolve.Kernels;

/// <summary>
/// The passes of a convolution, as <see cref="Conv2DDispatch"/> chooses a kernel for each.
/// </summary>
internal enum Conv2DPass
{
    /// <summary>output = conv(input, weight) + bias, optionally rectified (<see cref="IConv2DForward"/>).</summary>
    Forward,

    /// <summary>2x2 max pooling of the rectified forward pass without writing it (inference; <see cref="IConv2DPooledForward"/>).</summary>
    ForwardPooled,

    /// <summary>dInput, the transposed convolution of dOutput (<see cref="IConv2DBackwardInput"/>).</summary>
    BackwardInput,

    /// <summary>dWeight and dBias (<see cref="IConv2DBackwardWeight"/>).</summary>
    BackwardWeight,

    /// <summary>Both gradients in one pass over the batch (<see cref="IConv2DFusedBackward"/>).</summary>
    Backward,
}

/// <summary>
/// The forward pass of a convolution. All spans are dense NCHW (see <see cref="Conv2DGeometry"/>);
/// an empty bias means no bias. Fast kernels compute the reference kernel's numbers up to float
/// rounding and are tested against it.
/// </summary>
internal interface IConv2DForward
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
    /// <see cref="IConv2DBackwardWeight.BackwardWeight"/> call on the same input that follows.
    /// The default keeps nothing.
    /// </summary>
    void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify)
    {
        if (rectify) ForwardRectified(g, input, weight, bias, output);
        else Forward(g, input, weight, bias, output);
    }
}

/// <summary>The input gradient of a convolution.</summary>
internal interface IConv2DBackwardInput
{
    /// <summary>dInput = transposed convolution of dOutput with weight. Overwrites <paramref name="dInput"/>.</summary>
    void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight,
        Span<float> dInput);
}

/// <summary>The parameter gradients of a convolution.</summary>
internal interface IConv2DBackwardWeight
{
    /// <summary>
    /// dWeight += correlation of input with dOutput; dBias += sum of dOutput per channel
    /// (skipped when <paramref name="dBias"/> is empty). Accumulates.
    /// </summary>
    void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias);
}

/// <summary>
/// A kernel that computes every pass of every geometry: the reference loops, im2col + GEMM, and
/// the dispatcher (<see cref="Conv2DDispatcher"/>) that routes each pass to the kernel chosen for it.
/// </summary>
internal interface IConv2DKernel : IConv2DForward, IConv2DBackwardInput, IConv2DBackwardWeight;

/// <summary>
/// Both gradients of a convolution in one pass over the batch (each image's dOutput read once
/// while it is in cache), with the backward pass of a ReLU fused into the forward pass applied
/// on the way.
/// </summary>
internal interface IConv2DFusedBackward
{
    /// <summary>
    /// dInput = the input gradient; dWeight and dBias (unless empty) += the parameter gradients.
    /// With <paramref name="rectifiedOutput"/> not empty (the forward pass's max(0, conv)),
    /// dOutput counts only where it is positive: the ReLU's own backward pass.
    /// </summary>
    void Backward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> rectifiedOutput,
        ReadOnlySpan<float> weight, Span<float> dInput, Span<float> dWeight, Span<float> dBias);
}

/// <summary>
/// A convolution, a ReLU and a 2x2 max pooling in one pass, without writing the convolution's
/// output (inference).
/// </summary>
internal interface IConv2DPooledForward
{
    /// <summary>pooled [N, K, H_out / 2, W_out / 2] = maxpool2x2(max(0, conv(input, weight) + bias)).</summary>
    void ForwardRectifiedPooled(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> pooled);
}
