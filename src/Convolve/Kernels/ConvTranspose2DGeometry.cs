namespace Convolve.Kernels;

/// <summary>
/// Everything a 2-D transposed convolution kernel needs to know about sizes. Input is
/// [N, C, H, W], weight [C, K/Groups, KernelH, KernelW] (ONNX's layout), output [N, K, OutH, OutW] with
/// <c>OutH = StrideH*(H-1) + OutputPadH + DilationH*(KernelH-1) + 1 - PadTop - PadBottom</c>
/// (and the same for W): each input pixel scatters its value times the kernel into the output,
/// at <c>oh = ih*StrideH - PadTop + kh*DilationH</c>; positions outside the output are dropped.
/// </summary>
internal readonly record struct ConvTranspose2DGeometry(
    int Batch, int InChannels, int InH, int InW,
    int OutChannels, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int OutputPadH = 0, int OutputPadW = 0,
    int DilationH = 1, int DilationW = 1,
    int Groups = 1)
{
    /// <summary>Output rows.</summary>
    public int OutH => OutputSize(InH, KernelH, StrideH, PadTop + PadBottom, OutputPadH, DilationH);

    /// <summary>Output columns.</summary>
    public int OutW => OutputSize(InW, KernelW, StrideW, PadLeft + PadRight, OutputPadW, DilationW);

    /// <summary>Input channels of one group.</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Output channels of one group.</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Elements of the input tensor.</summary>
    public int InputLength => Batch * InChannels * InH * InW;

    /// <summary>Elements of the weight tensor.</summary>
    public int WeightLength => InChannels * OutChannelsPerGroup * KernelH * KernelW;

    /// <summary>Elements of the output tensor.</summary>
    public int OutputLength => Batch * OutChannels * OutH * OutW;

    /// <summary>
    /// Output length along one axis: <c>s*(n-1) + outputPad + d*(k-1) + 1 - totalPad</c>.
    /// </summary>
    public static int OutputSize(int n, int k, int s, int totalPad, int outputPad, int d) =>
        s * (n - 1) + outputPad + d * (k - 1) + 1 - totalPad;

    /// <summary>
    /// The convolution this one is the adjoint of: its input is this output ([N, K, OutH, OutW]),
    /// its output this input ([N, C, H, W]), and its weight [C, K/Groups, kH, kW] is this weight
    /// as it is. So this forward pass is that convolution's input gradient, this input gradient its
    /// forward pass, and this weight gradient its weight gradient with input and output swapped.
    /// The output padding rows and columns lie past the last window: the end padding shrinks by
    /// them (possibly below zero, which only the convolution's output size reads), so that the
    /// convolution's output is exactly H x W.
    /// </summary>
    public Conv2DGeometry AsConvolution() => new(Batch, OutChannels, OutH, OutW, InChannels, KernelH, KernelW,
        StrideH, StrideW, PadTop, PadLeft, PadBottom - OutputPadH, PadRight - OutputPadW, DilationH, DilationW, Groups);
}
