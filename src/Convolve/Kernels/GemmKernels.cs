using Convolve.Kernels.Cpu;

namespace Convolve.Kernels;

/// <summary>The matrix-multiply kernels layers use unless told otherwise.</summary>
internal static class GemmKernels
{
    /// <summary>The fastest matrix multiply available: the blocked <see cref="Gemm"/> on the widest vectors the machine has, all cores.</summary>
    public static IGemmKernel Default => Gemm.Instance;

    /// <summary>The fastest matrix multiply using at most <paramref name="maxThreads"/> threads (0: one per core).</summary>
    public static IGemmKernel WithThreads(int maxThreads) => maxThreads == 0 ? Default : new Gemm(maxThreads);
}
