using Convolve.Tensors;
using Convolve.Transfer;

namespace Convolve.Lessons.Tests.Transfer;

public class BackboneInputTests
{
    [Fact]
    public void Fit_RepeatsGrayIntoRgb_ResizesAndScales()
    {
        var gray = new Tensor(new Shape(1, 1, 2, 2));
        float[] values = [0.1f, 0.2f, 0.3f, 0.4f];
        values.CopyTo(gray.Span);
        var same = BackboneInput.Fit(gray, new Shape(3, 2, 2), pixelScale: 255);
        // An image of the requested size is copied unchanged (ImageResize's rule), then scaled.
        Assert.Equal(values.Select(v => v * 255).Concat(values.Select(v => v * 255)).Concat(values.Select(v => v * 255)), same.ToArray());
        Assert.Equal(new Shape(1, 3, 5, 7), BackboneInput.Fit(gray, new Shape(3, 5, 7)).Shape);
        var e = Assert.Throws<ShapeException>(() => BackboneInput.Fit(gray, new Shape(2, 4, 4)));
        Assert.Equal("The backbone takes 2-channel inputs [2, 4, 4]; images with 1 channel cannot be converted to that " +
            "(only gray to RGB and RGB to gray).", e.Message);
        e = Assert.Throws<ShapeException>(() => BackboneInput.Fit(gray, new Shape(5)));
        Assert.Equal("The backbone takes inputs [5]; images of 1x2x2 (C x H x W) cannot be made to fit " +
            "(expected a backbone input [C, H, W], or [4]).", e.Message);
    }
}
