using Convolve.Analysis;

namespace Convolve.Lessons.Tests.Analysis;

public class KernelMathTests
{
    private static readonly float[] Horizontal = [1, 1, 1, 0, 0, 0, -1, -1, -1];
    private static readonly float[] Vertical = [1, 0, -1, 1, 0, -1, 1, 0, -1];

    [Fact]
    public void Correlation_OfScaledAndShiftedCopy_IsOne() =>
        Assert.Equal(1.0, KernelMath.Correlation(Horizontal, Horizontal.Select(v => 2 * v + 3).ToArray()), 12);

    [Fact]
    public void Correlation_OfNegatedCopy_IsMinusOne() =>
        Assert.Equal(-1.0, KernelMath.Correlation(Horizontal, Horizontal.Select(v => -v).ToArray()), 12);

    [Fact]
    public void Correlation_OfHorizontalAndVerticalKernels_IsZero() =>
        Assert.Equal(0.0, KernelMath.Correlation(Horizontal, Vertical), 12);

    [Fact]
    public void Correlation_OfDifferentLengths_IsRejected() =>
        Assert.Equal("Correlation: the kernels have 9 and 3 values; they must have the same number.",
            Assert.Throws<ArgumentException>(() => KernelMath.Correlation(Horizontal, new float[3])).Message);

    [Fact]
    public void RowStructure_IsOneForHorizontalPatterns_AndZeroForVertical()
    {
        Assert.Equal(1.0, KernelMath.RowStructure(Horizontal, 3), 12);
        Assert.Equal(0.0, KernelMath.RowStructure(Vertical, 3), 12);
        Assert.True(double.IsNaN(KernelMath.RowStructure(new float[9], 3)));
    }
}
