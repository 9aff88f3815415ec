using Convolve.Kernels.Cpu;

namespace Convolve.Kernels;

/// <summary>The kernel chosen for one pass of one convolution, and why.</summary>
/// <param name="Kernel">The kernel, or null for a fused pass no kernel takes (the layer then runs the passes one by one).</param>
/// <param name="Reason">The rule that chose it, in words.</param>
internal readonly record struct Conv2DChoice(Conv2DAlgorithm? Kernel, string Reason)
{
    public override string ToString() => $"{(Kernel is { } k ? k.ToString() : "not fused")}: {Reason}";
}

/// <summary>
/// The one table that decides which kernel computes each pass of a convolution, from the
/// geometry, the pass, the vector width of the CPU and the thread count. Kernels only say what
/// they can compute (their <c>Supports</c>); the preferences between them live here, each rule
/// with the reason behind it. <see cref="Conv2DDispatcher"/> runs the choice;
/// <c>convolve summary MODEL --kernels</c> prints it for every layer.
/// <para>
/// The order of the rules rests on measurements, listed with their CPUs under "Convolution
/// kernel choices" in BENCHMARKS.md; they fixed the order, not the rules' outcomes on other CPUs.
/// </para>
/// </summary>
internal static class Conv2DDispatch
{
    /// <summary>
    /// The kernel for <paramref name="pass"/> of <paramref name="g"/> (allocation-free: layers
    /// ask on every pass, so the reasons are constant strings).
    /// <paramref name="requested"/> other than <see cref="Conv2DAlgorithm.Auto"/> takes that
    /// kernel wherever it can compute the pass and im2col + GEMM elsewhere (the reference kernel
    /// everywhere when it is requested).
    /// </summary>
    /// <param name="threads">The threads the layer may use (already resolved: at least 1).</param>
    /// <param name="width">The vector width the kernels run at (<see cref="Simd.Best"/> unless a test forces one).</param>
    /// <param name="pass">The pass to run.</param>
    /// <param name="g">The layer's sizes for this batch.</param>
    /// <param name="requested">The layer's algorithm option.</param>
    public static Conv2DChoice Choose(Conv2DPass pass, in Conv2DGeometry g, Conv2DAlgorithm requested, int threads, SimdWidth width)
    {
        if (requested == Conv2DAlgorithm.Reference)
            return IsFused(pass) ? NotFused("the reference kernel has no fused passes") : new(Conv2DAlgorithm.Reference, "requested");
        if (requested != Conv2DAlgorithm.Auto)
        {
            if (Supports(requested, pass, g, width)) return new(requested, "requested");
            return IsFused(pass)
                ? NotFused("the requested kernel has no such pass for this geometry")
                : new(Conv2DAlgorithm.Im2ColGemm, "the requested kernel does not take this geometry or pass at this vector width");
        }
        return pass switch
        {
            Conv2DPass.Forward => Forward(g, width),
            Conv2DPass.ForwardPooled => ForwardPooled(g, width),
            Conv2DPass.BackwardInput => BackwardInput(g, threads, width),
            Conv2DPass.BackwardWeight => BackwardWeight(g, width),
            Conv2DPass.Backward => Backward(g, threads, width),
            _ => throw new ArgumentOutOfRangeException(nameof(pass), pass, "Unknown convolution pass."),
        };
    }

    /// <summary>Whether <paramref name="kernel"/> can compute <paramref name="pass"/> of <paramref name="g"/> at <paramref name="width"/>.</summary>
    public static bool Supports(Conv2DAlgorithm kernel, Conv2DPass pass, in Conv2DGeometry g, SimdWidth width) => kernel switch
    {
        Conv2DAlgorithm.Reference or Conv2DAlgorithm.Im2ColGemm => !IsFused(pass),
        Conv2DAlgorithm.Direct => Conv2DDirect.Supports(pass, g, width),
        Conv2DAlgorithm.ChannelVector => Conv2DChannelVector.Supports(pass, g, width),
        Conv2DAlgorithm.Winograd => Conv2DWinograd.Supports(pass, g, width),
        _ => false,
    };

    private static bool IsFused(Conv2DPass pass) => pass is Conv2DPass.ForwardPooled or Conv2DPass.Backward;

    private static Conv2DChoice NotFused(string reason) => new(null, reason);

    private static Conv2DChoice Forward(in Conv2DGeometry g, SimdWidth width)
    {
        // First layers (1 x 3 x 3 = 9 to 3 x 5 x 5 = 75 taps): im2col's matrix has only that many
        // rows, and packing costs more than multiplying.
        if (Conv2DDirect.Supports(Conv2DPass.Forward, g, width))
            return new(Conv2DAlgorithm.Direct, "few taps per output: vectors along output rows");
        // 16 or 32 output channels on small planes (LeNet-5's 6 -> 16, 5x5 on 14 x 14): GEMM pads
        // its 16-row weight matrix to its tiles.
        if (Conv2DChannelVector.Supports(Conv2DPass.Forward, g, width))
            return new(Conv2DAlgorithm.ChannelVector, "few output channels on a small plane: vectors across output channels");
        // 3x3 stride 1 with many channels: 2.25x fewer multiplies.
        if (Conv2DWinograd.Supports(Conv2DPass.Forward, g, width))
            return new(Conv2DAlgorithm.Winograd, "3x3, stride 1, many channels: F(2x2, 3x3)");
        return new(Conv2DAlgorithm.Im2ColGemm, "every other geometry");
    }

    // The same order as the plain forward pass, among the kernels that can pool on the way.
    private static Conv2DChoice ForwardPooled(in Conv2DGeometry g, SimdWidth width)
    {
        if (Conv2DDirect.Supports(Conv2DPass.ForwardPooled, g, width))
            return new(Conv2DAlgorithm.Direct, "direct, pooled while in registers");
        if (Conv2DChannelVector.Supports(Conv2DPass.ForwardPooled, g, width))
            return new(Conv2DAlgorithm.ChannelVector, "channel vectors, pooled while in registers");
        if (Conv2DWinograd.Supports(Conv2DPass.ForwardPooled, g, width))
            return new(Conv2DAlgorithm.Winograd, "Winograd: a 2x2 output tile is one pooling window");
        return NotFused("no kernel pools this geometry on the way (odd output size, or no vector path)");
    }

    private static Conv2DChoice BackwardInput(in Conv2DGeometry g, int threads, SimdWidth width)
    {
        bool winograd = Conv2DWinograd.Supports(Conv2DPass.BackwardInput, g, width);
        // Winograd's input gradient is faster than the channel-vector one on the 3x3 layers both
        // take. The channel-vector kernel splits items over threads only: with fewer items than
        // threads on a layer worth splitting, im2col + GEMM, which splits each image, is faster.
        if (Conv2DChannelVector.Supports(Conv2DPass.BackwardInput, g, width) && !winograd
            && !(g.Batch < threads && Work(g) >= Conv2DChannelVector.ParallelThreshold))
            return new(Conv2DAlgorithm.ChannelVector, "few output channels on a small plane");
        if (winograd)
            return new(Conv2DAlgorithm.Winograd, "3x3, stride 1, many channels: the transposed F(2x2, 3x3)");
        return new(Conv2DAlgorithm.Im2ColGemm, "every other geometry (the direct kernel has no input gradient)");
    }

    private static Conv2DChoice BackwardWeight(in Conv2DGeometry g, SimdWidth width)
    {
        if (Conv2DDirect.Supports(Conv2DPass.BackwardWeight, g, width))
            return new(Conv2DAlgorithm.Direct, "few taps per output: one accumulator per tap");
        if (Conv2DChannelVector.Supports(Conv2DPass.BackwardWeight, g, width))
            return new(Conv2DAlgorithm.ChannelVector, "few output channels on a small plane");
        // Even a single image: the gradients' 16 multiplies run as dot products along its tiles.
        if (Conv2DWinograd.Supports(Conv2DPass.BackwardWeight, g, width))
            return new(Conv2DAlgorithm.Winograd, "3x3, stride 1, many channels: the transposed F(2x2, 3x3)");
        return new(Conv2DAlgorithm.Im2ColGemm, "every other geometry");
    }

    private static Conv2DChoice Backward(in Conv2DGeometry g, int threads, SimdWidth width)
    {
        // Only where Winograd computes both gradients anyway: one pass reads each image's
        // dOutput once and needs no gated copy of it.
        var weight = BackwardWeight(g, width);
        var input = BackwardInput(g, threads, width);
        if (weight.Kernel == Conv2DAlgorithm.Winograd && input.Kernel == Conv2DAlgorithm.Winograd
            && Conv2DWinograd.Supports(Conv2DPass.Backward, g, width))
            return new(Conv2DAlgorithm.Winograd, "both gradients in one pass over each image");
        return NotFused("the gradients go to different kernels, or to none with a one-pass backward");
    }

    private static long Work(in Conv2DGeometry g) =>
        (long)g.Batch * g.OutChannels * g.OutH * g.OutW * g.InChannelsPerGroup * g.KernelH * g.KernelW;
}
