using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// A layer with several inputs (a residual sum, a concatenation), for graph models
/// models. Its single-input members treat the layer as having one input.
/// </summary>
public abstract class MergeLayer : Layer
{
    /// <summary>The output shape for these input shapes; throws naming the layer when they do not fit together.</summary>
    public abstract Shape GetOutputShape(IReadOnlyList<Shape> inputShapes);

    /// <summary>Computes the output from all inputs (layer-owned, reused like <see cref="Layer.Forward"/>'s).</summary>
    public abstract Tensor Forward(IReadOnlyList<Tensor> inputs, bool training = false);

    /// <summary>The gradient with respect to each input, in input order (layer-owned; may share storage).</summary>
    public abstract IReadOnlyList<Tensor> BackwardAll(Tensor dOutput);

    public sealed override Shape GetOutputShape(Shape inputShape) => GetOutputShape([inputShape]);

    public sealed override Tensor Forward(Tensor input, bool training = false) => Forward([input], training);

    public sealed override Tensor Backward(Tensor dOutput) => BackwardAll(dOutput)[0];
}

/// <summary>
/// Element-wise sum of inputs of one shape, as in a residual block's <c>x + f(x)</c>. Every input's
/// gradient is dOutput itself.
/// </summary>
public sealed class Add : MergeLayer
{
    private Tensor? output;
    private Tensor[] gradients = [];

    public override Shape GetOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        if (inputShapes.Count < 2) throw new ShapeException($"{this}: needs at least two inputs, got {inputShapes.Count}.");
        foreach (var shape in inputShapes)
        {
            if (shape != inputShapes[0])
                throw new ShapeException($"{this}: inputs must have one shape, got {string.Join(" and ", inputShapes)}.");
        }
        return inputShapes[0];
    }

    public override Tensor Forward(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        if (inputs.Count < 2) throw new ShapeException($"{this}: needs at least two inputs, got {inputs.Count}.");
        var result = Tensor.Reuse(ref output, inputs[0].Shape);
        if (inputs[1].Shape != result.Shape) GetOutputShape([.. inputs.Select(t => t.Shape)]);
        System.Numerics.Tensors.TensorPrimitives.Add(inputs[0].Span, inputs[1].Span, result.Span);
        for (int i = 2; i < inputs.Count; i++)
        {
            if (inputs[i].Shape != result.Shape) GetOutputShape([.. inputs.Select(t => t.Shape)]);
            System.Numerics.Tensors.TensorPrimitives.Add(result.Span, inputs[i].Span, result.Span);
        }
        if (gradients.Length != inputs.Count) gradients = new Tensor[inputs.Count];
        return result;
    }

    public override IReadOnlyList<Tensor> BackwardAll(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        for (int i = 0; i < gradients.Length; i++) gradients[i] = dOutput;
        return gradients;
    }

    public override LayerConfig GetConfig() => new AddConfig();
}

/// <summary>
/// Joins inputs along the channel axis (axis 1): [N, C1, H, W] and [N, C2, H, W] give
/// [N, C1 + C2, H, W]. Each input's gradient is its slice of dOutput.
/// </summary>
public sealed class Concat : MergeLayer
{
    private Tensor? output;
    private Tensor?[] gradients = [];
    private Shape[] inputShapes = [];

    public override Shape GetOutputShape(IReadOnlyList<Shape> shapes)
    {
        if (shapes.Count < 2) throw new ShapeException($"{this}: needs at least two inputs, got {shapes.Count}.");
        int channels = 0;
        foreach (var shape in shapes)
        {
            bool fits = shape.Rank == shapes[0].Rank && shape.Rank >= 2 && shape[0] == shapes[0][0];
            for (int d = 2; fits && d < shape.Rank; d++) fits = shape[d] == shapes[0][d];
            if (!fits)
                throw new ShapeException($"{this}: inputs must agree in every dimension but the channels (axis 1), got {string.Join(" and ", shapes)}.");
            channels += shape[1];
        }
        var dims = shapes[0].Dims.ToArray();
        dims[1] = channels;
        return new Shape(dims);
    }

    public override Tensor Forward(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        if (!SameShapes(inputs))
        {
            inputShapes = [.. inputs.Select(t => t.Shape)];
            output = new Tensor(GetOutputShape(inputShapes));
            gradients = new Tensor?[inputs.Count];
        }
        var y = output!.Span;
        int batch = output.Shape[0], outItem = output.Length / batch, offset = 0;
        foreach (var input in inputs)
        {
            int item = input.Length / batch;
            for (int n = 0; n < batch; n++) input.Span.Slice(n * item, item).CopyTo(y.Slice(n * outItem + offset, item));
            offset += item;
        }
        return output;
    }

    private bool SameShapes(IReadOnlyList<Tensor> inputs)
    {
        if (inputShapes.Length != inputs.Count) return false;
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i].Shape != inputShapes[i]) return false;
        return true;
    }

    public override IReadOnlyList<Tensor> BackwardAll(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        int batch = dOutput.Shape[0], outItem = dOutput.Length / batch, offset = 0;
        for (int i = 0; i < inputShapes.Length; i++)
        {
            var gradient = Tensor.Reuse(ref gradients[i], inputShapes[i]);
            int item = gradient.Length / batch;
            for (int n = 0; n < batch; n++) dOutput.Span.Slice(n * outItem + offset, item).CopyTo(gradient.Span.Slice(n * item, item));
            offset += item;
        }
        return gradients!;
    }

    public override LayerConfig GetConfig() => new ConcatConfig();
}

/// <summary>Options of an <see cref="Add"/> layer (none).</summary>
public sealed record AddConfig : LayerConfig { public override Layer CreateLayer() => new Add(); }

/// <summary>Options of a <see cref="Concat"/> layer (none: it joins channels).</summary>
public sealed record ConcatConfig : LayerConfig { public override Layer CreateLayer() => new Concat(); }
