namespace Convolve.Kernels;

/// <summary>
/// Sizes of a 2-D pooling over [N, C, H, W]. Output rows:
/// <c>OutH = floor((H + PadTop + PadBottom - DilationH*(KernelH-1) - 1) / StrideH) + 1</c>, or with
/// <see cref="CeilMode"/> the ceiling instead of the floor, dropping a last window that would start
/// in the bottom padding (PyTorch's rule). Columns likewise.
/// </summary>
public readonly record struct Pool2DGeometry(
    int Batch, int Channels, int InH, int InW, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1, bool CeilMode = false)
{
    /// <summary>Output rows (see the type's summary).</summary>
    public int OutH => OutputSize(InH, KernelH, StrideH, PadTop, PadBottom, DilationH, CeilMode);
    /// <summary>Output columns (see the type's summary).</summary>
    public int OutW => OutputSize(InW, KernelW, StrideW, PadLeft, PadRight, DilationW, CeilMode);
    /// <summary>Elements of the input tensor, N * C * H * W.</summary>
    public int InputLength => Batch * Channels * InH * InW;
    /// <summary>Elements of the output tensor, N * C * OutH * OutW.</summary>
    public int OutputLength => Batch * Channels * OutH * OutW;

    /// <summary>Output length along one axis (see the type's summary).</summary>
    public static int OutputSize(int n, int k, int s, int padBegin, int padEnd, int d, bool ceilMode)
    {
        int span = n + padBegin + padEnd - d * (k - 1) - 1;
        if (span < 0) return 0;
        int outSize = (ceilMode ? (span + s - 1) / s : span / s) + 1;
        if (ceilMode && (outSize - 1) * s >= n + padBegin) outSize--;
        return outSize;
    }
}
