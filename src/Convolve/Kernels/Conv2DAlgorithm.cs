using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels;

/// <summary>Which implementation a convolution uses. All compute the same numbers up to float rounding.</summary>
public enum Conv2DAlgorithm
{
    /// <summary>
    /// The fastest kernel available for each shape: currently <see cref="Direct"/>, which itself
    /// hands the shapes it does not take to <see cref="Im2ColGemm"/> (see <see cref="Conv2DKernels.Create"/>).
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
}

/// <summary>Creates convolution kernels.</summary>
public static class Conv2DKernels
{
    /// <summary>
    /// A kernel for <paramref name="algorithm"/>. A kernel may keep scratch buffers, so each
    /// layer owns its own instance: stateful kernels are new on every call.
    /// <see cref="Conv2DAlgorithm.Auto"/> picks <see cref="Conv2DAlgorithm.Direct"/>: on the
    /// shapes it takes it is several times faster than im2col (bench/Convolve.Benchmarks, conv
    /// mode), and it passes every other shape to im2col + GEMM.
    /// </summary>
    /// <param name="maxThreads">The most threads the kernel uses; 0 for all cores.</param>
    public static IConv2DKernel Create(Conv2DAlgorithm algorithm, int maxThreads = 0) => algorithm switch
    {
        Conv2DAlgorithm.Reference => Conv2DReference.Instance,
        Conv2DAlgorithm.Im2ColGemm => new Conv2DIm2ColGemm(maxThreads),
        Conv2DAlgorithm.Auto or Conv2DAlgorithm.Direct => new Conv2DDirect(maxThreads),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown convolution algorithm."),
    };
}
