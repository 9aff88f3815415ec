using Convolve.Kernels;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// What max and average pooling share: a kH x kW window moved with a stride over each channel
/// of [N, C, H, W] separately. Output [N, C, H_out, W_out] with
/// <c>H_out = floor((H + padTop + padBottom - d(kH-1) - 1) / s) + 1</c> (ceiling in ceil mode).
/// </summary>
public abstract class Pool2D : Layer, IThreadedLayer
{
    private protected Pool2D(int kernelH, int kernelW, int strideH, int strideW, Padding padding,
        int dilationH, int dilationW, bool ceilMode)
    {
        if (kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0)
            throw new ArgumentException($"{TypeName}: kernel, stride and dilation must be positive, " +
                $"got kernel {kernelH}x{kernelW}, stride {strideH}x{strideW}, dilation {dilationH}x{dilationW}.");
        // PyTorch allows at most half the kernel; ONNX (e.g. a 3x3 window with padding 2) allows
        // anything that keeps the first and last windows reaching into the input.
        int extentH = dilationH * (kernelH - 1) + 1, extentW = dilationW * (kernelW - 1) + 1;
        if (!padding.IsSame && (padding.Top >= extentH || padding.Bottom >= extentH || padding.Left >= extentW || padding.Right >= extentW))
            throw new ArgumentException($"{TypeName}: padding {padding} must be smaller than the {extentH}x{extentW} window on every side, " +
                "so that no window lies wholly in the padding.");
        (KernelH, KernelW, StrideH, StrideW, Padding, DilationH, DilationW, CeilMode) =
            (kernelH, kernelW, strideH, strideW, padding, dilationH, dilationW, ceilMode);
    }

    /// <inheritdoc />
    public int MaxThreads
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    }

    /// <summary>Window rows.</summary>
    public int KernelH { get; }
    /// <summary>Window columns.</summary>
    public int KernelW { get; }
    /// <summary>Rows between the tops of neighbouring windows.</summary>
    public int StrideH { get; }
    /// <summary>Columns between the left edges of neighbouring windows.</summary>
    public int StrideW { get; }
    /// <summary>Implicit padding on each side (ignored by max pooling; counted or not by average pooling as its options say), or "same".</summary>
    public Padding Padding { get; }
    /// <summary>Rows between the taps of a window (1: adjacent).</summary>
    public int DilationH { get; }
    /// <summary>Columns between the taps of a window (1: adjacent).</summary>
    public int DilationW { get; }
    /// <summary>Whether output sizes round up (a last partial window is kept) rather than down; see <see cref="Pool2DGeometry"/>.</summary>
    public bool CeilMode { get; }

    /// <summary>The geometry for an input shape, with "same" padding resolved.</summary>
    public Pool2DGeometry GetGeometry(Shape inputShape)
    {
        RequireRank(inputShape, 4, "input [N, C, H, W]");
        var (top, left, bottom, right) = Padding.Resolve(inputShape[2], inputShape[3], KernelH, KernelW, StrideH, StrideW, DilationH, DilationW);
        var g = new Pool2DGeometry(inputShape[0], inputShape[1], inputShape[2], inputShape[3], KernelH, KernelW,
            StrideH, StrideW, top, left, bottom, right, DilationH, DilationW, CeilMode);
        if (g.OutH <= 0 || g.OutW <= 0)
            throw new ShapeException($"{this}: input {inputShape} is smaller than the {KernelH}x{KernelW} window.");
        return g;
    }

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        var g = GetGeometry(inputShape);
        return new Shape(g.Batch, g.Channels, g.OutH, g.OutW);
    }

    /// <inheritdoc />
    protected override string ExtraDescription
    {
        get
        {
            var parts = new List<string> { KernelH == KernelW ? $"{KernelH}" : $"{KernelH}x{KernelW}" };
            if (StrideH != KernelH || StrideW != KernelW) parts.Add(StrideH == StrideW ? $"stride={StrideH}" : $"stride=({StrideH}, {StrideW})");
            if (Padding != Padding.Valid) parts.Add($"padding={Padding}");
            if (DilationH != 1 || DilationW != 1) parts.Add($"dilation=({DilationH}, {DilationW})");
            if (CeilMode) parts.Add("ceil_mode=true");
            return string.Join(", ", parts);
        }
    }
}

/// <summary>
/// Max pooling: each output is the largest value in its window. The backward pass sends each
/// output's gradient to the input that won (remembered from the forward pass).
/// </summary>
public sealed class MaxPool2D : Pool2D
{
    private Tensor? output, dInput;
    private Shape inputShape;
    private int[] argmax = [];
    private bool fused;

    /// <summary>Square window; the stride defaults to the window size.</summary>
    public MaxPool2D(int kernelSize, int? stride = null, Padding padding = default, int dilation = 1, bool ceilMode = false)
        : this(new MaxPool2DConfig(kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, padding, dilation, dilation, ceilMode)) { }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    /// <exception cref="ArgumentException">A size is not positive, or the padding is not smaller than the window.</exception>
    public MaxPool2D(MaxPool2DConfig config)
        : base(config.KernelH, config.KernelW, config.StrideH, config.StrideW, config.Padding, config.DilationH, config.DilationW, config.CeilMode) { }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var g = GetGeometry(input.Shape);
        inputShape = input.Shape;
        fused = false;
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        if (argmax.Length != result.Length) argmax = new int[result.Length];
        Kernels.Cpu.Pool2DCpu.MaxForward(g, input.Span, result.Span, argmax, MaxThreads);
        return result;
    }

    /// <summary>Whether this is a 2x2, stride-2 window without padding or dilation (which a convolution can fuse).</summary>
    public bool IsTwoByTwo => KernelH == 2 && KernelW == 2 && StrideH == 2 && StrideW == 2
        && DilationH == 1 && DilationW == 1 && Padding == Padding.Valid;

    /// <summary>
    /// This layer's output buffer for inputs of <paramref name="inputShape"/>, for a layer before
    /// it that computes the pooling itself in an inference pass (<see cref="Conv2D.TryForwardRectifiedPooled"/>).
    /// No winners are remembered, so <see cref="Backward"/> refuses until the next <see cref="Forward"/>.
    /// </summary>
    public Tensor BeginFusedForward(Shape inputShape)
    {
        GetGeometry(inputShape);
        this.inputShape = inputShape;
        fused = true;
        return Tensor.Reuse(ref output, OutputShapeFor(inputShape));
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        if (fused)
            throw new InvalidOperationException($"{this}: the last forward pass was an inference pass fused with the convolution before it, " +
                "which keeps nothing for a backward pass; run this layer's Forward first (Sequential does so itself).");
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, inputShape);
        Kernels.Cpu.Pool2DCpu.MaxBackward(GetGeometry(inputShape), dOutput.Span, argmax, result.Span, MaxThreads);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() =>
        new MaxPool2DConfig(KernelH, KernelW, StrideH, StrideW, Padding, DilationH, DilationW, CeilMode);
}

/// <summary>Options of a <see cref="MaxPool2D"/> layer.</summary>
public sealed record MaxPool2DConfig(int KernelH, int KernelW, int StrideH, int StrideW,
    Padding Padding = default, int DilationH = 1, int DilationW = 1, bool CeilMode = false) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new MaxPool2D(this);
}

/// <summary>
/// Average pooling: each output is the mean of its window. With <see cref="CountIncludePad"/>
/// (PyTorch's default) padded cells count in the divisor; without it (ONNX's default) only
/// cells inside the image do.
/// </summary>
public sealed class AvgPool2D : Pool2D
{
    private Tensor? output, dInput;
    private Shape inputShape;

    /// <summary>Square window; the stride defaults to the window size.</summary>
    public AvgPool2D(int kernelSize, int? stride = null, Padding padding = default, bool ceilMode = false, bool countIncludePad = true)
        : this(new AvgPool2DConfig(kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, padding, ceilMode, countIncludePad)) { }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    /// <exception cref="ArgumentException">A size is not positive, or the padding is not smaller than the window.</exception>
    public AvgPool2D(AvgPool2DConfig config)
        : base(config.KernelH, config.KernelW, config.StrideH, config.StrideW, config.Padding, 1, 1, config.CeilMode)
    {
        CountIncludePad = config.CountIncludePad;
    }

    /// <summary>Whether padded cells count in the divisor.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var g = GetGeometry(input.Shape);
        inputShape = input.Shape;
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        Kernels.Cpu.Pool2DCpu.AvgForward(g, CountIncludePad, input.Span, result.Span, MaxThreads);
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, inputShape);
        Kernels.Cpu.Pool2DCpu.AvgBackward(GetGeometry(inputShape), CountIncludePad, dOutput.Span, result.Span, MaxThreads);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() =>
        new AvgPool2DConfig(KernelH, KernelW, StrideH, StrideW, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc />
    protected override string ExtraDescription =>
        base.ExtraDescription + (CountIncludePad ? "" : ", count_include_pad=false");
}

/// <summary>Options of an <see cref="AvgPool2D"/> layer.</summary>
public sealed record AvgPool2DConfig(int KernelH, int KernelW, int StrideH, int StrideW,
    Padding Padding = default, bool CeilMode = false, bool CountIncludePad = true) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new AvgPool2D(this);
}
