namespace Convolve.Analysis;

/// <summary>
/// How many times each input pixel is used by a sliding kH x kW filter: the number of
/// (window position, kernel tap) pairs that read the pixel. With stride 1, no padding and no
/// dilation a corner pixel is read once and a pixel far from the borders kH*kW times; padding
/// lets the border pixels be read more often.
/// </summary>
/// <param name="Counts">Uses per pixel, [height, width] in row-major order.</param>
public sealed record CoverageGrid(int Height, int Width, int KernelH, int KernelW, int Stride, int Padding, int Dilation,
    int OutH, int OutW, int[] Counts)
{
    /// <summary>Uses of the pixel at row <paramref name="row"/>, column <paramref name="column"/>.</summary>
    public int this[int row, int column] => Counts[row * Width + column];

    /// <summary>The fewest uses of any pixel.</summary>
    public int Min => Counts.Min();

    /// <summary>The most uses of any pixel.</summary>
    public int Max => Counts.Max();

    /// <summary>All uses added up; equals output positions x kernel taps that land inside the image.</summary>
    public long Sum => Counts.Sum(c => (long)c);

    /// <summary>Pixels that no window reads (possible with stride larger than the kernel span).</summary>
    public int Unused => Counts.Count(c => c == 0);

    /// <summary>
    /// Counts the uses for an image of <paramref name="height"/> x <paramref name="width"/>.
    /// Throws <see cref="ArgumentException"/> (from <see cref="OutputSize.Compute"/>) for impossible combinations.
    /// </summary>
    public static CoverageGrid Compute(int height, int width, int kernelH, int kernelW, int stride = 1, int padding = 0, int dilation = 1)
    {
        int outH = OutputSize.Compute(height, kernelH, stride, padding, dilation).Output;
        int outW = OutputSize.Compute(width, kernelW, stride, padding, dilation).Output;
        var counts = new int[height * width];
        // Every output position (oh, ow) reads, for every tap (i, j), the input pixel
        // (oh*s - p + i*d, ow*s - p + j*d); taps that land in the padding read a zero, not a pixel.
        for (int oh = 0; oh < outH; oh++)
        for (int ow = 0; ow < outW; ow++)
        for (int i = 0; i < kernelH; i++)
        for (int j = 0; j < kernelW; j++)
        {
            int h = oh * stride - padding + i * dilation;
            int w = ow * stride - padding + j * dilation;
            if (h >= 0 && h < height && w >= 0 && w < width) counts[h * width + w]++;
        }
        return new CoverageGrid(height, width, kernelH, kernelW, stride, padding, dilation, outH, outW, counts);
    }
}
