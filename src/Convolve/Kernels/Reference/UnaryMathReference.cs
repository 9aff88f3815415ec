namespace Convolve.Kernels.Reference;

/// <summary>The element-wise functions of <see cref="UnaryMathKind"/> and their derivatives, one element at a time in double: the definitions.</summary>
internal static class UnaryMathReference
{
    /// <summary>output[i] = f(input[i]); <paramref name="exponent"/> is Pow's p.</summary>
    public static void Forward(UnaryMathKind kind, float exponent, ReadOnlySpan<float> input, Span<float> output)
    {
        for (int i = 0; i < input.Length; i++) output[i] = (float)Value(kind, exponent, input[i]);
    }

    /// <summary>dInput[i] = dOutput[i] * f'(input[i]).</summary>
    public static void Backward(UnaryMathKind kind, float exponent, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        for (int i = 0; i < input.Length; i++) dInput[i] = (float)(dOutput[i] * Slope(kind, exponent, input[i]));
    }

    /// <summary>f(x).</summary>
    public static double Value(UnaryMathKind kind, float exponent, double x) => kind switch
    {
        UnaryMathKind.Exp => Math.Exp(x),
        UnaryMathKind.Log => Math.Log(x),
        UnaryMathKind.Sqrt => Math.Sqrt(x),
        UnaryMathKind.Neg => -x,
        UnaryMathKind.Abs => Math.Abs(x),
        UnaryMathKind.Reciprocal => 1 / x,
        UnaryMathKind.Pow => Math.Pow(x, exponent),
        _ => Erf(x),
    };

    /// <summary>f'(x); Abs takes 0 at 0, Pow with exponent 0 has slope 0 everywhere.</summary>
    public static double Slope(UnaryMathKind kind, float exponent, double x) => kind switch
    {
        UnaryMathKind.Exp => Math.Exp(x),
        UnaryMathKind.Log => 1 / x,
        UnaryMathKind.Sqrt => 0.5 / Math.Sqrt(x),
        UnaryMathKind.Neg => -1,
        UnaryMathKind.Abs => Math.Sign(x),
        UnaryMathKind.Reciprocal => -1 / (x * x),
        UnaryMathKind.Pow => exponent == 0 ? 0 : exponent * Math.Pow(x, exponent - 1),
        _ => 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x),
    };

    /// <summary>
    /// erf x by its Maclaurin series 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), summed in
    /// double until the terms stop mattering. For |x| &lt; 4 the largest term is below 1e7, so
    /// cancellation leaves more than float's precision; from 4 on, 1 - erf x &lt; 2e-8 is below
    /// half a float step at 1, so erf is +-1 in float.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        if (Math.Abs(x) >= 4) return Math.Sign(x);
        double term = x, sum = x, x2 = x * x;
        for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
        {
            term *= -x2 / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
