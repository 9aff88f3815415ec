using Convolve.Data;

namespace Convolve.Tests.Data;

public class ImageResizeTests
{
    [Fact]
    public void ToTensor_SameSize_CopiesTheScaledPixels()
    {
        byte[] pixels = [0, 51, 102, 153, 204, 255];
        var image = new DecodedImage(3, 2, 1, pixels);
        var target = new float[6];

        ImageResize.ToTensor(image, 1, 2, 3, target);

        Assert.Equal(pixels.Select(b => b / 255f), target);
    }

    [Fact]
    public void ToTensor_DoublesARow_LikeHalfPixelBilinear()
    {
        var image = new DecodedImage(2, 1, 1, [0, 255]);
        var target = new float[4];

        ImageResize.ToTensor(image, 1, 1, 4, target);

        // PyTorch's interpolate(mode="bilinear", align_corners=False) turns [0, 1] into
        // [0, 0.25, 0.75, 1]: output x samples source (x + 0.5) / 2 - 0.5, clamped.
        Assert.Equal([0f, 0.25f, 0.75f, 1f], target);
    }

    [Fact]
    public void ToTensor_HalvesARow_ByAveragingPairs()
    {
        var image = new DecodedImage(4, 1, 1, [0, 51, 102, 255]);
        var target = new float[2];

        ImageResize.ToTensor(image, 1, 1, 2, target);

        // Output x samples source 2x + 0.5: the mean of pixels (0, 1) and (2, 3).
        Assert.Equal((0 + 51) / 2f / 255f, target[0], 6);
        Assert.Equal((102 + 255) / 2f / 255f, target[1], 6);
    }

    [Fact]
    public void ToTensor_RgbToGray_UsesBt601Luma()
    {
        var image = new DecodedImage(1, 1, 3, [255, 0, 0]);
        var gray = new float[1];

        ImageResize.ToTensor(image, 1, 1, 1, gray);

        Assert.Equal(0.299f, gray[0], 6);
    }

    [Fact]
    public void ToTensor_GrayToRgb_RepeatsTheValue_AndRgbIsChannelPlanes()
    {
        var gray = new DecodedImage(2, 1, 1, [255, 0]);
        var rgb = new DecodedImage(2, 1, 3, [255, 0, 0, 0, 0, 255]);
        var fromGray = new float[6];
        var fromRgb = new float[6];

        ImageResize.ToTensor(gray, 3, 1, 2, fromGray);
        ImageResize.ToTensor(rgb, 3, 1, 2, fromRgb);

        Assert.Equal([1f, 0f, 1f, 0f, 1f, 0f], fromGray);
        // Planes R, G, B of two pixels: red then blue.
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 1f], fromRgb);
    }

    [Fact]
    public void ToTensor_Alpha_IsCompositedOverBlack()
    {
        var image = new DecodedImage(2, 1, 4, [255, 255, 255, 0, 255, 255, 255, 255]);
        var target = new float[2];

        ImageResize.ToTensor(image, 1, 1, 2, target);

        Assert.Equal(0f, target[0]);
        Assert.Equal(1f, target[1], 5);
    }

    [Fact]
    public void ToTensor_ConstantImage_StaysConstantAtAnySize()
    {
        var image = new DecodedImage(7, 5, 1, Enumerable.Repeat((byte)128, 35).ToArray());
        var target = new float[3 * 11];

        ImageResize.ToTensor(image, 1, 3, 11, target);

        Assert.All(target, v => Assert.Equal(128 / 255f, v, 6));
    }
}
