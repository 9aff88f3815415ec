using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Experiments;

/// <summary>
/// Puts images on a larger, empty (zero) canvas at a chosen place: the translation experiment's
/// way of moving a digit without changing it.
/// </summary>
public static class Canvas
{
    /// <summary>
    /// A copy of <paramref name="data"/> whose images are <paramref name="height"/> x
    /// <paramref name="width"/>, zero everywhere except where the original image is copied, with
    /// its top-left pixel at (<paramref name="top"/>, <paramref name="left"/>):
    /// <c>canvas[c, top + y, left + x] = image[c, y, x]</c>. Labels and class names are kept.
    /// </summary>
    /// <exception cref="ArgumentException">The image does not fit on the canvas at that place.</exception>
    public static ImageDataset Place(ImageDataset data, int height, int width, int top, int left)
    {
        var item = data.ImageShape;
        int channels = item[0], inH = item[1], inW = item[2];
        if (top < 0 || left < 0 || top + inH > height || left + inW > width)
            throw new ArgumentException(
                $"Canvas.Place: a {inH}x{inW} image at offset (y {top}, x {left}) does not fit on a {height}x{width} canvas; " +
                $"offsets must be in 0..{height - inH} (y) and 0..{width - inW} (x).");
        var images = new Tensor(new Shape(data.Count, channels, height, width));
        var source = data.Images.Span;
        var target = images.Span;
        for (int n = 0; n < data.Count; n++)
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < inH; y++)
                {
                    var row = source.Slice(((n * channels + c) * inH + y) * inW, inW);
                    row.CopyTo(target.Slice(((n * channels + c) * height + top + y) * width + left, inW));
                }
        return new ImageDataset(images, (int[])data.Labels.Clone(), data.ClassNames);
    }

    /// <summary>
    /// The largest offset at which an image of <paramref name="imageSize"/> still fits on a
    /// canvas of <paramref name="canvasSize"/> (along one axis).
    /// </summary>
    public static int MaxOffset(int canvasSize, int imageSize) => canvasSize - imageSize;
}
