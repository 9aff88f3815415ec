namespace Convolve.Data;

/// <summary>
/// Turns a <see cref="DecodedImage"/> into a model input: channels converted, resized with bilinear
/// interpolation, scaled to 0..1, laid out [C, H, W].
/// </summary>
public static class ImageResize
{
    /// <summary>
    /// Writes <paramref name="image"/> as <paramref name="channels"/> x <paramref name="height"/> x
    /// <paramref name="width"/> floats in 0..1 to <paramref name="target"/>.
    /// Channels: gray to RGB repeats the gray value; RGB to gray is the luma
    /// <c>0.299 R + 0.587 G + 0.114 B</c> (ITU-R BT.601); alpha is composited over black (a
    /// transparent pixel becomes 0, the background of MNIST-style images).
    /// Resizing: bilinear with pixel centres aligned (source coordinate
    /// <c>(x + 0.5) * inW / outW - 0.5</c>, clamped at the borders), so an image of the requested
    /// size is copied unchanged. Shrinking by more than 2x skips source pixels; that is acceptable
    /// for small inputs like 28x28 but aliases on large photos.
    /// </summary>
    public static void ToTensor(DecodedImage image, int channels, int height, int width, Span<float> target)
    {
        if (channels is not (1 or 3))
            throw new ArgumentException($"ImageResize: {channels} output channels; expected 1 (gray) or 3 (RGB).");
        if (height <= 0 || width <= 0)
            throw new ArgumentException($"ImageResize: output size {height}x{width}; both must be positive.");
        if (target.Length != channels * height * width)
            throw new ArgumentException($"ImageResize: {channels}x{height}x{width} needs {channels * height * width} values, got {target.Length}.");

        var planes = ToPlanes(image, channels);
        int inH = image.Height, inW = image.Width;
        int plane = inH * inW;
        for (int c = 0; c < channels; c++)
        {
            var source = planes.AsSpan(c * plane, plane);
            var output = target.Slice(c * height * width, height * width);
            Bilinear(source, inH, inW, output, height, width);
        }
    }

    /// <summary>The image as [C, H, W] floats in 0..1 with the requested channel count.</summary>
    internal static float[] ToPlanes(DecodedImage image, int channels)
    {
        int pixels = image.Width * image.Height;
        var planes = new float[channels * pixels];
        var bytes = image.Pixels;
        int inC = image.Channels;
        for (int p = 0; p < pixels; p++)
        {
            int at = p * inC;
            float alpha = inC == 4 ? bytes[at + 3] / 255f : 1f;
            if (inC == 1)
            {
                float gray = bytes[at] / 255f;
                for (int c = 0; c < channels; c++) planes[c * pixels + p] = gray;
            }
            else
            {
                float r = bytes[at] / 255f * alpha, g = bytes[at + 1] / 255f * alpha, b = bytes[at + 2] / 255f * alpha;
                if (channels == 1)
                {
                    planes[p] = 0.299f * r + 0.587f * g + 0.114f * b;
                }
                else
                {
                    planes[p] = r;
                    planes[pixels + p] = g;
                    planes[2 * pixels + p] = b;
                }
            }
        }
        return planes;
    }

    /// <summary>Bilinear resize of one plane [inH, inW] to [outH, outW] (pixel centres aligned).</summary>
    internal static void Bilinear(ReadOnlySpan<float> source, int inH, int inW, Span<float> target, int outH, int outW)
    {
        for (int y = 0; y < outH; y++)
        {
            Coordinate(y, inH, outH, out int y0, out int y1, out float fy);
            for (int x = 0; x < outW; x++)
            {
                Coordinate(x, inW, outW, out int x0, out int x1, out float fx);
                float top = source[y0 * inW + x0] * (1 - fx) + source[y0 * inW + x1] * fx;
                float bottom = source[y1 * inW + x0] * (1 - fx) + source[y1 * inW + x1] * fx;
                target[y * outW + x] = top * (1 - fy) + bottom * fy;
            }
        }
    }

    /// <summary>Source neighbours and weight of output index <paramref name="o"/>.</summary>
    private static void Coordinate(int o, int inSize, int outSize, out int i0, out int i1, out float frac)
    {
        float s = (o + 0.5f) * inSize / outSize - 0.5f;
        if (s < 0) s = 0;
        if (s > inSize - 1) s = inSize - 1;
        i0 = (int)s;
        i1 = Math.Min(i0 + 1, inSize - 1);
        frac = s - i0;
    }
}
