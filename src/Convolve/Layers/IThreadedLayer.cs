namespace Convolve.Layers;

/// <summary>
/// A layer whose kernels split work across threads. <see cref="MaxThreads"/> caps them: 0 (the
/// default) means one per core. Results never depend on scheduling; a few sums (a convolution's
/// weight gradient) are split per thread, so their rounding can differ between thread counts.
/// </summary>
public interface IThreadedLayer
{
    /// <summary>The most threads one call uses; 0 for one per core.</summary>
    int MaxThreads { get; set; }
}
