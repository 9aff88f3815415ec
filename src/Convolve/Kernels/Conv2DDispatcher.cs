using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels;

/// <summary>
/// A convolution's kernels, one instance of each (kernels keep scratch buffers, so every layer
/// owns its own dispatcher), and each pass routed to the kernel <see cref="Conv2DDispatch"/>
/// chooses for its geometry. Not thread-safe, like the kernels.
/// </summary>
public sealed class Conv2DDispatcher : IConv2DKernel
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
        ForwardKernel(g).Forward(g, input, weight, bias, output);

    public void ForwardRectified(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) =>
        ForwardKernel(g).ForwardRectified(g, input, weight, bias, output);

    public void ForwardTraining(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool rectify) =>
        ForwardKernel(g).ForwardTraining(g, input, weight, bias, output, rectify);

    public void BackwardInput(in Conv2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight, Span<float> dInput)
    {
        IConv2DBackwardInput kernel = Choose(Conv2DPass.BackwardInput, g).Kernel switch
        {
            Conv2DAlgorithm.Reference => Conv2DReference.Instance,
            Conv2DAlgorithm.ChannelVector => ChannelVector,
            Conv2DAlgorithm.Winograd => Winograd,
            _ => Im2Col,
        };
        kernel.BackwardInput(g, dOutput, weight, dInput);
    }

    public void BackwardWeight(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias) =>
        BackwardWeightKernel(g).BackwardWeight(g, input, dOutput, dWeight, dBias);

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
        ReadOnlySpan<float> bias, Span<float> pooled)
    {
        IConv2DPooledForward kernel = Choose(Conv2DPass.ForwardPooled, g).Kernel switch
        {
            Conv2DAlgorithm.Direct => Direct,
            Conv2DAlgorithm.ChannelVector => ChannelVector,
            Conv2DAlgorithm.Winograd => Winograd,
            _ => throw new ArgumentException($"Conv2DDispatcher.ForwardRectifiedPooled: no kernel pools {g} on the way ({Choose(Conv2DPass.ForwardPooled, g).Reason})."),
        };
        kernel.ForwardRectifiedPooled(g, input, weight, bias, pooled);
    }

    /// <summary>Whether <see cref="Backward"/> takes <paramref name="g"/>.</summary>
    public bool CanBackward(in Conv2DGeometry g) => Choose(Conv2DPass.Backward, g).Kernel is not null;

    /// <summary>Both gradients in one pass (see <see cref="IConv2DFusedBackward"/>), for geometries <see cref="CanBackward"/> takes.</summary>
    public void Backward(in Conv2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> rectifiedOutput,
        ReadOnlySpan<float> weight, Span<float> dInput, Span<float> dWeight, Span<float> dBias)
    {
        if (Choose(Conv2DPass.Backward, g).Kernel != Conv2DAlgorithm.Winograd)
            throw new ArgumentException($"Conv2DDispatcher.Backward: no kernel computes both gradients of {g} in one pass ({Choose(Conv2DPass.Backward, g).Reason}).");
        Winograd.Backward(g, input, dOutput, rectifiedOutput, weight, dInput, dWeight, dBias);
    }

    private IConv2DForward ForwardKernel(in Conv2DGeometry g) => Choose(Conv2DPass.Forward, g).Kernel switch
    {
        Conv2DAlgorithm.Reference => Conv2DReference.Instance,
        Conv2DAlgorithm.Direct => Direct,
        Conv2DAlgorithm.ChannelVector => ChannelVector,
        Conv2DAlgorithm.Winograd => Winograd,
        _ => Im2Col,
    };

    private IConv2DBackwardWeight BackwardWeightKernel(in Conv2DGeometry g) => Choose(Conv2DPass.BackwardWeight, g).Kernel switch
    {
        Conv2DAlgorithm.Reference => Conv2DReference.Instance,
        Conv2DAlgorithm.Direct => Direct,
        Conv2DAlgorithm.ChannelVector => ChannelVector,
        Conv2DAlgorithm.Winograd => Winograd,
        _ => Im2Col,
    };

    private Conv2DIm2ColGemm Im2Col => im2col ??= new Conv2DIm2ColGemm(Width switch
    {
        SimdWidth.Vector512 => Gemm.BestPath,
        SimdWidth.Vector256 => GemmPath.Vector256,
        SimdWidth.Vector128 => GemmPath.Vector128,
        _ => GemmPath.Scalar,
    }, maxThreads);
    private Conv2DDirect Direct => direct ??= new Conv2DDirect(maxThreads, Width);
    private Conv2DChannelVector ChannelVector => channelVector ??= new Conv2DChannelVector(maxThreads, Width);
    private Conv2DWinograd Winograd => winograd ??= new Conv2DWinograd(maxThreads, Width);
}
