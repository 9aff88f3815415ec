using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels;

/// <summary>
/// A convolution's kernels, one instance of each (kernels keep scratch buffers, so every layer
/// owns its own dispatcher), and each pass routed to the kernel <see cref="Conv2DDispatch"/>
/// chooses for its geometry. Not thread-safe, like the kernels.
/// </summary>
internal sealed class Conv2DDispatcher : IConv2DKernel
{
    private readonly int maxThreads;
    private Conv2DIm2ColGemm? im2col;
    private Conv2DDirect? direct;
    private Conv2DChannelVector? channelVector;
    private Conv2DWinograd? winograd;

    /// <summary>
    /// Kernels for <paramref name="requested"/> (<see cref="Conv2DAlgorithm.Auto"/>: the table's
    /// choice per pass), using up to <paramref name="maxThreads"/> threads (0: all cores), at
    /// <paramref name="width"/> (the CPU's widest vectors unless given; tests force narrower ones).
    /// </summary>
    public Conv2DDispatcher(Conv2DAlgorithm requested = Conv2DAlgorithm.Auto, int maxThreads = 0, SimdWidth? width = null)
    {
        if (!Enum.IsDefined(requested))
            throw new ArgumentOutOfRangeException(nameof(requested), requested, "Unknown convolution algorithm.");
        Requested = requested;
        this.maxThreads = maxThreads;
        Threads = ThreadCount.Resolve(maxThreads);
        Width = width ?? Simd.Best;
        if (!Simd.IsAccelerated(Width))
            throw new ArgumentException($"Conv2DDispatcher: {Width} is not accelerated on this CPU (its widest is {Simd.Best}).", nameof(width));
    }

    /// <summary>The algorithm asked for.</summary>
    public Conv2DAlgorithm Requested { get; }

    /// <summary>The threads a pass may use.</summary>
    public int Threads { get; }

    /// <summary>The vector width the kernels run at.</summary>
    public SimdWidth Width { get; }

    /// <summary>The kernel for <paramref name="pass"/> of <paramref name="g"/>, and why.</summary>
    public Conv2DChoice Choose(Conv2DPass pass, in Conv2DGeometry g) => Conv2DDispatch.Choose(pass, g, Requested, Threads, Width);

    public void Forward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) =>
        Kernel<IConv2DForward>(Conv2DPass.Forward, g).Forward(g, input, weight, bias, output);

    public void ForwardRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) =>
        Kernel<IConv2DForward>(Conv2DPass.Forward, g).ForwardRectified(g, input, weight, bias, output);

    public void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify) =>
        Kernel<IConv2DForward>(Conv2DPass.Forward, g).ForwardTraining(g, input, weight, bias, output, rectify);

    public void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight, Span<float> dInput) =>
        Kernel<IConv2DBackwardInput>(Conv2DPass.BackwardInput, g).BackwardInput(g, dOutput, weight, dInput);

    public void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias) =>
        Kernel<IConv2DBackwardWeight>(Conv2DPass.BackwardWeight, g).BackwardWeight(g, input, dOutput, dWeight, dBias);

    /// <summary>
    /// <see cref="BackwardWeight"/> behind a ReLU fused into the forward pass, gated inside the
    /// kernel's loop, when the chosen kernel does that (the direct one); false otherwise, and
    /// then the caller gates dOutput itself.
    /// </summary>
    public bool TryBackwardWeightRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> rectifiedOutput, Span<float> dWeight, Span<float> dBias)
    {
        if (Choose(Conv2DPass.BackwardWeight, g).Kernel != Conv2DAlgorithm.Direct) return false;
        Direct.BackwardWeightRectified(g, input, dOutput, rectifiedOutput, dWeight, dBias);
        return true;
    }

    /// <summary>Whether <see cref="ForwardRectifiedPooled"/> takes <paramref name="g"/>.</summary>
    public bool CanForwardRectifiedPooled(in Conv2DGeometry g) => Choose(Conv2DPass.ForwardPooled, g).Kernel is not null;

    /// <summary>pooled [N, K, H_out / 2, W_out / 2] = maxpool2x2(max(0, conv + bias)), for geometries <see cref="CanForwardRectifiedPooled"/> takes.</summary>
    public void ForwardRectifiedPooled(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> pooled) =>
        Kernel<IConv2DPooledForward>(Conv2DPass.ForwardPooled, g).ForwardRectifiedPooled(g, input, weight, bias, pooled);

    /// <summary>Whether <see cref="Backward"/> takes <paramref name="g"/>.</summary>
    public bool CanBackward(in Conv2DGeometry g) => Choose(Conv2DPass.Backward, g).Kernel is not null;

    /// <summary>Both gradients in one pass (see <see cref="IConv2DFusedBackward"/>), for geometries <see cref="CanBackward"/> takes.</summary>
    public void Backward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> rectifiedOutput,
        ReadOnlySpan<float> weight, Span<float> dInput, Span<float> dWeight, Span<float> dBias) =>
        Kernel<IConv2DFusedBackward>(Conv2DPass.Backward, g).Backward(g, input, dOutput, rectifiedOutput, weight, dInput, dWeight, dBias);

    // The instance of the kernel the table chooses for the pass; a fused pass no kernel takes is refused.
    private TPass Kernel<TPass>(Conv2DPass pass, in Conv2DGeometry g) where TPass : class
    {
        var choice = Choose(pass, g);
        object kernel = choice.Kernel switch
        {
            Conv2DAlgorithm.Reference => Conv2DReference.Instance,
            Conv2DAlgorithm.Im2ColGemm => Im2Col,
            Conv2DAlgorithm.Direct => Direct,
            Conv2DAlgorithm.ChannelVector => ChannelVector,
            Conv2DAlgorithm.Winograd => Winograd,
            _ => throw new ArgumentException($"Conv2DDispatcher: no kernel computes the {pass} pass of {g} ({choice.Reason})."),
        };
        return (TPass)kernel;
    }

    private Conv2DIm2ColGemm Im2Col => im2col ??= new Conv2DIm2ColGemm(Gemm.PathFor(Width), maxThreads);
    private Conv2DDirect Direct => direct ??= new Conv2DDirect(maxThreads, Width);
    private Conv2DChannelVector ChannelVector => channelVector ??= new Conv2DChannelVector(maxThreads, Width);
    private Conv2DWinograd Winograd => winograd ??= new Conv2DWinograd(maxThreads, Width);
}
