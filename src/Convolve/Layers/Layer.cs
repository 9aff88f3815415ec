using Convolve.Tensors;

namespace Convolve.Layers;

/// <summary>
/// One step of a network. A layer works on whole batches: <see cref="Forward"/> maps an input
/// batch to an output batch and remembers what <see cref="Backward"/> needs; Backward maps the
/// gradient of the loss with respect to the output (<c>dOutput</c>) to the gradient with respect
/// to the input (<c>dInput</c>) and adds the parameters' gradients to <see cref="Parameter.Gradient"/>.
/// <para>
/// Output and dInput tensors belong to the layer and are reused by the next call with the same
/// batch shape, so a training loop in steady state allocates nothing. Copy them to keep them.
/// </para>
/// </summary>
public abstract class Layer
{
    private Shape? builtFor;
    private Shape lastInputShape, lastOutputShape;

    /// <summary>The layer's name in its model, e.g. "conv2d_1"; prefixes its parameters' keys.</summary>
    public string Name { get; set; } = "";

    /// <summary>The layer's type name, as in summaries and model files ("Conv2D").</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>Parameters (trainable or not), in a fixed order.</summary>
    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>Whether <see cref="Build"/> has run.</summary>
    public bool IsBuilt => builtFor is not null;

    /// <summary>
    /// The output shape for an input shape (both with the batch dimension first). Throws a
    /// <see cref="ShapeException"/> naming the layer when the input does not fit.
    /// </summary>
    public abstract Shape GetOutputShape(Shape inputShape);

    /// <summary>
    /// Creates the parameters for inputs of <paramref name="inputShape"/> (a layer whose sizes are
    /// all given up front has created them already) and checks the shape. Returns the output shape.
    /// </summary>
    public Shape Build(Shape inputShape)
    {
        var outputShape = GetOutputShape(inputShape);
        if (builtFor is null) OnBuild(inputShape);
        builtFor = inputShape;
        return outputShape;
    }

    /// <summary>Creates parameters that depend on the input shape. Called once.</summary>
    protected virtual void OnBuild(Shape inputShape) { }

    /// <summary>Fills the parameters with fresh initial values drawn from <paramref name="random"/>.</summary>
    public virtual void ResetParameters(Random random) { }

    /// <summary>
    /// The state of the layer's random source (null for layers without one), so that a
    /// checkpoint can save it and a resumed run continue the same random sequence.
    /// </summary>
    public virtual long[]? RandomState
    {
        get => null;
        set { if (value is not null) throw new InvalidOperationException($"{this}: the layer has no random state to restore."); }
    }

    /// <summary>Computes the output batch. <paramref name="training"/> selects training behaviour (dropout, batch statistics).</summary>
    public abstract Tensor Forward(Tensor input, bool training = false);

    /// <summary>
    /// Returns dInput for the last <see cref="Forward"/> call and adds to the parameters'
    /// gradients. Calling it twice for one forward pass gives the same dInput.
    /// </summary>
    public abstract Tensor Backward(Tensor dOutput);

    /// <summary>
    /// Adds to the parameters' gradients as <see cref="Backward"/> does, without computing dInput
    /// (for a layer whose input gradient nobody reads, such as a model's first layer). Layers
    /// whose input gradient costs real work override it; the default calls Backward.
    /// </summary>
    public virtual void BackwardParameters(Tensor dOutput) => Backward(dOutput);

    /// <summary>The options that recreate this layer (without its parameter values).</summary>
    public abstract LayerConfig GetConfig();

    /// <summary>The options that differ from the defaults, e.g. "3->16, 3x3, stride=2".</summary>
    protected virtual string ExtraDescription => "";

    /// <summary>Type and non-default options: <c>Conv2D(1->32, 3x3)</c>.</summary>
    public override string ToString() => $"{TypeName}({ExtraDescription})";

    /// <summary>
    /// <see cref="GetOutputShape"/>, remembered for the last input shape: a stream of batches of one
    /// shape then computes (and allocates) the output shape once.
    /// </summary>
    protected Shape OutputShapeFor(Shape inputShape)
    {
        if (lastOutputShape.Rank == 0 || inputShape != lastInputShape)
        {
            lastOutputShape = GetOutputShape(inputShape);
            lastInputShape = inputShape;
        }
        return lastOutputShape;
    }

    /// <summary>Throws unless <paramref name="shape"/> has <paramref name="rank"/> dimensions.</summary>
    protected void RequireRank(Shape shape, int rank, string what)
    {
        if (shape.Rank != rank)
            throw new ShapeException($"{this}: expected {what} ({rank} dimensions), got {shape}.");
    }

    /// <summary>Throws unless Backward's gradient has the shape of the last output.</summary>
    protected void RequireSameShape(Tensor dOutput, Tensor? output)
    {
        if (output is null)
            throw new InvalidOperationException($"{this}: Backward was called before Forward.");
        if (dOutput.Shape != output.Shape)
            throw new ShapeException($"{this}: expected dOutput of shape {output.Shape} (the last output), got {dOutput.Shape}.");
    }
}
