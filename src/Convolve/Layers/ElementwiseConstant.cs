using System.Globalization;
using Convolve.Kernels.Cpu;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>
/// The input combined element-wise with a constant tensor c: <c>x op c</c>, or <c>c op x</c> when
/// the constant is on the left (ONNX's Add, Sub, Mul, Div, Min and Max with an initializer operand). The
/// constant broadcasts against the input by numpy's rule (see <see cref="Broadcast"/>): shapes are
/// aligned at their last dimensions, so a scalar, a per-channel [C, 1, 1] and a row [1, W] all
/// work against [N, C, H, W]; the constant may have fewer dimensions than the input, or as many with
/// a leading 1 for the batch, but never more. The output has the broadcast shape with the input's
/// batch.
/// <para>
/// The constant is a non-trainable parameter named "constant": saved with the model, left alone by
/// optimizers, and not re-initialised by <see cref="Models.Model.Build"/>. Only the input gets a gradient.
/// Equal shapes, a per-channel constant and a scalar each run as a few long
/// <see cref="TensorPrimitives"/> rows (see <see cref="Broadcast"/>).
/// </para>
/// </summary>
public sealed class ElementwiseConstant : Layer
{
    private readonly Parameter constant;
    private Broadcast? plan, outputWithConstant, outputWithInput;
    private Tensor? input, output, dInput, scratch;

    /// <summary>A layer computing <c>input op constant</c> (or <c>constant op input</c>); the values of <paramref name="constant"/> are copied.</summary>
    public ElementwiseConstant(BinaryOperation operation, Tensor constant, bool constantOnLeft = false)
        : this(new ElementwiseConstantConfig(operation, constant.Shape.Dims.ToArray(), constantOnLeft)) =>
        constant.Span.CopyTo(this.constant.Value.Span);

    /// <summary>A layer with a zero constant of the configured shape, to be filled (by a model file, for instance).</summary>
    public ElementwiseConstant(ElementwiseConstantConfig config)
    {
        if (!Enum.IsDefined(config.Operation))
            throw new ArgumentException(
                $"ElementwiseConstant: operation {config.Operation} is not one of {string.Join(", ", Enum.GetNames<BinaryOperation>())}.");
        Config = config;
        constant = new Parameter("constant", new Shape(config.ConstantShape ?? []), trainable: false);
    }

    /// <summary>The options of this layer.</summary>
    public ElementwiseConstantConfig Config { get; }

    /// <summary>The operation.</summary>
    public BinaryOperation Operation => Config.Operation;

    /// <summary>Whether the constant is the left operand (<c>c - x</c>, <c>c / x</c>).</summary>
    public bool ConstantOnLeft => Config.ConstantOnLeft;

    /// <summary>The constant tensor (a non-trainable parameter).</summary>
    public Parameter Constant => constant;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [constant];

    /// <summary>The broadcast shape of the input and the constant (see <see cref="Broadcast"/>); the batch stays the input's.</summary>
    public override Shape GetOutputShape(Shape inputShape)
    {
        var c = constant.Shape;
        if (c.Rank > inputShape.Rank || (c.Rank == inputShape.Rank && c.Rank > 0 && c[0] != 1))
            throw new ShapeException($"{this}: the constant {c} must have fewer dimensions than the input, " +
                $"or a leading 1 for the batch, got input {inputShape}.");
        if (!Broadcast.TryGetShape(inputShape, c, out var shape, out int axis))
            throw new ShapeException($"{this}: the constant {c} does not broadcast against input {inputShape}: " +
                $"they differ in dimension {axis} (counted in the input) and neither size is 1.");
        return shape;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        this.input = input;
        if (plan is null || (ConstantOnLeft ? plan.B : plan.A) != input.Shape)
        {
            var outputShape = OutputShapeFor(input.Shape);
            plan = ConstantOnLeft ? new Broadcast(constant.Shape, input.Shape) : new Broadcast(input.Shape, constant.Shape);
            outputWithConstant = new Broadcast(outputShape, constant.Shape);
            outputWithInput = null;
        }
        var result = Tensor.Reuse(ref output, plan.Output);
        if (ConstantOnLeft) plan.Apply(Operation, constant.Value.Span, input.Span, result.Span);
        else plan.Apply(Operation, input.Span, constant.Value.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        var p = plan!;
        bool full = ConstantOnLeft ? p.BIsFull : p.AIsFull;
        if (Operation == BinaryOperation.Add || (Operation == BinaryOperation.Subtract && !ConstantOnLeft))
            return full ? dOutput : SumToInput(dOutput.Span);     // d(x + c) = d(x - c) = dOutput

        // The gradient at full size, in dInput when no sum is needed, else in scratch.
        var gradient = full ? Tensor.Reuse(ref dInput, p.Output) : Tensor.Reuse(ref scratch, p.Output);
        var dy = dOutput.Span;
        var c = constant.Value.Span;
        switch (Operation)
        {
            case BinaryOperation.Subtract:                            // d(c - x) = -dOutput
                TensorPrimitives.Negate(dy, gradient.Span);
                break;
            case BinaryOperation.Multiply:                            // d(x * c) = dOutput * c
                outputWithConstant!.Apply(BinaryOperation.Multiply, dy, c, gradient.Span);
                break;
            case BinaryOperation.Min or BinaryOperation.Max:
                // dOutput where the input was taken, i.e. the output differs from c; at a tie the
                // constant is taken and the gradient is 0, as with ReLU = max(x, 0) at 0 and Clip.
                outputWithConstant!.Apply(BinaryOperation.Subtract, output!.Span, c, gradient.Span);
                Elementwise.Apply(new Where(zero: false), gradient.Span, dy, gradient.Span);
                break;
            default:
                if (!ConstantOnLeft)                                   // d(x / c) = dOutput / c
                    outputWithConstant!.Apply(BinaryOperation.Divide, dy, c, gradient.Span);
                else
                {
                    // y = c / x: dx = -dOutput * c / x^2 = -(dOutput * y) / x.
                    TensorPrimitives.Multiply(dy, output!.Span, gradient.Span);
                    outputWithInput ??= new Broadcast(p.Output, input!.Shape);
                    outputWithInput.Apply(BinaryOperation.Divide, gradient.Span, input!.Span, gradient.Span);
                    TensorPrimitives.Negate(gradient.Span, gradient.Span);
                }
                break;
        }
        return full ? gradient : SumToInput(gradient.Span);
    }

    // The input's gradient from a full-size one: summed over the axes along which the input was repeated.
    private Tensor SumToInput(ReadOnlySpan<float> full)
    {
        var result = Tensor.Reuse(ref dInput, input!.Shape);
        if (ConstantOnLeft) plan!.SumToB(full, result.Span);
        else plan!.SumToA(full, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override LayerConfig GetConfig() => Config;

    /// <summary>"x * c[3, 1, 1]", "1 - x" (a scalar constant shows its value).</summary>
    protected override string ExtraDescription
    {
        get
        {
            string c = constant.Shape.Size == 1 && constant.Shape.Rank <= 1
                ? constant.Value[0].ToString(CultureInfo.InvariantCulture)
                : $"c{constant.Shape}";
            string symbol = Broadcast.Symbol(Operation);
            if (Operation is BinaryOperation.Min or BinaryOperation.Max) return ConstantOnLeft ? $"{symbol}({c}, x)" : $"{symbol}(x, {c})";
            return ConstantOnLeft ? $"{c} {symbol} x" : $"x {symbol} {c}";
        }
    }
}

/// <summary>
/// Options of an <see cref="ElementwiseConstant"/> layer: the operation, the constant's shape (its values are a parameter)
/// and which side it is on.
/// </summary>
public sealed record ElementwiseConstantConfig(BinaryOperation Operation, int[] ConstantShape, bool ConstantOnLeft = false) : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new ElementwiseConstant(this);

    // Records compare arrays by reference; two configs with equal values are equal.
    /// <inheritdoc />
    public bool Equals(ElementwiseConstantConfig? other) => other is not null && base.Equals(other) && Operation == other.Operation
        && ConstantShape.AsSpan().SequenceEqual(other.ConstantShape) && ConstantOnLeft == other.ConstantOnLeft;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Operation, ConstantShape.Length, ConstantOnLeft);
}
