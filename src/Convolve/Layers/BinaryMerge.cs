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
/// </summary>
public abstract class BinaryMerge : MergeLayer
{
    private Broadcast? plan, outputWithA, outputWithB;
    private Tensor? a, b, output, dA, dB, scratch;
    private readonly Tensor[] gradients = new Tensor[2];

    /// <summary>The operation this layer applies.</summary>
    public abstract BinaryOperation Operation { get; }

    /// <inheritdoc />
    public override Shape GetOutputShape(IReadOnlyList<Shape> inputShapes)
    {
        if (inputShapes.Count != 2) throw new ShapeException($"{this}: needs two inputs, got {inputShapes.Count}.");
        if (!Broadcast.TryGetShape(inputShapes[0], inputShapes[1], out var shape, out int axis))
            throw new ShapeException($"{this}: inputs {inputShapes[0]} and {inputShapes[1]} do not broadcast: " +
                $"they differ in dimension {axis} (counted in the broadcast result) and neither size is 1.");
        return shape;
    }

    /// <inheritdoc />
    public override Tensor Forward(IReadOnlyList<Tensor> inputs, bool training = false)
    {
        if (inputs.Count != 2) throw new ShapeException($"{this}: needs two inputs, got {inputs.Count}.");
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

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> BackwardAll(Tensor dOutput)
    {
        RequireSameShape(dOutput, output);
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
/// min(a, b), broadcasting (see <see cref="BinaryMerge"/>; PyTorch's torch.minimum, ONNX's Min of two
/// values): dOutput goes to the smaller operand, to a at ties (each summed where repeated).
/// </summary>
public sealed class Minimum : BinaryMerge
{
    /// <inheritdoc />
    public override BinaryOperation Operation => BinaryOperation.Min;

    /// <inheritdoc />
    public override LayerConfig GetConfig() => new MinimumConfig();
}

/// <summary>
/// max(a, b), broadcasting (see <see cref="BinaryMerge"/>; PyTorch's torch.maximum, ONNX's Max of two
/// values): dOutput goes to the larger operand, to a at ties (each summed where repeated).
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
