using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels;

/// <summary>Which implementation a convolution uses. All compute the same numbers up to float rounding.</summary>
public enum Conv2DAlgorithm
{
    /// <summary>
    /// The fastest kernel available for each shape (see <see cref="Conv2DKernels.Create"/>):
    /// <see cref="Direct"/> where it applies, else <see cref="ChannelVector"/>, else
    /// <see cref="Winograd"/>, else <see cref="Im2ColGemm"/>.
    /// </summary>
    Auto,

    /// <summary>Direct loops (<see cref="Conv2DReference"/>): the definition, slow, for tests and odd cases.</summary>
    Reference,

    /// <summary>
    /// im2col plus the blocked matrix multiply (<see cref="Conv2DIm2ColGemm"/>); 1x1 stride-1
    /// unpadded convolutions skip im2col and multiply the tensors directly. Fast for every shape
    /// with many input channels; costs a scratch buffer of (C/groups * kH * kW) x (H_out * W_out)
    /// floats per thread, and gains least on layers with few input values per output, where the
    /// multiply's 12 x 32 tiles are mostly padding.
    /// </summary>
    Im2ColGemm,

    /// <summary>
    /// Vectorised direct convolution (<see cref="Conv2DDirect"/>) for layers with at most
    /// <see cref="Conv2DDirect.MaxTaps"/> input values per output, stride 1, no dilation or groups
    /// (first layers on images); every other shape, and the input gradient, via <see cref="Im2ColGemm"/>.
    /// </summary>
    Direct,

    /// <summary>
    /// Winograd F(2x2, 3x3) (<see cref="Conv2DWinograd"/>) for 3x3 stride-1 convolutions with
    /// at least <see cref="Conv2DWinograd.MinChannels"/> channels on both sides: 2.25x fewer
    /// multiplies in the forward pass and the input gradient; the weight gradient, and every
    /// other shape, via <see cref="Im2ColGemm"/>.
    /// </summary>
    Winograd,

    /// <summary>
    /// Direct convolution vectorised over output channels (<see cref="Conv2DChannelVector"/>) for
    /// stride-1 layers with 16 or 32 output channels on planes of at most
    /// <see cref="Conv2DChannelVector.MaxPlane"/> outputs (LeNet-5's second layer), where the
    /// multiply's tiles are mostly padding: all three passes, several times faster than im2col
    /// there; on such 3x3 layers the forward pass and weight gradient beat Winograd too (the
    /// automatic chain leaves their input gradient to Winograd). Every other shape via
    /// <see cref="Im2ColGemm"/>.
    /// </summary>
    ChannelVector,
}

/// <summary>
/// A kernel that can compute both gradients of a convolution in one pass over the batch (each
/// image's dOutput read once while it is in cache), with the backward pass of a ReLU fused
/// into the forward pass applied on the way.
/// </summary>
public interface IConv2DFusedBackwardKernel
{
    /// <summary>Whether <see cref="Backward"/> takes <paramref name="g"/>.</summary>
    bool CanBackward(in Conv2DGeometry g);

    /// <summary>
    /// dInput = the input gradient; dWeight and dBias (unless empty) += the parameter gradients.
    /// With <paramref name="rectifiedOutput"/> not empty (the forward pass's max(0, conv)),
    /// dOutput counts only where it is positive: the ReLU's own backward pass.
    /// </summary>
    void Backward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> rectifiedOutput,
        ReadOnlySpan<float> weight, Span<float> dInput, Span<float> dWeight, Span<float> dBias);
}

/// <summary>
/// A kernel that can compute a convolution, a ReLU and a 2x2 max pooling in one pass for some
/// geometries, without writing the convolution's output (inference).
/// </summary>
public interface IConv2DPooledKernel
{
    /// <summary>Whether <see cref="ForwardRectifiedPooled"/> takes <paramref name="g"/>.</summary>
    bool CanForwardRectifiedPooled(in Conv2DGeometry g);

    /// <summary>pooled [N, K, H_out / 2, W_out / 2] = maxpool2x2(max(0, conv(input, weight) + bias)).</summary>
    void ForwardRectifiedPooled(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> pooled);
}

/// <summary>Creates convolution kernels.</summary>
public static class Conv2DKernels
{
    /// <summary>
    /// A kernel for <paramref name="algorithm"/>. A kernel may keep scratch buffers, so each
    /// layer owns its own instance: stateful kernels are new on every call.
    /// <see cref="Conv2DAlgorithm.Auto"/> chains the kernels: <see cref="Conv2DAlgorithm.Direct"/>
    /// on the shapes it takes (several times faster than im2col there), then
    /// <see cref="Conv2DAlgorithm.ChannelVector"/> (16 or 32 output channels on small planes), then
    /// <see cref="Conv2DAlgorithm.Winograd"/> (3x3 stride 1 with many channels), then im2col +
    /// GEMM (bench/Convolve.Benchmarks, conv mode, has the figures).
    /// </summary>
    /// <param name="maxThreads">The most threads the kernel uses; 0 for all cores.</param>
    public static IConv2DKernel Create(Conv2DAlgorithm algorithm, int maxThreads = 0) => algorithm switch
    {
        Conv2DAlgorithm.Reference => Conv2DReference.Instance,
        Conv2DAlgorithm.Im2ColGemm => new Conv2DIm2ColGemm(maxThreads),
        Conv2DAlgorithm.Direct => new Conv2DDirect(maxThreads),
        Conv2DAlgorithm.Winograd => new Conv2DWinograd(maxThreads),
        Conv2DAlgorithm.ChannelVector => new Conv2DChannelVector(maxThreads),
        Conv2DAlgorithm.Auto => new Conv2DDirect(maxThreads, new Conv2DChannelVector(maxThreads, new Conv2DWinograd(maxThreads))),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown convolution algorithm."),
    };
}
