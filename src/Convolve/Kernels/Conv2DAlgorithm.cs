using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels;

/// <summary>Which implementation a convolution uses. All compute the same numbers up to float rounding.</summary>
public enum Conv2DAlgorithm
{
    /// <summary>
    /// The fastest kernel for each pass and shape on this CPU, as <see cref="Conv2DDispatch"/>
    /// decides: <see cref="Direct"/> where it applies, else <see cref="ChannelVector"/>, else
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
    /// (first layers on images); every other shape and pass (it has no input gradient) via <see cref="Im2ColGemm"/>.
    /// </summary>
    Direct,

    /// <summary>
    /// Winograd F(2x2, 3x3) (<see cref="Conv2DWinograd"/>) for 3x3 stride-1 convolutions with
    /// at least <see cref="Conv2DWinograd.MinChannels"/> channels on both sides: 2.25x fewer
    /// multiplies in the forward pass and the input gradient; every other shape via <see cref="Im2ColGemm"/>.
    /// </summary>
    Winograd,

    /// <summary>
    /// Direct convolution vectorised over output channels (<see cref="Conv2DChannelVector"/>) for
    /// stride-1 layers with 16 or 32 output channels on planes of at most
    /// <see cref="Conv2DChannelVector.MaxPlane"/> outputs (LeNet-5's second layer), where the
    /// multiply's tiles are mostly padding: all three passes, several times faster than im2col
    /// there; on such 3x3 layers the forward pass and weight gradient beat Winograd too
    /// (<see cref="Auto"/> leaves their input gradient to Winograd). Every other shape via
    /// <see cref="Im2ColGemm"/>.
    /// </summary>
    ChannelVector,
}
