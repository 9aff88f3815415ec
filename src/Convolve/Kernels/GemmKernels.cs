using Convolve.Kernels.Cpu;

namespace Convolve.Kernels;

/// <summary>The matrix-multiply kernels layers use unless told otherwise.</summary>
public static class GemmKernels
{
    /// <summary>The fastest matrix multiply available: currently <see cref="SimpleGemm"/>.</summary>
    public static IGemmKernel Default => SimpleGemm.Instance;
}
