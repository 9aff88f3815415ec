using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>How a <see cref="Resize"/> computes an output pixel from the input.</summary>
public enum ResizeInterpolation
{
    /// <summary>The value of the nearest input pixel (by <see cref="ResizeRounding"/>).</summary>
    Nearest,

    /// <summary>Bilinear: a blend of the four surrounding input pixels.</summary>
    Linear,
}

/// <summary>
/// How an output coordinate x maps to an input coordinate along an axis (ONNX's
/// coordinate_transformation_mode), with scale the axis's factor (output / input).
/// </summary>
public enum ResizeCoordinates
{
    /// <summary>(x + 0.5) / scale - 0.5: pixel centres line up (PyTorch's align_corners=False).</summary>
    HalfPixel,

    /// <summary>As <see cref="HalfPixel"/>, but 0 when the output axis has length 1 (what PyTorch computes).</summary>
    PytorchHalfPixel,

    /// <summary>x * (in - 1) / (out - 1): the corner pixels line up (PyTorch's align_corners=True).</summary>
    AlignCorners,

    /// <summary>x / scale: the top-left corners line up (Upsample and opset-10 Resize).</summary>
    Asymmetric,

    /// <summary>(x + 0.5) / scale: TensorFlow's half-pixel mapping for nearest resizing.</summary>
    TfHalfPixelForNN,
}

/// <summary>How a nearest resize rounds a fractional input coordinate to a pixel (ONNX's nearest_mode).</summary>
public enum ResizeRounding
{
    /// <summary>To the nearest integer; halves go down.</summary>
    RoundPreferFloor,

    /// <summary>To the nearest integer; halves go up.</summary>
    RoundPreferCeil,

    /// <summary>Down.</summary>
    Floor,

    /// <summary>Up.</summary>
    Ceil,
}

/// <summary>
/// Spatial resizing of [N, C, H, W] to [N, C, H', W'] (ONNX's Resize and Upsample; PyTorch's
/// <c>nn.Upsample</c> and <c>F.interpolate</c> in nearest and bilinear modes). The output size
/// comes from scale factors, H' = floor(H * scaleH), or is fixed (<see cref="ToSize"/>). Each
/// output pixel maps to input coordinates (<see cref="ResizeCoordinates"/>, dividing by the
/// scale factor given, or by H' / H for a fixed size, as ONNX defines; align_corners divides by
/// H * scale - 1 unrounded, as ONNX's reference does, where ONNX Runtime takes H' - 1), then takes the nearest
/// input pixel or blends the neighbours. No parameters; backward sends each output gradient back
/// to the input pixels it read, with the same weights.
/// </summary>
public sealed class Resize : Layer, IThreadedLayer
{
    private Tensor? output, dInput;
    private ResizePlan? plan;
    private Shape lastInputShape;

    /// <summary>
    /// Resizes by <paramref name="scaleH"/> along H and <paramref name="scaleW"/> along W (2 doubles
    /// each side; 0.5 halves it). Defaults are ONNX's: half_pixel coordinates, halves rounded down.
    /// </summary>
    public Resize(float scaleH, float scaleW, ResizeInterpolation mode = ResizeInterpolation.Nearest,
        ResizeCoordinates coordinates = ResizeCoordinates.HalfPixel, ResizeRounding rounding = ResizeRounding.RoundPreferFloor)
        : this(new ResizeConfig(mode, scaleH, scaleW, 0, 0, coordinates, rounding)) { }

    /// <summary>A resize from a config; a config with <c>Height</c> and <c>Width</c> set has a fixed output size.</summary>
    public Resize(ResizeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!Enum.IsDefined(config.Mode)) throw new ArgumentOutOfRangeException(nameof(config), config.Mode, "Resize: unknown mode.");
        if (!Enum.IsDefined(config.Coordinates))
            throw new ArgumentOutOfRangeException(nameof(config), config.Coordinates, "Resize: unknown coordinate mapping.");
        if (!Enum.IsDefined(config.Rounding)) throw new ArgumentOutOfRangeException(nameof(config), config.Rounding, "Resize: unknown rounding.");
        bool sized = config.Height != 0 || config.Width != 0;
        if (sized && (config.Height <= 0 || config.Width <= 0))
            throw new ArgumentException($"Resize: an output size of {config.Height}x{config.Width} is not positive.", nameof(config));
        if (!sized && !(config.ScaleH > 0 && config.ScaleW > 0 && float.IsFinite(config.ScaleH) && float.IsFinite(config.ScaleW)))
            throw new ArgumentException($"Resize: scales {config.ScaleH} and {config.ScaleW} must be positive and finite.", nameof(config));
        (Mode, Coordinates, Rounding) = (config.Mode, config.Coordinates, config.Rounding);
        (ScaleH, ScaleW, Height, Width) = sized ? (0f, 0f, config.Height, config.Width) : (config.ScaleH, config.ScaleW, 0, 0);
    }

    /// <summary>Resizes every input to <paramref name="height"/> x <paramref name="width"/>; the coordinate mapping divides by output / input.</summary>
    public static Resize ToSize(int height, int width, ResizeInterpolation mode = ResizeInterpolation.Nearest,
        ResizeCoordinates coordinates = ResizeCoordinates.HalfPixel, ResizeRounding rounding = ResizeRounding.RoundPreferFloor) =>
        new(new ResizeConfig(mode, 0, 0, height, width, coordinates, rounding));

    /// <summary>Nearest or linear.</summary>
    public ResizeInterpolation Mode { get; }

    /// <summary>How output coordinates map to input coordinates.</summary>
    public ResizeCoordinates Coordinates { get; }

    /// <summary>How a nearest resize rounds (unused by linear).</summary>
    public ResizeRounding Rounding { get; }

    /// <summary>The scale factor along H, or 0 for a fixed output size.</summary>
    public float ScaleH { get; }

    /// <summary>The scale factor along W, or 0 for a fixed output size.</summary>
    public float ScaleW { get; }

    /// <summary>The fixed output height, or 0 when the output size comes from the scales.</summary>
    public int Height { get; }

    /// <summary>The fixed output width, or 0 when the output size comes from the scales.</summary>
    public int Width { get; }

    /// <summary>Whether the output size is fixed rather than scaled.</summary>
    public bool IsSized => Height > 0;

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

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 4) throw new ShapeException($"{this}: expected an [N, C, H, W] input, got {inputShape}.");
        var (h, w) = OutputSize(inputShape[2], inputShape[3]);
        if (h <= 0 || w <= 0)
            throw new ShapeException($"{this}: input {inputShape} resizes to an empty {h}x{w} output (H * scale and W * scale must reach 1).");
        return new Shape(inputShape[0], inputShape[1], h, w);
    }

    private (int H, int W) OutputSize(int inH, int inW) =>
        IsSized ? (Height, Width) : ((int)MathF.Floor(inH * ScaleH), (int)MathF.Floor(inW * ScaleW));

    /// <summary>The kernels' description of resizing an input of <paramref name="inputShape"/>.</summary>
    internal ResizeGeometry GetGeometry(Shape inputShape) => Geometry(inputShape, GetOutputShape(inputShape));

    private ResizeGeometry Geometry(Shape inputShape, Shape outputShape)
    {
        int planes = inputShape[0] * inputShape[1], inH = inputShape[2], inW = inputShape[3], outH = outputShape[2], outW = outputShape[3];
        return IsSized
            ? new ResizeGeometry(planes, inH, inW, outH, outW, (float)outH / inH, (float)outW / inW, Mode, Coordinates, Rounding)
            : new ResizeGeometry(planes, inH, inW, outH, outW, ScaleH, ScaleW, Mode, Coordinates, Rounding, inH * ScaleH, inW * ScaleW);
    }

    // The tables of the current shape, made anew when the shape or the thread count changes.
    private ResizePlan PlanFor(Shape inputShape, Shape outputShape)
    {
        var g = Geometry(inputShape, outputShape);
        int parts = ResizeCpu.Parts(g, MaxThreads);
        if (plan is null || plan.Geometry != g || plan.Parts < parts) plan = new ResizePlan(g, parts);
        return plan;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        ResizeCpu.Forward(PlanFor(input.Shape, result.Shape), input.Span, result.Span, MaxThreads);
        lastInputShape = input.Shape;
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, lastInputShape);
        ResizeCpu.Backward(plan!, dOutput.Span, result.Span, MaxThreads);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new ResizeConfig(Mode, ScaleH, ScaleW, Height, Width, Coordinates, Rounding);

    /// <inheritdoc />
    protected override string ExtraDescription =>
        $"{Mode.ToString().ToLowerInvariant()}, {(IsSized ? $"size={Height}x{Width}" : $"scale={ScaleH}x{ScaleW}")}, {Coordinates}" +
        (Mode == ResizeInterpolation.Nearest ? $", {Rounding}" : "");
}

/// <summary>
/// Options of a <see cref="Resize"/> layer: scale factors (<paramref name="Height"/> and
/// <paramref name="Width"/> 0), or a fixed output size (the scales then 0).
/// </summary>
/// <param name="Mode">Nearest or linear.</param>
/// <param name="ScaleH">The factor along H (output = floor(H * ScaleH)), or 0 with a fixed size.</param>
/// <param name="ScaleW">The factor along W, or 0 with a fixed size.</param>
/// <param name="Height">A fixed output height, or 0.</param>
/// <param name="Width">A fixed output width, or 0.</param>
/// <param name="Coordinates">How output coordinates map to input coordinates.</param>
/// <param name="Rounding">How nearest rounds a fractional coordinate.</param>
public sealed record ResizeConfig(ResizeInterpolation Mode, float ScaleH, float ScaleW, int Height = 0, int Width = 0,
    ResizeCoordinates Coordinates = ResizeCoordinates.HalfPixel, ResizeRounding Rounding = ResizeRounding.RoundPreferFloor) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Resize(this);
}
