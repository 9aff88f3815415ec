using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Transfer;

/// <summary>
/// A pre-trained body (a backbone or its back part) followed by a new head, trained as one
/// model. The body always runs in evaluation mode, also while training: batch normalisation keeps
/// the statistics it was pre-trained with instead of using the small, noisy batches of a small
/// data set, and the body computes what it computed when its features were cached. Which of its
/// parameters change is up to <see cref="Parameter.Trainable"/>.
/// <para>
/// Inputs are held as images (see <see cref="BackboneInput.AsImageShape"/>): a body taking [F]
/// receives [N, F, 1, 1] and sees it as [N, F]. Building gathers the parameters of both parts into
/// this model's buffers (see <see cref="ModelParts"/>); build the parts first.
/// </para>
/// </summary>
public sealed class BodyWithHead : Model, IChainedModel
{
    private readonly List<Layer> layers;

    public BodyWithHead(Model body, Model head)
    {
        if (!body.IsBuilt || !head.IsBuilt) throw new InvalidOperationException("BodyWithHead: build the body and the head first.");
        var bodyOutput = body.GetOutputShape(body.InputShape.Prepend(1)).ItemShape;
        if (bodyOutput != head.InputShape)
            throw new ShapeException($"BodyWithHead: the body outputs items of {bodyOutput}, but the head takes {head.InputShape}.");
        Body = body;
        Head = head;
        layers = [.. body.Layers, .. head.Layers];
    }

    /// <summary>The pre-trained part, run in evaluation mode.</summary>
    public Model Body { get; }

    /// <summary>The new part.</summary>
    public Model Head { get; }

    /// <summary>The body, always in evaluation mode, then the head.</summary>
    public IReadOnlyList<(Model Part, bool EvaluationOnly)> Parts => [(Body, true), (Head, false)];

    public override IReadOnlyList<Layer> Layers => layers;

    protected override Shape BuildLayers(Shape inputShape)
    {
        var expected = BackboneInput.AsImageShape(Body.InputShape).Prepend(1);
        if (inputShape != expected)
            throw new ShapeException($"BodyWithHead: the body takes items of {Body.InputShape}, held as {expected.ItemShape}; got {inputShape.ItemShape}.");
        return GetOutputShape(inputShape);
    }

    public override Shape GetOutputShape(Shape inputShape) =>
        Head.GetOutputShape(Head.InputShape.Prepend(inputShape[0]));

    public override IReadOnlyList<Shape> LayerOutputShapes() => [.. Body.LayerOutputShapes(), .. Head.LayerOutputShapes()];

    public override IReadOnlyList<Shape> LayerInputShapes(int batch) => [.. Body.LayerInputShapes(batch), .. Head.LayerInputShapes(batch)];

    public override Tensor Forward(Tensor input, bool training = false) => Head.Forward(RunBody(input), training);

    public override Tensor ForwardLogits(Tensor input, bool training = false) => Head.ForwardLogits(RunBody(input), training);

    private Tensor RunBody(Tensor input)
    {
        RequireInput(input);
        return Body.Forward(input.Reshape(Body.InputShape.Prepend(input.Shape[0])), training: false);
    }

    public override Tensor Backward(Tensor dOutput)
    {
        var dFeatures = Head.Backward(dOutput);
        var dInput = Body.Backward(dFeatures);
        return dInput.Reshape(InputShape.Prepend(dInput.Shape[0]));
    }

    public override void BackwardParameters(Tensor dOutput)
    {
        // A frozen body needs no gradient at all: the head's parameters are all there is to train.
        if (Body.Parameters.Any(p => p.Trainable)) Body.BackwardParameters(Head.Backward(dOutput));
        else Head.BackwardParameters(dOutput);
    }

    public override string ToString() => $"BodyWithHead({Body}, {Head})";
}
