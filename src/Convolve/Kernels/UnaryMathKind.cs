namespace Convolve.Kernels;

/// <summary>The element-wise functions of <see cref="Layers.UnaryMath"/>, each ONNX's operator of the same name.</summary>
public enum UnaryMathKind
{
    /// <summary>e^x.</summary>
    Exp,
    /// <summary>ln x (NaN below 0, -infinity at 0).</summary>
    Log,
    /// <summary>The square root (NaN below 0).</summary>
    Sqrt,
    /// <summary>-x.</summary>
    Neg,
    /// <summary>|x|.</summary>
    Abs,
    /// <summary>1 / x.</summary>
    Reciprocal,
    /// <summary>x^p for a constant exponent p.</summary>
    Pow,
    /// <summary>The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x.</summary>
    Erf,
}
