using Convolve.Kernels;

namespace Convolve.Analysis;

/// <summary>Whether a window belongs to a convolution or to a pooling layer (they differ in their defaults and limits).</summary>
public enum WindowKind
{
    /// <summary>A convolution: stride 1 by default, any padding.</summary>
    Convolution,

    /// <summary>A pooling window: stride = kernel by default, padding at most half the kernel, optional ceil mode.</summary>
    Pooling,
}

/// <summary>
/// The size of a sliding-window output along one axis, with each term of
/// <c>out = floor((n + 2p - d(k-1) - 1) / s) + 1</c> kept so that it can be shown.
/// </summary>
/// <param name="Size">Input length n.</param>
/// <param name="Kernel">Kernel length k.</param>
/// <param name="Stride">Step s between window positions.</param>
/// <param name="Padding">Zeros p added on each side.</param>
/// <param name="Dilation">Spacing d between kernel taps (1 = adjacent).</param>
public sealed record OutputSizeResult(WindowKind Kind, int Size, int Kernel, int Stride, int Padding, int Dilation, bool CeilMode, int Output)
{
    /// <summary>Pixels the dilated kernel spans: d(k-1) + 1.</summary>
    public int Span => Dilation * (Kernel - 1) + 1;

    /// <summary>The padded length n + 2p.</summary>
    public int PaddedSize => Size + 2 * Padding;

    /// <summary>The numerator n + 2p - d(k-1) - 1 of the formula.</summary>
    public int Numerator => PaddedSize - Span;

    /// <summary>
    /// Padded pixels at the end that no window reaches, because the stride does not divide the
    /// numerator (0 when the windows fit exactly, or in ceil mode).
    /// </summary>
    public int Unused => CeilMode ? 0 : Numerator % Stride;
}

/// <summary>Output sizes of convolutions and poolings, with clear errors for impossible combinations.</summary>
public static class OutputSize
{
    /// <summary>
    /// The output length of a window of <paramref name="kernel"/> taps over <paramref name="size"/>
    /// inputs. Uses the engine's own geometry (<see cref="Conv2DGeometry.OutputSize"/> for
    /// convolutions, <see cref="Pool2DGeometry.OutputSize"/> for pooling), so the answer is the
    /// shape the layers produce. Throws <see cref="ArgumentException"/> naming the argument when a
    /// value is out of range or the window does not fit in the padded input.
    /// </summary>
    public static OutputSizeResult Compute(int size, int kernel, int stride = 1, int padding = 0, int dilation = 1,
        WindowKind kind = WindowKind.Convolution, bool ceilMode = false)
    {
        Require(size > 0, $"size must be positive, got {size}.");
        Require(kernel > 0, $"kernel must be positive, got {kernel}.");
        Require(stride > 0, $"stride must be positive, got {stride}.");
        Require(padding >= 0, $"padding must not be negative, got {padding}.");
        Require(dilation > 0, $"dilation must be positive, got {dilation}.");
        Require(kind == WindowKind.Pooling || !ceilMode, "ceil mode applies to pooling only.");
        if (kind == WindowKind.Pooling)
            Require(padding <= kernel / 2,
                $"padding {padding} is more than half the pooling kernel {kernel}: a window could lie wholly in the padding (at most {kernel / 2}).");

        // In 64 bits: a size, kernel or padding near int.MaxValue must give a clear answer, not wrap.
        long span = (long)dilation * (kernel - 1) + 1;
        long padded = size + 2L * padding;
        Require(padded <= int.MaxValue, $"the padded input {size} + 2*{padding} = {padded} is more than {int.MaxValue} pixels.");
        Require(span <= padded, span == kernel
            ? $"kernel {kernel} is larger than the padded input {size} + 2*{padding} = {padded}: no window fits."
            : $"kernel {kernel} with dilation {dilation} spans {dilation}*({kernel}-1)+1 = {span} pixels, " +
                $"more than the padded input {size} + 2*{padding} = {padded}: no window fits.");

        int output = kind == WindowKind.Convolution
            ? Conv2DGeometry.OutputSize(size, kernel, stride, 2 * padding, dilation)
            : Pool2DGeometry.OutputSize(size, kernel, stride, padding, padding, dilation, ceilMode);
        return new OutputSizeResult(kind, size, kernel, stride, padding, dilation, ceilMode, output);
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }
}
