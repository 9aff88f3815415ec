using Convolve.Kernels.Reference;

namespace Convolve.Kernels;

/// <summary>Which implementation a convolution uses. All compute the same numbers up to float rounding.</summary>
public enum Conv2DAlgorithm
{
    /// <summary>The fastest kernel available for the shape (see <see cref="Conv2DKernels.Create"/>).</summary>
    Auto,

    /// <summary>Direct loops (<see cref="Conv2DReference"/>): the definition, slow, for tests and odd cases.</summary>
    Reference,
}

/// <summary>Creates convolution kernels.</summary>
public static class Conv2DKernels
{
    /// <summary>
    /// A kernel for <paramref name="algorithm"/>. A kernel may keep scratch buffers, so each
    /// layer owns its own instance.
    /// </summary>
    public static IConv2DKernel Create(Conv2DAlgorithm algorithm) => algorithm switch
    {
        Conv2DAlgorithm.Reference => Conv2DReference.Instance,
        Conv2DAlgorithm.Auto => Conv2DReference.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown convolution algorithm."),
    };
}
