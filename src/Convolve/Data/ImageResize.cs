namespace Convolve.Data;

/// <summary>
/// Turns a <see cref="DecodedImage"/> into a model input: channels converted, resized (by area when
/// shrinking, bilinear when enlarging), scaled to 0..1, laid out [C, H, W].
/// </summary>
public static class ImageResize
{
    /// <summary>
    /// Writes <paramref name="image"/> as <paramref name="channels"/> x <paramref name="height"/> x
    /// <paramref name="width"/> floats in 0..1 to <paramref name="target"/>.
    /// Channels: gray to RGB repeats the gray value; RGB to gray is the luma
    /// <c>0.299 R + 0.587 G + 0.114 B</c> (ITU-R BT.601); alpha is composited over black (a
    /// transparent pixel becomes 0, the background of MNIST-style images).
    /// Resizing: see <see cref="Resize"/>; an image of the requested size is copied unchanged.
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
            Resize(source, inH, inW, output, height, width);
        }
    }

    /// <summary>
    /// Resizes one plane [inH, inW] to [outH, outW], each axis on its own (rows first, then
    /// columns). An axis that shrinks is resampled by area, a box filter: output pixel
    /// <c>o</c> covers the source interval <c>[o * in / out, (o + 1) * in / out)</c> and is the mean
    /// of every source pixel under it, weighted by how much of the pixel is covered (OpenCV's
    /// <c>INTER_AREA</c>, PyTorch's <c>adaptive_avg_pool</c> with fractional edges). Sampling
    /// only a few pixels instead, as bilinear interpolation does, skips most of a large photo and
    /// aliases its fine detail. An axis that grows or keeps its size is interpolated linearly with
    /// pixel centres aligned (see <see cref="Bilinear"/>; for both axes the result is the same,
    /// bit for bit), so a plane of the requested size is copied unchanged.
    /// </summary>
    public static void Resize(ReadOnlySpan<float> source, int inH, int inW, Span<float> target, int outH, int outW)
    {
        if (source.Length != inH * inW) throw new ArgumentException($"ImageResize: a {inH}x{inW} plane needs {inH * inW} values, got {source.Length}.");
        if (target.Length != outH * outW) throw new ArgumentException($"ImageResize: a {outH}x{outW} plane needs {outH * outW} values, got {target.Length}.");
        var columns = Taps(inW, outW);
        var rows = Taps(inH, outH);
        // Rows resized across first: [inH, outW].
        var across = new float[inH * outW];
        for (int y = 0; y < inH; y++)
        {
            var line = source.Slice(y * inW, inW);
            for (int x = 0; x < outW; x++)
            {
                var (indices, weights) = columns[x];
                float sum = 0;
                for (int k = 0; k < weights.Length; k++) sum += line[indices[k]] * weights[k];
                across[y * outW + x] = sum;
            }
        }
        target.Clear();
        for (int y = 0; y < outH; y++)
        {
            var (indices, weights) = rows[y];
            var output = target.Slice(y * outW, outW);
            for (int k = 0; k < weights.Length; k++)
            {
                var line = across.AsSpan(indices[k] * outW, outW);
                float w = weights[k];
                for (int x = 0; x < outW; x++) output[x] += line[x] * w;
            }
        }
    }

    /// <summary>
    /// For each output index along an axis, the source indices it reads and their weights.
    /// Shrinking: the covered share of each source pixel (summing to 1); otherwise the two
    /// neighbours of linear interpolation (the same pixel twice at a clamped border, as in
    /// <see cref="Bilinear"/>).
    /// </summary>
    private static (int[] Indices, float[] Weights)[] Taps(int inSize, int outSize)
    {
        var taps = new (int[], float[])[outSize];
        for (int o = 0; o < outSize; o++)
        {
            if (outSize >= inSize)
            {
                Coordinate(o, inSize, outSize, out int i0, out int i1, out float frac);
                taps[o] = ([i0, i1], [1 - frac, frac]);
                continue;
            }
            double scale = (double)inSize / outSize;
            double from = o * scale, to = (o + 1) * scale;
            int first = (int)Math.Floor(from), last = Math.Min(inSize, (int)Math.Ceiling(to)) - 1;
            var indices = new int[last - first + 1];
            var weights = new float[last - first + 1];
            for (int i = first; i <= last; i++)
            {
                indices[i - first] = i;
                weights[i - first] = (float)((Math.Min(to, i + 1) - Math.Max(from, i)) / scale);
            }
            taps[o] = (indices, weights);
        }
        return taps;
    }

    /// <summary>
    /// The inverse direction, for writing pictures: [C, H, W] values in 0..1 (clamped) to an 8-bit
    /// image of 1 or 3 channels, rounding <c>value x 255</c> to the nearest level.
    /// </summary>
    public static DecodedImage ToImage(ReadOnlySpan<float> values, int channels, int height, int width)
    {
        if (channels is not (1 or 3))
            throw new ArgumentException($"ImageResize.ToImage: {channels} channels; expected 1 (gray) or 3 (RGB).");
        if (values.Length != channels * height * width)
            throw new ArgumentException($"ImageResize.ToImage: {channels}x{height}x{width} needs {channels * height * width} values, got {values.Length}.");
        int plane = height * width;
        var pixels = new byte[channels * plane];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < plane; p++)
            {
                float v = Math.Clamp(values[c * plane + p], 0f, 1f);
                pixels[p * channels + c] = (byte)MathF.Round(v * 255f);
            }
        return new DecodedImage(width, height, channels, pixels);
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

    /// <summary>
    /// Bilinear resize of one plane [inH, inW] to [outH, outW] (pixel centres aligned), in 2-D
    /// form: the definition <see cref="Resize"/> keeps bit for bit when enlarging.
    /// </summary>
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
