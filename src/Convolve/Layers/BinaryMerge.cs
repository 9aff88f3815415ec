using System.Runtime.Intrinsics;
using Convolve.Kernels.Cpu;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Layers;

/// <summary>
/// An element-wise operation of two graph values, <c>a op b</c>, whose shapes broadcast by numpy's
/// (and ONNX's) rule, the batch axis included (see <see cref="Broadcast"/>): [N, C, H, W] with
/// [N, C, 1, 1] or [1, C, H, W] gives [N, C, H, W]. A repeated operand's gradient is summed over
/// the axes along which it was repeated. (Sums of two or more values are <see cref="Add"/>.)
/// <para>
/// Min and Max also take three or more inputs (ONNX's variadic Min and Max), all broadcasting to one
/// shape: the output starts at +inf (Min) or -inf (Max) and takes each input in turn, and dOutput
/// goes, element by element, to the first input holding the value taken (the last input gets what
/// no earlier one took), each input's share summed where it was repeated. With two inputs this is
/// the binary rule: to a at ties.
/// </para>
/// </summary>
public abstract class BinaryMerge : MergeLayer
{
    private Broadcast? plan, outputWithA, outputWithB;
    private Tensor? a, b, output, dA, dB, scratch;
    private readonly Tensor[] gradients = new Tensor[2];

    // Min and Max of three or more inputs: per input, the plan against the output; the inputs, the
    // shapes planned for, each input's gradient, and the gradient no input has taken yet.
    private Broadcast[] manyPlans = [];
    private Tensor[] manyInputs = [], manyGradients = [];
    private Tensor?[] manyReduced = [];
    private Shape[] manyShapes = [];
    private Tensor? remaining;

    /// <summary>The operation this layer applies.</summary>
    public abstract BinaryOperation Operation { get; }

    // Min and Max take any number of inputs from two; the others exactly two.
    private bool Variadic => Operation is BinaryOperation.Min or BinaryOperation.Max;

    private void RequireInputCount(int count)
    {
        if (Variadic ? count < 2 : count != 2)
            throw new ShapeException($"{this}: needs {(Variadic ? "at least two" : "two")} inputs, got {count}.");
    }

    /// <inheritdoc />
    public override Shape GetOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        RequireInputCount(inputShapes.Count);
        var shape = inputShapes[0];
        for (int i = 1; i < inputShapes.Count; i++)
            if (!Broadcast.TryGetShape(shape, inputShapes[i], out shape, out int axis))
                throw new ShapeException($"{this}: inputs {string.Join(" and ", inputShapes)} do not broadcast: " +
                    $"{(inputShapes.Count == 2 ? "they differ" : $"input {i} differs")} in dimension {axis} (counted in the broadcast result) " +
                    "and neither size is 1.");
        return shape;
    }

    /// <inheritdoc />
    public override Tensor Forward(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        RequireInputCount(inputs.Count);
        if (inputs.Count > 2) return ForwardMany(inputs);
        manyInputs = [];
        a = inputs[0];
        b = inputs[1];
        if (plan is null || plan.A != a.Shape || plan.B != b.Shape)
        {
            GetOutputShape([a.Shape, b.Shape]);
            plan = new Broadcast(a.Shape, b.Shape);
            outputWithA = outputWithB = null;
        }
        var result = Tensor.Reuse(ref output, plan.Output);
        plan.Apply(Operation, a.Span, b.Span, result.Span);
        return result;
    }

    // Min or Max of three or more inputs: the output starts at the operation's identity and takes each input in turn.
    private Tensor ForwardMany(IReadOnlyList<Tensor> inputs)
    {
        bool same = manyShapes.Length == inputs.Count;
        for (int i = 0; same && i < inputs.Count; i++) same = inputs[i].Shape == manyShapes[i];
        if (!same) PlanMany([.. inputs.Select(t => t.Shape)]);
        if (manyInputs.Length != inputs.Count) manyInputs = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++) manyInputs[i] = inputs[i];
        var result = Tensor.Reuse(ref output, manyPlans[0].A);
        result.Span.Fill(Operation == BinaryOperation.Min ? float.PositiveInfinity : float.NegativeInfinity);
        for (int i = 0; i < inputs.Count; i++) manyPlans[i].Apply(Operation, result.Span, inputs[i].Span, result.Span);
        return result;
    }

    // Apart from ForwardMany, whose steady state then allocates no closure.
    private void PlanMany(Shape[] shapes)
    {
        var outputShape = GetOutputShape(shapes);
        manyShapes = shapes;
        manyPlans = [.. shapes.Select(s => new Broadcast(outputShape, s))];
        manyGradients = new Tensor[shapes.Length];
        manyReduced = new Tensor?[shapes.Length];
    }

    // Each input's gradient: dOutput where it holds the output's value and no earlier input does; the last takes the rest.
    private IReadOnlyList<Tensor> BackwardMany(Tensor dOutput)
    {
        var rest = Tensor.Reuse(ref remaining, dOutput.Shape);
        var taken = Tensor.Reuse(ref scratch, dOutput.Shape);
        dOutput.Span.CopyTo(rest.Span);
        for (int i = 0; i < manyInputs.Length; i++)
        {
            var share = rest;
            if (i < manyInputs.Length - 1)
            {
                manyPlans[i].Apply(BinaryOperation.Subtract, output!.Span, manyInputs[i].Span, taken.Span);
                Elementwise.Apply(new Where(zero: true), taken.Span, rest.Span, taken.Span);
                TensorPrimitives.Subtract(rest.Span, taken.Span, rest.Span);
                share = taken;
            }
            var gradient = Tensor.Reuse(ref manyReduced[i], manyShapes[i]);
            if (manyPlans[i].BIsFull) share.Span.CopyTo(gradient.Span);
            else manyPlans[i].SumToB(share.Span, gradient.Span);
            manyGradients[i] = gradient;
        }
        return manyGradients;
    }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> BackwardAll(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
        if (manyInputs.Length > 2) return BackwardMany(dOutput);
        var p = plan!;
        var dy = dOutput.Span;
        switch (Operation)
        {
            case BinaryOperation.Subtract:
                {
                    gradients[0] = p.AIsFull ? dOutput : SumToA(dy);
                    var gradient = p.BIsFull ? Copy(dy, ref dB) : SumToB(dy);
                    TensorPrimitives.Negate(gradient.Span, gradient.Span);
                    gradients[1] = gradient;
                    break;
                }
            case BinaryOperation.Min or BinaryOperation.Max:
                {
                    // The output is a or b, element by element: a's gradient is dOutput where the output
                    // is a (ties included), b's is the rest, each summed where repeated.
                    var taken = Tensor.Reuse(ref scratch, p.Output);
                    OutputWith(ref outputWithA, a!.Shape).Apply(BinaryOperation.Subtract, output!.Span, a.Span, taken.Span);
                    Elementwise.Apply(new Where(zero: true), taken.Span, dy, taken.Span);
                    var gradientA = p.AIsFull ? Copy(taken.Span, ref dA) : SumToA(taken.Span);
                    TensorPrimitives.Subtract(dy, taken.Span, taken.Span);
                    gradients[0] = gradientA;
                    gradients[1] = p.BIsFull ? Copy(taken.Span, ref dB) : SumToB(taken.Span);
                    break;
                }
            case BinaryOperation.Multiply:
                // dA = dOutput * b and dB = dOutput * a, each summed over the axes its operand was repeated along.
                gradients[0] = Times(dy, OutputWith(ref outputWithB, b!.Shape), b.Span, toA: true);
                gradients[1] = Times(dy, OutputWith(ref outputWithA, a!.Shape), a.Span, toA: false);
                break;
            default:
                {
                    // y = a / b: dA = dOutput / b; dB = -dOutput * a / b^2 = -(dOutput / b) * y.
                    var quotient = Tensor.Reuse(ref scratch, p.Output);
                    OutputWith(ref outputWithB, b!.Shape).Apply(BinaryOperation.Divide, dy, b.Span, quotient.Span);
                    var gradientA = p.AIsFull ? Copy(quotient.Span, ref dA) : SumToA(quotient.Span);
                    TensorPrimitives.Multiply(quotient.Span, output!.Span, quotient.Span);
                    var gradientB = p.BIsFull ? Copy(quotient.Span, ref dB) : SumToB(quotient.Span);
                    TensorPrimitives.Negate(gradientB.Span, gradientB.Span);
                    gradients[0] = gradientA;
                    gradients[1] = gradientB;
                    break;
                }
        }
        return gradients;
    }

    // dOutput op other, where other is repeated to the output's shape: dOutput on the left.
    private Broadcast OutputWith(ref Broadcast? cache, Shape other) => cache ??= new Broadcast(plan!.Output, other);

    // dOutput * other (repeated to the output's shape), summed to A's shape (toA) or B's.
    private Tensor Times(ReadOnlySpan<float> dy, Broadcast withOther, ReadOnlySpan<float> other, bool toA)
    {
        var p = plan!;
        if (toA ? p.AIsFull : p.BIsFull)
        {
            var result = Tensor.Reuse(ref toA ? ref dA : ref dB, p.Output);
            withOther.Apply(BinaryOperation.Multiply, dy, other, result.Span);
            return result;
        }
        var product = Tensor.Reuse(ref scratch, p.Output);
        withOther.Apply(BinaryOperation.Multiply, dy, other, product.Span);
        return toA ? SumToA(product.Span) : SumToB(product.Span);
    }

    private Tensor SumToA(ReadOnlySpan<float> full)
    {
        var result = Tensor.Reuse(ref dA, plan!.A);
        plan.SumToA(full, result.Span);
        return result;
    }

    private Tensor SumToB(ReadOnlySpan<float> full)
    {
        var result = Tensor.Reuse(ref dB, plan!.B);
        plan.SumToB(full, result.Span);
        return result;
    }

    private Tensor Copy(ReadOnlySpan<float> values, ref Tensor? cache)
    {
        var result = Tensor.Reuse(ref cache, plan!.Output);
        values.CopyTo(result.Span);
        return result;
    }
}

/// <summary>(d, dy) -> dy where d is 0 (<paramref name="zero"/>) or where it is not, else 0: picks the gradient of the operand a Min or Max took.</summary>
internal readonly struct Where(bool zero) : IBinaryOperator
{
    public float Invoke(float d, float dy) => (d == 0) == zero ? dy : 0;
    public Vector256<float> Invoke(Vector256<float> d, Vector256<float> dy)
    {
        var isZero = Vector256.Equals(d, Vector256<float>.Zero);
        return dy & (zero ? isZero : ~isZero);
    }
    public Vector512<float> Invoke(Vector512<float> d, Vector512<float> dy)
    {
        var isZero = Vector512.Equals(d, Vector512<float>.Zero);
        return dy & (zero ? isZero : ~isZero);
    }
}

/// <summary>a - b, broadcasting (see <see cref="BinaryMerge"/>); dA = dOutput, dB = -dOutput (each summed where repeated).</summary>
public sealed class Subtract : BinaryMerge
{
    /// <inheritdoc />
    public override BinaryOperation Operation => BinaryOperation.Subtract;

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new SubtractConfig();
}

/// <summary>a * b, broadcasting (see <see cref="BinaryMerge"/>); dA = dOutput * b, dB = dOutput * a (each summed where repeated).</summary>
public sealed class Multiply : BinaryMerge
{
    /// <inheritdoc />
    public override BinaryOperation Operation => BinaryOperation.Multiply;

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new MultiplyConfig();
}

/// <summary>a / b, broadcasting (see <see cref="BinaryMerge"/>); dA = dOutput / b, dB = -dOutput * a / b^2 (each summed where repeated).</summary>
public sealed class Divide : BinaryMerge
{
    /// <inheritdoc />
    public override BinaryOperation Operation => BinaryOperation.Divide;

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new DivideConfig();
}

/// <summary>
/// min(a, b), broadcasting (see <see cref="BinaryMerge"/>; PyTorch's torch.minimum, ONNX's Min): dOutput
/// goes to the smaller operand, to a at ties (each summed where repeated). Takes three or more inputs too,
/// the gradient then going to the first input holding the smallest value.
/// </summary>
public sealed class Minimum : BinaryMerge
{
    /// <inheritdoc />
    public override BinaryOperation Operation => BinaryOperation.Min;

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new MinimumConfig();
}

/// <summary>
/// max(a, b), broadcasting (see <see cref="BinaryMerge"/>; PyTorch's torch.maximum, ONNX's Max): dOutput
/// goes to the larger operand, to a at ties (each summed where repeated). Takes three or more inputs too,
/// the gradient then going to the first input holding the largest value.
/// </summary>
public sealed class Maximum : BinaryMerge
{
    /// <inheritdoc />
    public override BinaryOperation Operation => BinaryOperation.Max;

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new MaximumConfig();
}

/// <summary>Options of a <see cref="Minimum"/> layer (none).</summary>
public sealed record MinimumConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Minimum();
}

/// <summary>Options of a <see cref="Maximum"/> layer (none).</summary>
public sealed record MaximumConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Maximum();
}

/// <summary>Options of a <see cref="Subtract"/> layer (none).</summary>
public sealed record SubtractConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Subtract();
}

/// <summary>Options of a <see cref="Multiply"/> layer (none).</summary>
public sealed record MultiplyConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Multiply();
}

/// <summary>Options of a <see cref="Divide"/> layer (none).</summary>
public sealed record DivideConfig : LayerConfig
{
    /// <inheritdoc />
    public override Layer CreateLayer() => new Divide();
}
