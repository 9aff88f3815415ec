using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// 2-D convolution (cross-correlation, as in every deep-learning library): each of K filters of
/// size (C/groups) x kH x kW slides over the input and gives one output channel.
/// Input [N, C, H, W], output [N, K, H_out, W_out] with
/// <c>H_out = floor((H + padTop + padBottom - d(kH-1) - 1) / s) + 1</c> (likewise W_out).
/// Weight [K, C/groups, kH, kW]; bias [K] or none.
/// </summary>
public sealed class Conv2D : Layer, IThreadedLayer
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private Conv2DDispatcher kernel;
    private Conv2DAlgorithm algorithm;
    private int maxThreads;
    private Tensor? input, output, dInput, gatedOutput;
    private bool rectified;

    /// <summary>Creates a convolution with a square kernel, stride and dilation.</summary>
    public Conv2D(int inChannels, int outChannels, int kernelSize, int stride = 1, Padding padding = default,
        int dilation = 1, int groups = 1, bool bias = true, Initializer initializer = Initializer.HeUniform)
        : this(new Conv2DConfig(inChannels, outChannels, kernelSize, kernelSize, stride, stride, padding,
            dilation, dilation, groups, bias, initializer))
    { }

    /// <summary>Creates a convolution from its full options.</summary>
    public Conv2D(Conv2DConfig config)
    {
        Config = config;
        if (config.InChannels <= 0 || config.OutChannels <= 0 || config.KernelH <= 0 || config.KernelW <= 0
            || config.StrideH <= 0 || config.StrideW <= 0 || config.DilationH <= 0 || config.DilationW <= 0 || config.Groups <= 0)
            throw new ArgumentException($"Conv2D: channels, kernel, stride, dilation and groups must be positive, got {config}.");
        if (config.Padding.Top < 0 || config.Padding.Left < 0 || config.Padding.Bottom < 0 || config.Padding.Right < 0)
            throw new ArgumentException($"Conv2D: padding must not be negative, got {config.Padding}.");
        if (config.InChannels % config.Groups != 0 || config.OutChannels % config.Groups != 0)
            throw new ArgumentException($"Conv2D: groups ({config.Groups}) must divide both input channels ({config.InChannels}) " +
                $"and output channels ({config.OutChannels}).");
        weight = new Parameter("weight", new Shape(config.OutChannels, config.InChannels / config.Groups, config.KernelH, config.KernelW));
        this.bias = config.Bias ? new Parameter("bias", new Shape(config.OutChannels)) : null;
        kernel = new Conv2DDispatcher();
    }

    /// <summary>The options of this layer.</summary>
    public Conv2DConfig Config { get; }

    /// <summary>Filters, [K, C/groups, kH, kW].</summary>
    public Parameter Weight => weight;

    /// <summary>Per-filter bias, [K], or null when the layer has none.</summary>
    public Parameter? Bias => bias;

    /// <summary>
    /// The kernel implementation; <see cref="Conv2DAlgorithm.Auto"/> by default, which lets
    /// <see cref="Conv2DDispatch"/> choose per pass (see <see cref="KernelChoices"/>).
    /// </summary>
    public Conv2DAlgorithm Algorithm
    {
        get => algorithm;
        set { algorithm = value; kernel = new Conv2DDispatcher(value, maxThreads); }
    }

    /// <inheritdoc />
    public int MaxThreads
    {
        get => maxThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            maxThreads = value;
            kernel = new Conv2DDispatcher(algorithm, value);
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => bias is null ? [weight] : [weight, bias];

    /// <summary>The geometry for an input shape, with "same" padding resolved.</summary>
    public Conv2DGeometry GetGeometry(Shape inputShape)
    {
        RequireRank(inputShape, 4, "input [N, C, H, W]");
        if (inputShape[1] != Config.InChannels)
            throw new ShapeException($"{this}: expected input with {Words.Plural(Config.InChannels, "channel")}, got {inputShape}.");
        var c = Config;
        var (top, left, bottom, right) = c.Padding.Resolve(inputShape[2], inputShape[3], c.KernelH, c.KernelW,
            c.StrideH, c.StrideW, c.DilationH, c.DilationW);
        var g = new Conv2DGeometry(inputShape[0], c.InChannels, inputShape[2], inputShape[3], c.OutChannels,
            c.KernelH, c.KernelW, c.StrideH, c.StrideW, top, left, bottom, right, c.DilationH, c.DilationW, c.Groups);
        if (g.OutH <= 0 || g.OutW <= 0)
            throw new ShapeException($"{this}: input {inputShape} is too small for a {c.KernelH}x{c.KernelW} kernel " +
                $"with dilation {c.DilationH}x{c.DilationW} and padding {c.Padding} (output would be {g.OutH}x{g.OutW}).");
        return g;
    }

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        var g = GetGeometry(inputShape);
        return new Shape(g.Batch, g.OutChannels, g.OutH, g.OutW);
    }

    /// <inheritdoc />
    public override void ResetParameters(Random random)
    {
        int fanIn = Config.InChannels / Config.Groups * Config.KernelH * Config.KernelW;
        int fanOut = Config.OutChannels / Config.Groups * Config.KernelH * Config.KernelW;
        Initializers.Fill(weight.Value.Span, Config.Initializer, fanIn, fanOut, random);
        bias?.Value.Clear();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false) => Run(input, rectify: false, training);

    /// <summary>
    /// max(0, <see cref="Forward"/>): this convolution and the <see cref="ReLU"/> after it in one
    /// pass, the output written once. Models call it when a ReLU is the only reader of this
    /// layer's output (see <see cref="Activation.ForwardFused"/>); <see cref="Backward"/> then
    /// applies the ReLU's gradient too.
    /// </summary>
    public Tensor ForwardRectified(Tensor input, bool training = false) => Run(input, rectify: true, training);

    /// <summary>
    /// For inference through this convolution, a <see cref="ReLU"/> and <paramref name="pool"/>
    /// (2x2 max pooling): the pooled output (the pool's own buffer), computed without writing
    /// the convolution's output, or null when the kernel has no such path for this shape (then
    /// run the layers as usual). Nothing is kept for a backward pass: the pool refuses one.
    /// </summary>
    public Tensor? TryForwardRectifiedPooled(Tensor input, MaxPool2D pool) =>
        TryForwardRectifiedPooledWith(input, pool, weight.Value.Span, bias is null ? default : bias.Value.Span);

    /// <summary>
    /// <see cref="TryForwardRectifiedPooled"/> with other weights and bias of
    /// this layer's shapes (a batch normalisation folded in, see <see cref="BatchNorm2D.Fold"/>).
    /// </summary>
    internal Tensor? TryForwardRectifiedPooledWith(Tensor input, MaxPool2D pool, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
    {
        var g = GetGeometry(input.Shape);
        if (!pool.IsTwoByTwo || !kernel.CanForwardRectifiedPooled(g)) return null;
        var result = pool.BeginFusedForward(OutputShapeFor(input.Shape));
        this.input = null;
        kernel.ForwardRectifiedPooled(g, input.Span, weight, bias, result.Span);
        return result;
    }

    /// <summary>
    /// An inference pass with other weights and bias of this layer's shapes (a batch
    /// normalisation folded in, see <see cref="BatchNorm2D.Fold"/>), rectified or not. The
    /// output is not this layer's own, so a backward pass needs a <see cref="Forward"/> first.
    /// </summary>
    internal Tensor ForwardInference(Tensor input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, bool rectify)
    {
        var result = Run(input, rectify, training: false, weight, bias);
        this.input = null;
        return result;
    }

    private Tensor Run(Tensor input, bool rectify, bool training) =>
        Run(input, rectify, training, weight.Value.Span, bias is null ? default : bias.Value.Span);

    // In training the kernel may keep what it derives from the input for the weight gradient.
    private Tensor Run(Tensor input, bool rectify, bool training, ReadOnlySpan<float> w, ReadOnlySpan<float> b)
    {
        var g = GetGeometry(input.Shape);
        this.input = input;
        rectified = rectify;
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        if (training) kernel.ForwardTraining(g, input.Span, w, b, result.Span, rectify);
        else if (rectify) kernel.ForwardRectified(g, input.Span, w, b, result.Span);
        else kernel.Forward(g, input.Span, w, b, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        RequireOwnForward();
        var g = GetGeometry(input!.Shape);
        var result = Tensor.Reuse(ref dInput, input.Shape);
        if (kernel.CanBackward(g))
        {
            // Both gradients, and the fused ReLU's, in one pass over the batch.
            kernel.Backward(g, input.Span, dOutput.Span, rectified ? output!.Span : default, weight.Value.Span,
                result.Span, weight.Gradient.Span, bias is null ? default : bias.Gradient.Span);
            return result;
        }
        var d = rectified ? Gate(dOutput) : dOutput;
        kernel.BackwardWeight(g, input.Span, d.Span, weight.Gradient.Span, bias is null ? default : bias.Gradient.Span);
        kernel.BackwardInput(g, d.Span, weight.Value.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override void BackwardParameters(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        RequireOwnForward();
        var g = GetGeometry(input!.Shape);
        var dBias = bias is null ? default : bias.Gradient.Span;
        // The ReLU's gradient applied inside the weight-gradient loop, where the kernel can.
        if (rectified && kernel.TryBackwardWeightRectified(g, input.Span, dOutput.Span, output!.Span, weight.Gradient.Span, dBias))
            return;
        var d = rectified ? Gate(dOutput) : dOutput;
        kernel.BackwardWeight(g, input.Span, d.Span, weight.Gradient.Span, dBias);
    }

    // After an inference pass with pooling or other weights fused in, the output is not what this
    // layer's gradient is computed from.
    private void RequireOwnForward()
    {
        if (input is null)
            throw new InvalidOperationException($"{this}: the last forward pass was an inference pass fused with the layers after it, " +
                "which keeps nothing for a backward pass; run this layer's Forward first (models do so themselves).");
    }

    // dOutput where the rectified output is positive, 0 elsewhere: the fused ReLU's backward pass.
    private Tensor Gate(Tensor dOutput)
    {
        var gated = Tensor.Reuse(ref gatedOutput, dOutput.Shape);
        Elementwise.ApplyParallel(new ReLU.Gate(0), output!.Span, dOutput.Span, gated.Span, maxThreads);
        return gated;
    }

    /// <summary>
    /// The kernel each pass uses for <paramref name="inputShape"/> on this CPU and thread count,
    /// and the rule that chose it: forward, forward with ReLU and 2x2 pooling fused (inference),
    /// input gradient, weight gradient, and both gradients in one pass.
    /// </summary>
    internal IReadOnlyList<(Conv2DPass Pass, Conv2DChoice Choice)> KernelChoices(Shape inputShape)
    {
        var g = GetGeometry(inputShape);
        return [.. Enum.GetValues<Conv2DPass>().Select(pass => (pass, kernel.Choose(pass, g)))];
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => Config;

    /// <inheritdoc />
    protected override string ExtraDescription
    {
        get
        {
            var c = Config;
            var parts = new List<string> { $"{c.InChannels}->{c.OutChannels}", $"{c.KernelH}x{c.KernelW}" };
            AddPair(parts, "stride", c.StrideH, c.StrideW, 1);
            if (c.Padding != Padding.Valid) parts.Add($"padding={c.Padding}");
            AddPair(parts, "dilation", c.DilationH, c.DilationW, 1);
            if (c.Groups != 1) parts.Add($"groups={c.Groups}");
            if (!c.Bias) parts.Add("bias=false");
            return string.Join(", ", parts);
        }
    }

    // "name=v" when the two axes agree, "name=(h, w)" when not; nothing when both are the default.
    internal static void AddPair(List<string> parts, string name, int h, int w, int unset)
    {
        if (h != unset || w != unset) parts.Add(h == w ? $"{name}={h}" : $"{name}=({h}, {w})");
    }
}

/// <summary>Options of a <see cref="Conv2D"/> layer.</summary>
public sealed record Conv2DConfig(
    int InChannels, int OutChannels, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1, Padding Padding = default,
    int DilationH = 1, int DilationW = 1, int Groups = 1, bool Bias = true,
    Initializer Initializer = Initializer.HeUniform) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Conv2D(this);
}
