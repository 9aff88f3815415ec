using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// The mean of each channel over all positions: [N, C, H, W] -> [N, C] (Keras'
/// GlobalAveragePooling2D), or [N, C, 1, 1] with <c>keepDims</c> (ONNX's GlobalAveragePool).
/// A head of this kind makes a CNN's output independent of where a feature appears.
/// </summary>
public sealed class GlobalAvgPool2D(bool keepDims = false) : Layer
{
    private Tensor? output, dInput;
    private Shape inputShape;

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    public GlobalAvgPool2D(GlobalAvgPool2DConfig config) : this(config.KeepDims) { }

    /// <summary>Whether the output keeps two trailing dimensions of size 1.</summary>
    public bool KeepDims { get; } = keepDims;

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        RequireRank(inputShape, 4, "input [N, C, H, W]");
        return KeepDims ? new Shape(inputShape[0], inputShape[1], 1, 1) : new Shape(inputShape[0], inputShape[1]);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var result = Tensor.Reuse(ref output, OutputShapeFor(input.Shape));
        inputShape = input.Shape;
        int planeSize = inputShape[2] * inputShape[3];
        var x = input.Span;
        var y = result.Span;
        for (int plane = 0; plane < y.Length; plane++)
            y[plane] = System.Numerics.Tensors.TensorPrimitives.Sum(x.Slice(plane * planeSize, planeSize)) / planeSize;
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var result = Tensor.Reuse(ref dInput, inputShape);
        int planeSize = inputShape[2] * inputShape[3];
        var dy = dOutput.Span;
        var dx = result.Span;
        for (int plane = 0; plane < dy.Length; plane++)
            dx.Slice(plane * planeSize, planeSize).Fill(dy[plane] / planeSize);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new GlobalAvgPool2DConfig(KeepDims);

    /// <inheritdoc />
    protected override string ExtraDescription => KeepDims ? "keep_dims=true" : "";
}

/// <summary>Options of a <see cref="GlobalAvgPool2D"/> layer.</summary>
public sealed record GlobalAvgPool2DConfig(bool KeepDims = false) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new GlobalAvgPool2D(this);
}
