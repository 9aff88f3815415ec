using Convolve.Kernels.Cpu;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>
/// x for x &gt; 0, a * x otherwise, with a trainable slope a (ONNX's PRelu, PyTorch's nn.PReLU).
/// The slope's shape broadcasts against the item shape aligned at the right, as in ONNX: [1] is one
/// slope for everything (nn.PReLU()), [C, 1, 1] one per channel of [N, C, H, W] (nn.PReLU(C)),
/// [C] one per feature of [N, C]. Its gradient is the sum of dOutput * x over the inputs it
/// scaled (x &lt;= 0); the input's gradient at x = 0 is a * dOutput, as ReLU's is 0 there.
/// </summary>
public sealed class PReLU : Layer
{
    private readonly Parameter slope;
    private Tensor? input, output, dInput;
    private Shape mapFor;
    private int[] map = [];
    private int run; // consecutive item elements sharing one slope (H * W for a slope per channel)

    // Below this run length the element loop beats a vector pass per run.
    private const int MinimumRun = 16;

    /// <summary>A PReLU whose slope has <paramref name="slopeShape"/> ([1] when null), each slope starting at <paramref name="init"/>.</summary>
    public PReLU(int[]? slopeShape = null, float init = 0.25f) : this(new PReLUConfig(slopeShape ?? [1], init)) { }

    /// <summary>A PReLU with the given options.</summary>
    public PReLU(PReLUConfig config)
    {
        if (config.SlopeShape.Length == 0 || config.SlopeShape.Any(d => d <= 0))
            throw new ArgumentException($"PReLU: the slope's sizes must be positive, got [{string.Join(", ", config.SlopeShape)}].");
        Config = config;
        slope = new Parameter("weight", new Shape(config.SlopeShape));
        slope.Value.Fill(config.Init);
    }

    /// <summary>The options.</summary>
    public PReLUConfig Config { get; }

    /// <summary>The slopes for negative inputs, of shape <see cref="PReLUConfig.SlopeShape"/>.</summary>
    public Parameter Slope => slope;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [slope];

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape)
    {
        var s = Config.SlopeShape;
        int itemRank = inputShape.Rank - 1;
        bool fits = s.Length <= itemRank;
        for (int k = 1; k <= s.Length && fits; k++)
            fits = s[^k] == 1 || s[^k] == inputShape[inputShape.Rank - k];
        if (!fits)
            throw new ShapeException($"{this}: the slope [{string.Join(", ", s)}] does not broadcast to the items of input {inputShape} " +
                "(aligned at the right, each size 1 or the item's size; the batch takes no slope).");
        return inputShape;
    }

    /// <inheritdoc />
    public override void ResetParameters(Random random) => slope.Value.Fill(Config.Init);

    // map[i] = the slope index of item element i.
    private int[] Map(Shape shape)
    {
        if (map.Length > 0 && shape.Rank == mapFor.Rank && Enumerable.Range(1, shape.Rank - 1).All(d => shape[d] == mapFor[d])) return map;
        GetOutputShape(shape);
        var s = Config.SlopeShape;
        int itemRank = shape.Rank - 1, itemLength = 1;
        for (int d = 1; d < shape.Rank; d++) itemLength *= shape[d];
        var result = new int[itemLength];
        for (int i = 0; i < itemLength; i++)
        {
            int rest = i, index = 0, stride = 1;
            for (int k = 1; k <= itemRank; k++)
            {
                int size = shape[shape.Rank - k], coordinate = rest % size;
                rest /= size;
                if (k <= s.Length)
                {
                    if (s[^k] != 1) index += coordinate * stride;
                    stride *= s[^k];
                }
            }
            result[i] = index;
        }
        run = 1;
        for (int k = 1; k <= itemRank && (k > s.Length || s[^k] == 1); k++) run *= shape[shape.Rank - k];
        mapFor = shape;
        return map = result;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        var m = Map(input.Shape);
        this.input = input;
        var result = Tensor.Reuse(ref output, input.Shape);
        var x = input.Span;
        var y = result.Span;
        var a = slope.Value.Span;
        if (run >= MinimumRun)
        {
            // Gating x by itself with slope a is x for x > 0, a * x otherwise (as LeakyReLU does).
            for (int start = 0; start < x.Length; start += run)
                Elementwise.Apply(new ReLU.Gate(a[m[start % m.Length]]), x.Slice(start, run), x.Slice(start, run), y.Slice(start, run));
            return result;
        }
        for (int start = 0; start < x.Length; start += m.Length)
            for (int i = 0; i < m.Length; i++)
            {
                float v = x[start + i];
                y[start + i] = v > 0 ? v : a[m[i]] * v;
            }
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var m = map;
        var result = Tensor.Reuse(ref dInput, dOutput.Shape);
        var x = input!.Span;
        var dy = dOutput.Span;
        var dx = result.Span;
        var a = slope.Value.Span;
        var da = slope.Gradient.Span;
        if (run >= MinimumRun)
        {
            for (int start = 0; start < x.Length; start += run)
            {
                int index = m[start % m.Length];
                var xs = x.Slice(start, run);
                var dys = dy.Slice(start, run);
                var dxs = dx.Slice(start, run);
                // The slope's gradient sum(dy * min(x, 0)), with min(x, 0) held in dInput until the gate overwrites it.
                TensorPrimitives.Min(xs, 0f, dxs);
                da[index] += TensorPrimitives.Dot(dys, dxs);
                Elementwise.Apply(new ReLU.Gate(a[index]), xs, dys, dxs);
            }
            return result;
        }
        for (int start = 0; start < x.Length; start += m.Length)
            for (int i = 0; i < m.Length; i++)
            {
                float v = x[start + i], g = dy[start + i];
                if (v > 0) dx[start + i] = g;
                else
                {
                    dx[start + i] = a[m[i]] * g;
                    da[m[i]] += g * v;
                }
            }
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => Config;

    /// <inheritdoc />
    protected override string ExtraDescription =>
        string.Join(", ", new[]
        {
            Config.SlopeShape is [1] ? null : $"slope=[{string.Join(", ", Config.SlopeShape)}]",
            Config.Init == 0.25f ? null : $"init={Config.Init}",
        }.OfType<string>());
}

/// <summary>Options of a <see cref="PReLU"/> layer: the slope's shape (see <see cref="PReLU"/>) and its initial value.</summary>
public sealed record PReLUConfig(int[] SlopeShape, float Init = 0.25f) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new PReLU(this);

    // Records compare arrays by reference; two configs with equal values are equal.
    /// <inheritdoc />
    public bool Equals(PReLUConfig? other) =>
        other is not null && base.Equals(other) && Init == other.Init && SlopeShape.AsSpan().SequenceEqual(other.SlopeShape);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Init, SlopeShape.Length);
}
