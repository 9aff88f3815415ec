using System.Numerics.Tensors;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Reductions whose axes are one contiguous run ([Outer, Span, Inner] to [Outer, Inner], e.g.
/// H and W of NCHW, or C alone), with TensorPrimitives: for Inner = 1 each output reduces one
/// contiguous row; otherwise the Span rows of Inner values are combined element-wise into the
/// output row. Other axis sets go to <see cref="ReduceReference"/>. Same results as the reference
/// up to float32 rounding of the sums (the reference sums in double); Max and Min are exact and
/// choose the same index.
/// </summary>
internal static class ReduceCpu
{
    /// <inheritdoc cref="ReduceReference.Forward"/>
    public static void Forward(ReduceKind kind, in ReduceGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argIndex)
    {
        if (g.Block is not var (outer, span, inner))
        {
            ReduceReference.Forward(kind, g, input, output, argIndex);
            return;
        }
        int count = span;
        for (int o = 0; o < outer; o++)
        {
            var x = input.Slice(o * span * inner, span * inner);
            var y = output.Slice(o * inner, inner);
            var arg = argIndex.Slice(o * inner, inner);
            if (inner == 1)
            {
                // IndexOfMax and IndexOfMin return the first index of the chosen value (or of the first NaN).
                y[0] = kind switch
                {
                    ReduceKind.Mean => TensorPrimitives.Sum(x) / count,
                    ReduceKind.Sum => TensorPrimitives.Sum(x),
                    ReduceKind.L2 => MathF.Sqrt(TensorPrimitives.SumOfSquares(x)),
                    ReduceKind.Max => x[arg[0] = TensorPrimitives.IndexOfMax(x)],
                    _ => x[arg[0] = TensorPrimitives.IndexOfMin(x)],
                };
                if (kind is ReduceKind.Max or ReduceKind.Min) arg[0] += o * span;
                continue;
            }
            // Row by row: y = reduce over r of x[r, :].
            var first = x[..inner];
            if (kind == ReduceKind.L2) TensorPrimitives.Multiply(first, first, y);
            else first.CopyTo(y);
            for (int r = 1; r < span; r++)
            {
                var row = x.Slice(r * inner, inner);
                switch (kind)
                {
                    case ReduceKind.Max: TensorPrimitives.Max(y, row, y); break;
                    case ReduceKind.Min: TensorPrimitives.Min(y, row, y); break;
                    case ReduceKind.L2: TensorPrimitives.MultiplyAdd(row, row, y, y); break;
                    default: TensorPrimitives.Add(y, row, y); break;
                }
            }
            switch (kind)
            {
                case ReduceKind.Mean: TensorPrimitives.Divide(y, count, y); break;
                case ReduceKind.L2: TensorPrimitives.Sqrt(y, y); break;
                case ReduceKind.Max or ReduceKind.Min:
                    // The first row holding each chosen value, as the reference picks it.
                    for (int j = 0; j < inner; j++)
                    {
                        int r = 0;
                        while (r < span - 1 && !Same(x[r * inner + j], y[j])) r++;
                        arg[j] = (o * span + r) * inner + j;
                    }
                    break;
            }
        }
    }

    /// <inheritdoc cref="ReduceReference.Backward"/>
    public static void Backward(ReduceKind kind, in ReduceGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<int> argIndex, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        if (g.Block is not var (outer, span, inner))
        {
            ReduceReference.Backward(kind, g, input, output, argIndex, dOutput, dInput);
            return;
        }
        if (kind is ReduceKind.Max or ReduceKind.Min)
        {
            dInput.Clear();
            for (int o = 0; o < dOutput.Length; o++) dInput[argIndex[o]] = dOutput[o];
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var dy = dOutput.Slice(o * inner, inner);
            var y = output.Slice(o * inner, inner);
            for (int r = 0; r < span; r++)
            {
                int at = (o * span + r) * inner;
                var dx = dInput.Slice(at, inner);
                switch (kind)
                {
                    case ReduceKind.Mean: TensorPrimitives.Divide(dy, span, dx); break;
                    case ReduceKind.Sum: dy.CopyTo(dx); break;
                    default:
                        // L2: dx = dy * x / y, and 0 where the norm is 0.
                        var x = input.Slice(at, inner);
                        for (int j = 0; j < inner; j++) dx[j] = y[j] == 0 ? 0 : dy[j] * x[j] / y[j];
                        break;
                }
            }
        }
    }

    private static bool Same(float a, float b) => a == b || (float.IsNaN(a) && float.IsNaN(b));
}
