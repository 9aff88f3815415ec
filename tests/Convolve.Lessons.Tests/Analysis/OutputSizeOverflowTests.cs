using Convolve.Analysis;

namespace Convolve.Lessons.Tests.Analysis;

/// <summary>Sizes near int.MaxValue: a clear refusal, not an answer computed from a wrapped sum.</summary>
public class OutputSizeOverflowTests
{
    [Fact]
    public void PaddingThatOverflowsAnInt_IsRefusedInsteadOfWrapping()
    {
        var e = Assert.Throws<ArgumentException>(() => OutputSize.Compute(5, 3, padding: 1_500_000_000));
        Assert.Equal("the padded input 5 + 2*1500000000 = 3000000005 is more than 2147483647 pixels.", e.Message);
    }

    [Fact]
    public void ADilatedKernelWhoseSpanOverflowsAnInt_IsRefusedAsNotFitting()
    {
        var e = Assert.Throws<ArgumentException>(() => OutputSize.Compute(5, 3, dilation: 2_000_000_000));
        Assert.Equal("kernel 3 with dilation 2000000000 spans 2000000000*(3-1)+1 = 4000000001 pixels, " +
            "more than the padded input 5 + 2*0 = 5: no window fits.", e.Message);
    }
}
