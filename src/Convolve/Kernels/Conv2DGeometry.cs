namespace Convolve.Kernels;

/// <summary>
/// Everything a 2-D convolution kernel needs to know about sizes. Input is [N, C, H, W],
/// weight [K, C/Groups, KernelH, KernelW], output [N, K, OutH, OutW] with
/// <c>OutH = floor((H + PadTop + PadBottom - DilationH*(KernelH-1) - 1) / StrideH) + 1</c>
/// (and the same for W).
/// </summary>
public readonly record struct Conv2DGeometry(
    int Batch, int InChannels, int InH, int InW,
    int OutChannels, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1,
    int Groups = 1)
{
    /// <summary>Output rows.</summary>
    public int OutH => OutputSize(InH, KernelH, StrideH, PadTop + PadBottom, DilationH);

    /// <summary>Output columns.</summary>
    public int OutW => OutputSize(InW, KernelW, StrideW, PadLeft + PadRight, DilationW);

    /// <summary>Input channels seen by one group.</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Output channels produced by one group.</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Elements of the input tensor.</summary>
    public int InputLength => Batch * InChannels * InH * InW;

    /// <summary>Elements of the weight tensor.</summary>
    public int WeightLength => OutChannels * InChannelsPerGroup * KernelH * KernelW;

    /// <summary>Elements of the output tensor.</summary>
    public int OutputLength => Batch * OutChannels * OutH * OutW;

    /// <summary>
    /// Output length of a sliding window along one axis:
    /// <c>floor((n + totalPad - d(k-1) - 1) / s) + 1</c>; 0 or less means the window does not fit.
    /// </summary>
    public static int OutputSize(int n, int k, int s, int totalPad, int d) =>
        (int)Math.Floor((n + totalPad - d * (k - 1) - 1) / (double)s) + 1;
}
