using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels;

/// <summary>Which implementation a convolution uses. All compute the same numbers up to float rounding.</summary>
public enum Conv2DAlgorithm
{
    /// <summary>
    /// The fastest kernel available: currently <see cref="Im2ColGemm"/> for every shape (see
    /// <see cref="Conv2DKernels.Create"/>).
    /// </summary>
    Auto,

    /// <summary>Direct loops (<see cref="Conv2DReference"/>): the definition, slow, for tests and odd cases.</summary>
    Reference,

    /// <summary>
    /// im2col plus the blocked matrix multiply (<see cref="Conv2DIm2ColGemm"/>); 1x1 stride-1
    /// unpadded convolutions skip im2col and multiply the tensors directly. Fast for every shape
    /// the layers meet (tens of times the direct loops on typical 3x3 layers); costs a scratch
    /// buffer of (C/groups * kH * kW) x (H_out * W_out) floats per thread, and gains least on
    /// tiny images with few channels, where the multiply's 12 x 32 tiles are mostly padding.
    /// </summary>
    Im2ColGemm,
}

/// <summary>Creates convolution kernels.</summary>
public static class Conv2DKernels
{
    /// <summary>
    /// A kernel for <paramref name="algorithm"/>. A kernel may keep scratch buffers, so each
    /// layer owns its own instance: stateful kernels are new on every call.
    /// <see cref="Conv2DAlgorithm.Auto"/> picks <see cref="Conv2DAlgorithm.Im2ColGemm"/>: it wins on
    /// every shape measured, and it handles every geometry (groups, strides, asymmetric padding,
    /// dilation), so there is no shape for which the direct loops are the better default.
    /// </summary>
    /// <param name="maxThreads">The most threads the kernel uses; 0 for one per core (the reference uses one).</param>
    public static IConv2DKernel Create(Conv2DAlgorithm algorithm, int maxThreads = 0) => algorithm switch
    {
        Conv2DAlgorithm.Reference => Conv2DReference.Instance,
        Conv2DAlgorithm.Auto or Conv2DAlgorithm.Im2ColGemm => new Conv2DIm2ColGemm(maxThreads),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown convolution algorithm."),
    };
}
