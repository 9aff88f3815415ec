using Convolve.Kernels;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>
/// Fully connected layer: <c>output = input * weight^T + bias</c>. Input [N, in], output
/// [N, out], weight [out, in] (PyTorch's layout), bias [out] or none. With only the output size
/// given, the input size is taken from the first input shape the layer is built for.
/// </summary>
public sealed class Dense : Layer, IThreadedLayer
{
    private Parameter? weight, bias;
    private Tensor? input, output, dInput;

    /// <summary>A dense layer whose input size is inferred when the model is built.</summary>
    public Dense(int outFeatures, bool bias = true, Initializer initializer = Initializer.GlorotUniform)
        : this(new DenseConfig(0, outFeatures, bias, initializer)) { }

    /// <summary>A dense layer with both sizes given.</summary>
    public Dense(int inFeatures, int outFeatures, bool bias = true, Initializer initializer = Initializer.GlorotUniform)
        : this(new DenseConfig(inFeatures, outFeatures, bias, initializer)) { }

    /// <summary>The layer a model file's options describe (the same as the constructor with those values).</summary>
    /// <param name="config">The options.</param>
    /// <exception cref="ArgumentException">A size is not positive (InFeatures may be 0: inferred from the first input).</exception>
    public Dense(DenseConfig config)
    {
        if (config.InFeatures < 0 || config.OutFeatures <= 0)
            throw new ArgumentException($"Dense: sizes must be positive, got {config.InFeatures} -> {config.OutFeatures}.");
        Config = config;
        if (config.InFeatures > 0) CreateParameters();
    }

    /// <summary>The options; <see cref="DenseConfig.InFeatures"/> is 0 until an inferred size is known.</summary>
    public DenseConfig Config { get; private set; }

    /// <summary>The matrix multiply used; the fastest available by default.</summary>
    internal IGemmKernel Gemm { get; set; } = GemmKernels.Default;

    /// <inheritdoc />
    public int MaxThreads
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
            Gemm = GemmKernels.WithThreads(value);
        }
    }

    /// <summary>Weights, [out, in].</summary>
    public Parameter Weight => weight ?? throw NotBuilt();

    /// <summary>Bias, [out], or null when the layer has none.</summary>
    public Parameter? Bias => weight is null ? throw NotBuilt() : bias;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters =>
        weight is null ? [] : bias is null ? [weight] : [weight, bias];

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        RequireRank(inputShape, 2, "input [N, features] (add a Flatten before Dense)");
        if (Config.InFeatures > 0 && inputShape[1] != Config.InFeatures)
            throw new ShapeException($"{this}: expected input with {Words.Plural(Config.InFeatures, "feature")}, got {inputShape}.");
        return new Shape(inputShape[0], Config.OutFeatures);
    }

    /// <inheritdoc />
    protected override void OnBuild(Shape inputShape)
    {
        if (weight is not null) return;
        Config = Config with { InFeatures = inputShape[1] };
        CreateParameters();
    }

    private void CreateParameters()
    {
        weight = new Parameter("weight", new Shape(Config.OutFeatures, Config.InFeatures));
        bias = Config.Bias ? new Parameter("bias", new Shape(Config.OutFeatures)) : null;
    }

    /// <inheritdoc />
    public override void ResetParameters(Random random)
    {
        Initializers.Fill(Weight.Value.Span, Config.Initializer, Config.InFeatures, Config.OutFeatures, random);
        bias?.Value.Clear();
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var shape = OutputShapeFor(input.Shape);
        var w = Weight;
        this.input = input;
        var result = Tensor.Reuse(ref output, shape);
        int n = shape[0], outF = Config.OutFeatures;
        Gemm.Multiply(false, true, n, outF, Config.InFeatures, input.Span, w.Value.Span, result.Span, accumulate: false);
        if (bias is not null)
        {
            var y = result.Span;
            var b = bias.Value.Span;
            for (int i = 0; i < n; i++) TensorPrimitives.Add(y.Slice(i * outF, outF), b, y.Slice(i * outF, outF));
        }
        return result;
    }

    /// <summary>
    /// The matrix-multiply kernel each pass uses for <paramref name="inputShape"/> on this CPU:
    /// forward <c>x Wᵀ</c>, input gradient <c>dY W</c>, weight gradient <c>dYᵀ x</c>.
    /// </summary>
    public IReadOnlyList<(string Pass, string Kernel)> KernelChoices(Shape inputShape)
    {
        int n = OutputShapeFor(inputShape)[0], outF = Config.OutFeatures, inF = Config.InFeatures;
        string Describe(bool transA, bool transB, int m, int columns, int k) =>
            Gemm is Kernels.Cpu.Gemm gemm ? gemm.Describe(transA, transB, m, columns, k) : Gemm.GetType().Name;
        return
        [
            ("forward", Describe(false, true, n, outF, inF)),
            ("input gradient", Describe(false, false, n, inF, outF)),
            ("weight gradient", Describe(true, false, outF, inF, n)),
        ];
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        BackwardParameters(dOutput);
        int n = dOutput.Shape[0], outF = Config.OutFeatures, inF = Config.InFeatures;
        // dInput [N, in] = dOutput [N, out] * weight [out, in]
        var result = Tensor.Reuse(ref dInput, input!.Shape);
        Gemm.Multiply(false, false, n, inF, outF, dOutput.Span, Weight.Value.Span, result.Span, accumulate: false);
        return result;
    }

    /// <inheritdoc />
    public override void BackwardParameters(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var w = Weight;
        int n = dOutput.Shape[0], outF = Config.OutFeatures, inF = Config.InFeatures;
        // dWeight[out, in] += dOutput^T [out, N] * input [N, in]
        Gemm.Multiply(true, false, outF, inF, n, dOutput.Span, input!.Span, w.Gradient.Span, accumulate: true);
        if (bias is not null)
        {
            var db = bias.Gradient.Span;
            var dy = dOutput.Span;
            for (int i = 0; i < n; i++) TensorPrimitives.Add(db, dy.Slice(i * outF, outF), db);
        }
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => Config;

    private InvalidOperationException NotBuilt() =>
        new($"{this}: the input size is not known yet; build the model (or give the input size) first.");

    /// <inheritdoc />
    protected override string ExtraDescription =>
        (Config.InFeatures > 0 ? $"{Config.InFeatures}->{Config.OutFeatures}" : $"?->{Config.OutFeatures}")
        + (Config.Bias ? "" : ", bias=false");
}

/// <summary>Options of a <see cref="Dense"/> layer; InFeatures 0 means "infer at build".</summary>
public sealed record DenseConfig(int InFeatures, int OutFeatures, bool Bias = true,
    Initializer Initializer = Initializer.GlorotUniform) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Dense(this);
}
