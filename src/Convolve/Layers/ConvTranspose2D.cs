using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// 2-D transposed convolution (ONNX's ConvTranspose, PyTorch's <c>nn.ConvTranspose2d</c>; the
/// upsampling layer of DCGAN generators and U-Net decoders): each input pixel scatters its value
/// times a kernel into the output, the adjoint of a <see cref="Conv2D"/> with the same options.
/// Input [N, C, H, W], output [N, K, H_out, W_out] with
/// <c>H_out = s*(H-1) + outputPadding + d*(kH-1) + 1 - padTop - padBottom</c> (likewise W_out);
/// the padding crops the output and the output padding adds rows and columns at its end.
/// Weight [C, K/groups, kH, kW] (ONNX's and PyTorch's layout); bias [K] or none.
/// </summary>
public sealed class ConvTranspose2D : Layer, IThreadedLayer
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private ConvTranspose2DCpu kernel = new();
    private int maxThreads;
    private Tensor? input, output, dInput;

    /// <summary>Creates a transposed convolution with a square kernel, stride, symmetric padding and dilation.</summary>
    public ConvTranspose2D(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0,
        int dilation = 1, int groups = 1, bool bias = true, Initializer initializer = Initializer.HeUniform)
        : this(new ConvTranspose2DConfig(inChannels, outChannels, kernelSize, kernelSize, stride, stride, padding,
            outputPadding, outputPadding, dilation, dilation, groups, bias, initializer))
    { }

    /// <summary>Creates a transposed convolution from its full options.</summary>
    public ConvTranspose2D(ConvTranspose2DConfig config)
    {
        Config = config;
        var c = config;
        if (c.InChannels <= 0 || c.OutChannels <= 0 || c.KernelH <= 0 || c.KernelW <= 0
            || c.StrideH <= 0 || c.StrideW <= 0 || c.DilationH <= 0 || c.DilationW <= 0 || c.Groups <= 0)
            throw new ArgumentException($"ConvTranspose2D: channels, kernel, stride, dilation and groups must be positive, got {c}.");
        if (c.Padding.IsSame)
            throw new ArgumentException("ConvTranspose2D: 'same' padding is not supported; give the pads per side.");
        if (c.Padding.Top < 0 || c.Padding.Left < 0 || c.Padding.Bottom < 0 || c.Padding.Right < 0)
            throw new ArgumentException($"ConvTranspose2D: padding must not be negative, got {c.Padding}.");
        if (c.OutputPaddingH < 0 || c.OutputPaddingW < 0)
            throw new ArgumentException($"ConvTranspose2D: output padding must not be negative, got ({c.OutputPaddingH}, {c.OutputPaddingW}).");
        if (c.InChannels % c.Groups != 0 || c.OutChannels % c.Groups != 0)
            throw new ArgumentException($"ConvTranspose2D: groups ({c.Groups}) must divide both input channels ({c.InChannels}) " +
                $"and output channels ({c.OutChannels}).");
        weight = new Parameter("weight", new Shape(c.InChannels, c.OutChannels / c.Groups, c.KernelH, c.KernelW));
        this.bias = c.Bias ? new Parameter("bias", new Shape(c.OutChannels)) : null;
    }

    /// <summary>The options of this layer.</summary>
    public ConvTranspose2DConfig Config { get; }

    /// <summary>Kernels, [C, K/groups, kH, kW].</summary>
    public Parameter Weight => weight;

    /// <summary>Per-output-channel bias, [K], or null when the layer has none.</summary>
    public Parameter? Bias => bias;

    /// <inheritdoc />
    public int MaxThreads
    {
        get => maxThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            maxThreads = value;
            kernel = new ConvTranspose2DCpu(value);
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => bias is null ? [weight] : [weight, bias];

    internal ConvTranspose2DGeometry GetGeometry(Shape inputShape)
    {
        RequireRank(inputShape, 4, "input [N, C, H, W]");
        if (inputShape[1] != Config.InChannels)
            throw new ShapeException($"{this}: expected input with {Words.Plural(Config.InChannels, "channel")}, got {inputShape}.");
        var c = Config;
        var g = new ConvTranspose2DGeometry(inputShape[0], c.InChannels, inputShape[2], inputShape[3], c.OutChannels,
            c.KernelH, c.KernelW, c.StrideH, c.StrideW, c.Padding.Top, c.Padding.Left, c.Padding.Bottom, c.Padding.Right,
            c.OutputPaddingH, c.OutputPaddingW, c.DilationH, c.DilationW, c.Groups);
        if (g.OutH <= 0 || g.OutW <= 0)
            throw new ShapeException($"{this}: padding {c.Padding} crops all of the output for input {inputShape} " +
                $"(output would be {g.OutH}x{g.OutW}).");
        return g;
    }

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        var g = GetGeometry(inputShape);
        return new Shape(g.Batch, g.OutChannels, g.OutH, g.OutW);
    }

    /// <summary>
    /// The weight from <see cref="Config"/>'s initializer, the bias zero. The fans are those of the
    /// stride-1 sums: an output value adds C/groups * kH * kW terms, an input value reaches
    /// K/groups * kH * kW outputs.
    /// </summary>
    public override void ResetParameters(Random random)
    {
        int fanIn = Config.InChannels / Config.Groups * Config.KernelH * Config.KernelW;
        int fanOut = Config.OutChannels / Config.Groups * Config.KernelH * Config.KernelW;
        Initializers.Fill(weight.Value.Span, Config.Initializer, fanIn, fanOut, random);
        bias?.Value.Clear();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var g = GetGeometry(input.Shape);
        this.input = input;
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        kernel.Forward(g, input.Span, weight.Value.Span, bias is null ? default : bias.Value.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        BackwardParameters(dOutput);
        var result = Tensor.Reuse(ref dInput, input!.Shape);
        kernel.BackwardInput(GetGeometry(input.Shape), dOutput.Span, weight.Value.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override void BackwardParameters(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        kernel.BackwardWeight(GetGeometry(input!.Shape), input.Span, dOutput.Span, weight.Gradient.Span, bias is null ? default : bias.Gradient.Span);
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
            Conv2D.AddPair(parts, "stride", c.StrideH, c.StrideW, 1);
            if (c.Padding != Padding.Valid) parts.Add($"padding={c.Padding}");
            Conv2D.AddPair(parts, "output_padding", c.OutputPaddingH, c.OutputPaddingW, 0);
            Conv2D.AddPair(parts, "dilation", c.DilationH, c.DilationW, 1);
            if (c.Groups != 1) parts.Add($"groups={c.Groups}");
            if (!c.Bias) parts.Add("bias=false");
            return string.Join(", ", parts);
        }
    }
}

/// <summary>Options of a <see cref="ConvTranspose2D"/> layer.</summary>
/// <param name="InChannels">Input channels C.</param>
/// <param name="OutChannels">Output channels K.</param>
/// <param name="KernelH">Kernel rows.</param>
/// <param name="KernelW">Kernel columns.</param>
/// <param name="StrideH">Rows between the positions of neighbouring input rows in the output.</param>
/// <param name="StrideW">Columns between the positions of neighbouring input columns in the output.</param>
/// <param name="Padding">Rows and columns cropped from each side of the output (explicit amounts; "same" is not supported).</param>
/// <param name="OutputPaddingH">Rows added at the bottom of the output.</param>
/// <param name="OutputPaddingW">Columns added at the right of the output.</param>
/// <param name="DilationH">Spacing of the kernel rows.</param>
/// <param name="DilationW">Spacing of the kernel columns.</param>
/// <param name="Groups">Channel groups: input channels of group i reach only output channels of group i.</param>
/// <param name="Bias">Whether the layer adds a per-channel bias.</param>
/// <param name="Initializer">How <see cref="ConvTranspose2D.ResetParameters"/> fills the weight.</param>
public sealed record ConvTranspose2DConfig(
    int InChannels, int OutChannels, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1, Padding Padding = default,
    int OutputPaddingH = 0, int OutputPaddingW = 0,
    int DilationH = 1, int DilationW = 1, int Groups = 1, bool Bias = true,
    Initializer Initializer = Initializer.HeUniform) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new ConvTranspose2D(this);
}
