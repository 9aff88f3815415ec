using Convolve.Analysis;
using Convolve.Layers;
using Convolve.Tensors;
using CsCheck;

namespace Convolve.Lessons.Tests.Analysis;

public class OutputSizeTests
{
    [Fact]
    public void ArticleConvolution_6By3_Gives4() => Assert.Equal(4, OutputSize.Compute(6, 3).Output);

    [Fact]
    public void Stride2Padding1_On28_Gives14_WithOnePaddedPixelUnused()
    {
        var r = OutputSize.Compute(28, 3, stride: 2, padding: 1);
        Assert.Equal(14, r.Output);
        Assert.Equal(27, r.Numerator); // 28 + 2 - 2 - 1
        Assert.Equal(1, r.Unused);      // 27 mod 2
    }

    // The answer must be the shape the layers produce, for any valid combination.
    [Fact]
    public void Convolution_AgreesWithConv2DLayer() =>
        Gen.Select(Gen.Int[1, 20], Gen.Int[1, 6], Gen.Int[1, 4], Gen.Int[0, 3], Gen.Int[1, 3])
            .Where(t => t.Item4 * 2 + t.Item1 >= t.Item5 * (t.Item2 - 1) + 1)
            .Sample(t =>
            {
                var (n, k, s, p, d) = t;
                var layer = new Conv2D(1, 1, k, s, p, d);
                var shape = layer.GetOutputShape(new Shape(1, 1, n, n));
                Assert.Equal(shape[2], OutputSize.Compute(n, k, s, p, d).Output);
            }, iter: 200);

    [Fact]
    public void Pooling_AgreesWithMaxPool2DLayer() =>
        Gen.Select(Gen.Int[1, 20], Gen.Int[1, 5], Gen.Int[1, 4], Gen.Int[0, 2], Gen.Bool)
            .Where(t => t.Item4 <= t.Item2 / 2 && t.Item1 + 2 * t.Item4 >= t.Item2)
            .Sample(t =>
            {
                var (n, k, s, p, ceil) = t;
                var layer = new MaxPool2D(k, s, p, ceilMode: ceil);
                var shape = layer.GetOutputShape(new Shape(1, 1, n, n));
                Assert.Equal(shape[2], OutputSize.Compute(n, k, s, p, 1, WindowKind.Pooling, ceil).Output);
            }, iter: 200);

    [Fact]
    public void KernelLargerThanInput_IsExplained()
    {
        var e = Assert.Throws<ArgumentException>(() => OutputSize.Compute(5, 7));
        Assert.Equal("kernel 7 is larger than the padded input 5 + 2*0 = 5: no window fits.", e.Message);
    }

    [Fact]
    public void DilatedKernelLargerThanInput_IsExplained()
    {
        var e = Assert.Throws<ArgumentException>(() => OutputSize.Compute(5, 3, dilation: 3));
        Assert.Equal("kernel 3 with dilation 3 spans 3*(3-1)+1 = 7 pixels, more than the padded input 5 + 2*0 = 5: no window fits.", e.Message);
    }

    [Theory]
    [InlineData(0, 3, 1, 0, 1, "size must be positive, got 0.")]
    [InlineData(6, 0, 1, 0, 1, "kernel must be positive, got 0.")]
    [InlineData(6, 3, 0, 0, 1, "stride must be positive, got 0.")]
    [InlineData(6, 3, 1, -1, 1, "padding must not be negative, got -1.")]
    [InlineData(6, 3, 1, 0, 0, "dilation must be positive, got 0.")]
    public void OutOfRangeValues_AreNamed(int n, int k, int s, int p, int d, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => OutputSize.Compute(n, k, s, p, d)).Message);

    [Fact]
    public void PoolingPaddingOverHalfTheKernel_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => OutputSize.Compute(6, 3, 3, 2, kind: WindowKind.Pooling));
        Assert.Equal("padding 2 is more than half the pooling kernel 3: a window could lie wholly in the padding (at most 1).", e.Message);
    }
}
