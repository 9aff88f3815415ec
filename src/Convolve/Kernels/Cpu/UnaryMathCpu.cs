using System.Runtime.Intrinsics;
using Convolve.Kernels.Reference;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// The element-wise functions of <see cref="UnaryMathKind"/> and their derivatives with
/// TensorPrimitives, a few passes each; Erf by a vectorised rational approximation. Same results
/// as <see cref="UnaryMathReference"/> up to float32 rounding.
/// </summary>
internal static class UnaryMathCpu
{
    /// <inheritdoc cref="UnaryMathReference.Forward"/>
    public static void Forward(UnaryMathKind kind, float exponent, ReadOnlySpan<float> input, Span<float> output)
    {
        switch (kind)
        {
            case UnaryMathKind.Exp: TensorPrimitives.Exp(input, output); break;
            case UnaryMathKind.Log: TensorPrimitives.Log(input, output); break;
            case UnaryMathKind.Sqrt: TensorPrimitives.Sqrt(input, output); break;
            case UnaryMathKind.Neg: TensorPrimitives.Negate(input, output); break;
            case UnaryMathKind.Abs: TensorPrimitives.Abs(input, output); break;
            case UnaryMathKind.Reciprocal: TensorPrimitives.Reciprocal(input, output); break;
            case UnaryMathKind.Pow: Pow(input, exponent, output); break;
            default: Elementwise.Apply(new Erf(), input, input, output); break;
        }
    }

    /// <summary>
    /// dInput[i] = dOutput[i] * f'(input[i]), reading <paramref name="output"/> (f of the input)
    /// where that is cheaper than the input.
    /// </summary>
    public static void Backward(UnaryMathKind kind, float exponent, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        switch (kind)
        {
            case UnaryMathKind.Exp:                                  // (e^x)' = e^x = y
                TensorPrimitives.Multiply(dOutput, output, dInput);
                break;
            case UnaryMathKind.Log:                                  // (ln x)' = 1 / x
                TensorPrimitives.Divide(dOutput, input, dInput);
                break;
            case UnaryMathKind.Sqrt:                                 // (sqrt x)' = 1 / (2 y)
                TensorPrimitives.Divide(dOutput, output, dInput);
                TensorPrimitives.Multiply(dInput, 0.5f, dInput);
                break;
            case UnaryMathKind.Neg:
                TensorPrimitives.Negate(dOutput, dInput);
                break;
            case UnaryMathKind.Abs:                                  // sign(x), 0 at 0
                Elementwise.Apply(new Sign(), input, dOutput, dInput);
                break;
            case UnaryMathKind.Reciprocal:                           // (1 / x)' = -1 / x^2 = -y^2
                TensorPrimitives.Multiply(output, output, dInput);
                TensorPrimitives.Multiply(dInput, dOutput, dInput);
                TensorPrimitives.Negate(dInput, dInput);
                break;
            case UnaryMathKind.Pow:                                  // (x^p)' = p x^(p - 1)
                if (exponent == 0) { dInput.Clear(); break; }
                Pow(input, exponent - 1, dInput);
                TensorPrimitives.Multiply(dInput, dOutput, dInput);
                TensorPrimitives.Multiply(dInput, exponent, dInput);
                break;
            default:                                                 // erf' x = 2/sqrt(pi) e^(-x^2)
                TensorPrimitives.Multiply(input, input, dInput);
                TensorPrimitives.Negate(dInput, dInput);
                TensorPrimitives.Exp(dInput, dInput);
                TensorPrimitives.Multiply(dInput, dOutput, dInput);
                TensorPrimitives.Multiply(dInput, (float)(2 / Math.Sqrt(Math.PI)), dInput);
                break;
        }
    }

    // x^p. Whole exponents must take negative bases (x^2 of a signed value is common): up to 8 in
    // size they are repeated products (then the reciprocal for a negative one), larger ones go
    // element by element through MathF.Pow; a square root is one pass.
    private static void Pow(ReadOnlySpan<float> x, float p, Span<float> result)
    {
        if (p == 0.5f) TensorPrimitives.Sqrt(x, result);
        else if (p != MathF.Round(p)) TensorPrimitives.Pow(x, p, result);
        else if (p == 0) result.Fill(1);
        else if (MathF.Abs(p) <= 8)
        {
            x.CopyTo(result);
            for (int k = 1; k < MathF.Abs(p); k++) TensorPrimitives.Multiply(result, x, result);
            if (p < 0) TensorPrimitives.Reciprocal(result, result);
        }
        else for (int i = 0; i < x.Length; i++) result[i] = MathF.Pow(x[i], p);
    }

    /// <summary>(x, dy) -> dy * sign(x), with 0 at x = 0.</summary>
    private readonly struct Sign : IBinaryOperator
    {
        public float Invoke(float x, float dy) => x > 0 ? dy : x < 0 ? -dy : 0;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) =>
            (dy & Vector256.GreaterThan(x, Vector256<float>.Zero)) - (dy & Vector256.LessThan(x, Vector256<float>.Zero));
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) =>
            (dy & Vector512.GreaterThan(x, Vector512<float>.Zero)) - (dy & Vector512.LessThan(x, Vector512<float>.Zero));
    }

    /// <summary>
    /// (x, _) -> erf x as x P(x^2) / Q(x^2), a rational fit on [-4, 4] (Eigen's single-precision
    /// erf; outside that range erf is +-1 in float), within a few float steps of the definition.
    /// NaN stays NaN.
    /// </summary>
    internal readonly struct Erf : IBinaryOperator
    {
        private const float A1 = -1.60960333262415e-02f, A3 = -2.95459980854025e-03f, A5 = -7.34990630326855e-04f, A7 = -5.69250639462346e-05f,
            A9 = -2.10102402082508e-06f, A11 = 2.77068142495902e-08f, A13 = -2.72614225801306e-10f;
        private const float B0 = -1.42647390514189e-02f, B2 = -7.37332916720468e-03f, B4 = -1.68282697438203e-03f, B6 = -2.13374055278905e-04f,
            B8 = -1.45660718464996e-05f;

        public float Invoke(float x, float y)
        {
            if (float.IsNaN(x)) return x;
            x = Math.Clamp(x, -4f, 4f);
            float x2 = x * x;
            float p = ((((((A13 * x2 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1) * x;
            float q = (((B8 * x2 + B6) * x2 + B4) * x2 + B2) * x2 + B0;
            return p / q;
        }

        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y)
        {
            var c = Vector256.Min(Vector256.Max(x, Vector256.Create(-4f)), Vector256.Create(4f));
            var x2 = c * c;
            var p = ((((((Vector256.Create(A13) * x2 + Vector256.Create(A11)) * x2 + Vector256.Create(A9)) * x2 + Vector256.Create(A7)) * x2
                + Vector256.Create(A5)) * x2 + Vector256.Create(A3)) * x2 + Vector256.Create(A1)) * c;
            var q = (((Vector256.Create(B8) * x2 + Vector256.Create(B6)) * x2 + Vector256.Create(B4)) * x2 + Vector256.Create(B2)) * x2 + Vector256.Create(B0);
            return Vector256.ConditionalSelect(Vector256.Equals(x, x), p / q, x);
        }

        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y)
        {
            var c = Vector512.Min(Vector512.Max(x, Vector512.Create(-4f)), Vector512.Create(4f));
            var x2 = c * c;
            var p = ((((((Vector512.Create(A13) * x2 + Vector512.Create(A11)) * x2 + Vector512.Create(A9)) * x2 + Vector512.Create(A7)) * x2
                + Vector512.Create(A5)) * x2 + Vector512.Create(A3)) * x2 + Vector512.Create(A1)) * c;
            var q = (((Vector512.Create(B8) * x2 + Vector512.Create(B6)) * x2 + Vector512.Create(B4)) * x2 + Vector512.Create(B2)) * x2 + Vector512.Create(B0);
            return Vector512.ConditionalSelect(Vector512.Equals(x, x), p / q, x);
        }
    }
}
