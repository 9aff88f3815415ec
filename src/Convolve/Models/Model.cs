using Convolve.Data;
using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Models;

/// <summary>
/// A network of layers with one input and one output. <see cref="Sequential"/> chains layers;
/// models with branches derive from this class too. After <see cref="Build"/>, all parameter
/// values live in one array and all gradients in another, so that zeroing gradients is one
/// call and an optimizer step is a loop over spans.
/// </summary>
public abstract class Model
{
    private float[] parameterValues = [];
    private float[] parameterGradients = [];
    private Parameter[][] layerParameters = [];

    /// <summary>The shape of one input item, e.g. [1, 28, 28] (C, H, W); set by <see cref="Build"/>.</summary>
    public Shape InputShape { get; private set; }

    /// <summary>Whether <see cref="Build"/> has run.</summary>
    public bool IsBuilt { get; private set; }

    /// <summary>The layers, in the order their parameters are stored.</summary>
    public abstract IReadOnlyList<Layer> Layers { get; }

    /// <summary>All parameters with their keys ("conv2d_1.weight"), in a fixed order.</summary>
    public IEnumerable<(string Key, Parameter Parameter)> NamedParameters =>
        Layers.SelectMany(layer => layer.Parameters.Select(p => ($"{layer.Name}.{p.Name}", p)));

    /// <summary>All parameters, in the order of <see cref="NamedParameters"/>.</summary>
    public IEnumerable<Parameter> Parameters => Layers.SelectMany(layer => layer.Parameters);

    /// <summary>
    /// Names the layers, creates their parameters for items of <paramref name="inputShape"/>,
    /// checks every shape along the way, and initialises the parameters from a random source
    /// seeded with <paramref name="seed"/> (the same seed gives the same model).
    /// </summary>
    public Model Build(Shape inputShape, int seed = 0)
    {
        BuildShapes(inputShape);
        ResetParameters(seed);
        return this;
    }

    /// <summary>Like <see cref="Build"/>, without initialising (parameters stay zero until loaded or reset).</summary>
    public void BuildShapes(Shape inputShape)
    {
        if (IsBuilt && inputShape != InputShape)
            throw new InvalidOperationException($"The model is built for input items of {InputShape}; it cannot be rebuilt for {inputShape}.");
        NameLayers();
        BuildLayers(inputShape.Prepend(1));
        InputShape = inputShape;
        IsBuilt = true;
        GatherParameters();
    }

    /// <summary>Fills every parameter with fresh initial values from a source seeded with <paramref name="seed"/>.</summary>
    public void ResetParameters(int seed)
    {
        RequireBuilt();
        var random = new Random(seed);
        foreach (var layer in Layers) layer.ResetParameters(random);
    }

    /// <summary>Builds every layer for a batch of <paramref name="inputShape"/> and returns the output shape.</summary>
    protected abstract Shape BuildLayers(Shape inputShape);

    /// <summary>The output shape for a batch of inputs of <paramref name="inputShape"/>.</summary>
    public abstract Shape GetOutputShape(Shape inputShape);

    /// <summary>Runs the model on a batch [N, ...InputShape]. See <see cref="Layer.Forward"/> for buffer reuse.</summary>
    public abstract Tensor Forward(Tensor input, bool training = false);

    /// <summary>
    /// Runs the model up to its logits: a final <see cref="Softmax"/> layer, if any, is skipped,
    /// so that a loss can fuse softmax with cross-entropy stably.
    /// </summary>
    public abstract Tensor ForwardLogits(Tensor input, bool training = false);

    /// <summary>Back-propagates the gradient of the last forward pass's output; adds to parameter gradients; returns dInput.</summary>
    public abstract Tensor Backward(Tensor dOutput);

    /// <summary>
    /// Like <see cref="Backward"/>, but only for the parameters: the gradient with respect to the
    /// model's input is not computed, nor anything below the first layers with trainable
    /// parameters (their input gradient would be read by nobody), so the gradients of frozen
    /// layers below them stay as they were. What a training step needs; for a first convolution
    /// on images this skips its whole input-gradient pass.
    /// </summary>
    public abstract void BackwardParameters(Tensor dOutput);

    /// <summary>Whether the <paramref name="index"/>-th of <see cref="Layers"/> has a parameter optimizers update (no allocation).</summary>
    protected bool HasTrainableParameters(int index)
    {
        foreach (var parameter in layerParameters[index])
            if (parameter.Trainable) return true;
        return false;
    }

    /// <summary>The thread cap last given to <see cref="SetMaxThreads"/>; 0 (the default) means one per core.</summary>
    public int MaxThreads { get; private set; }

    /// <summary>
    /// Caps the threads of every layer that splits work across threads (see
    /// <see cref="IThreadedLayer"/>); 0 means one per core.
    /// </summary>
    public void SetMaxThreads(int maxThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxThreads);
        MaxThreads = maxThreads;
        foreach (var layer in Layers.OfType<IThreadedLayer>()) layer.MaxThreads = maxThreads;
    }

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGradients() => parameterGradients.AsSpan().Clear();

    /// <summary>All parameter values in one span (in the order of <see cref="NamedParameters"/>).</summary>
    public Span<float> ParameterValues => parameterValues;

    /// <summary>All parameter gradients in one span, aligned with <see cref="ParameterValues"/>.</summary>
    public Span<float> ParameterGradients => parameterGradients;

    /// <summary>The layer table with output shapes and parameter counts (Keras' model.summary()).</summary>
    public ModelSummary Summarize()
    {
        RequireBuilt();
        return ModelSummary.Of(this);
    }

    /// <summary>Output shape of each layer for one input item, in layer order.</summary>
    public abstract IReadOnlyList<Shape> LayerOutputShapes();

    /// <summary>
    /// The (first) input shape of each layer for a batch of <paramref name="batch"/> items, in
    /// layer order: what each layer's kernels see.
    /// </summary>
    public abstract IReadOnlyList<Shape> LayerInputShapes(int batch);

    /// <summary>
    /// How images are turned into this model's inputs (scale, normalisation, channels, size);
    /// saved and loaded with the model. Null means the default: 0..1 values (see
    /// <see cref="PreparationOrDefault"/>).
    /// </summary>
    public InputPreparation? Preparation { get; set; }

    /// <summary><see cref="Preparation"/>, or 0..1 values at <see cref="InputShape"/> when none is set.</summary>
    /// <exception cref="ShapeException">No preparation is set and the model's input is not a gray or RGB image.</exception>
    public InputPreparation PreparationOrDefault
    {
        get
        {
            RequireBuilt();
            return Preparation ?? InputPreparation.Default(InputShape);
        }
    }

    /// <summary>
    /// The class probabilities for a decoded image, prepared by <see cref="PreparationOrDefault"/>
    /// (a final <see cref="Softmax"/> is applied when the model ends in logits), with what was
    /// done to the image.
    /// </summary>
    public Prediction Predict(DecodedImage image)
    {
        var preparation = PreparationOrDefault;
        if (preparation.Problem(InputShape) is { } problem) throw new InvalidOperationException($"The model's input preparation {problem}.");
        var input = new Tensor(InputShape.Prepend(1));
        var report = preparation.Prepare(image, input.Span);
        var output = Forward(input).ToArray();
        if (Layers.Count > 0 && Layers[^1] is Softmax) return new Prediction(output, report);
        // Models trained with a loss that fuses softmax end in logits; softmax makes them probabilities.
        var probabilities = new float[output.Length];
        System.Numerics.Tensors.TensorPrimitives.SoftMax(output, probabilities);
        return new Prediction(probabilities, report);
    }

    /// <summary>Throws unless the model has been built.</summary>
    protected void RequireBuilt()
    {
        if (!IsBuilt) throw new InvalidOperationException("The model is not built yet: call Build(inputShape, seed) first.");
    }

    /// <summary>Throws unless <paramref name="input"/> is a batch of items of <see cref="InputShape"/>.</summary>
    protected void RequireInput(Tensor input)
    {
        RequireBuilt();
        if (input.Shape.Rank != InputShape.Rank + 1 || !input.Shape.Dims[1..].SequenceEqual(InputShape.Dims))
            throw new ShapeException($"Model: expected input [N, {string.Join(", ", InputShape)}], got {input.Shape}.");
    }

    private void NameLayers()
    {
        var counts = new Dictionary<string, int>();
        var taken = new HashSet<string>(Layers.Where(l => l.Name != "").Select(l => l.Name));
        foreach (var layer in Layers)
        {
            if (layer.Name != "") continue;
            string kind = layer.TypeName.ToLowerInvariant();
            string name;
            do
            {
                counts[kind] = counts.GetValueOrDefault(kind) + 1;
                name = $"{kind}_{counts[kind]}";
            } while (!taken.Add(name));
            layer.Name = name;
        }
        var duplicate = Layers.GroupBy(l => l.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Model: two layers are named '{duplicate.Key}'.");
    }

    private void GatherParameters()
    {
        layerParameters = [.. Layers.Select(layer => layer.Parameters.ToArray())];
        var all = Parameters.ToList();
        int total = all.Sum(p => p.Value.Length);
        if (parameterValues.Length == total && all.All(p => p.Value.Buffer == parameterValues)) return;
        parameterValues = new float[total];
        parameterGradients = new float[total];
        int offset = 0;
        foreach (var p in all)
        {
            p.MoveTo(parameterValues, parameterGradients, offset);
            offset += p.Value.Length;
        }
    }
}
