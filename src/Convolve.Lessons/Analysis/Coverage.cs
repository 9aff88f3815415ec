namespace Convolve.Analysis;

/// <summary>
/// How many times each input pixel is used by a sliding kH x kW filter: the number of
/// (window position, kernel tap) pairs that read the pixel. With stride 1, no padding and no
/// dilation a corner pixel is read once and a pixel far from the borders kH*kW times; padding
/// lets the border pixels be read more often.
/// </summary>
/// <param name="RowUses">Uses per row: how many (output row, kernel row) pairs read each input row, [height].</param>
/// <param name="ColumnUses">Uses per column, [width].</param>
/// <remarks>
/// A window position (oh, ow) and a tap (i, j) read the pixel (oh*s - p + i*d, ow*s - p + j*d):
/// its row depends only on (oh, i) and its column only on (ow, j). So a pixel's uses are its row's
/// uses times its column's, and the grid is kept as those two vectors: any size is counted in
/// time and memory proportional to height + width.
/// </remarks>
public sealed record CoverageGrid(int Height, int Width, int KernelH, int KernelW, int Stride, int Padding, int Dilation,
    int OutH, int OutW, int[] RowUses, int[] ColumnUses)
{
    /// <summary>Uses of the pixel at row <paramref name="row"/>, column <paramref name="column"/>.</summary>
    public long this[int row, int column] => (long)RowUses[row] * ColumnUses[column];

    /// <summary>The fewest uses of any pixel.</summary>
    public long Min => (long)RowUses.Min() * ColumnUses.Min();

    /// <summary>The most uses of any pixel.</summary>
    public long Max => (long)RowUses.Max() * ColumnUses.Max();

    /// <summary>All uses added up; equals output positions x kernel taps that land inside the image.</summary>
    public long Sum => checked(RowUses.Sum(c => (long)c) * ColumnUses.Sum(c => (long)c));

    /// <summary>Pixels that no window reads (possible with stride larger than the kernel span).</summary>
    public long Unused => (long)Height * Width - (long)RowUses.Count(c => c > 0) * ColumnUses.Count(c => c > 0);

    /// <summary>The longest padded axis <see cref="Compute"/> counts along (2^28 pixels).</summary>
    public const long MaxPaddedSize = 1L << 28;

    /// <summary>
    /// Counts the uses for an image of <paramref name="height"/> x <paramref name="width"/>.
    /// Throws <see cref="ArgumentException"/> (from <see cref="OutputSize.Compute"/>) for impossible
    /// combinations, and for padded axes longer than <see cref="MaxPaddedSize"/>.
    /// </summary>
    public static CoverageGrid Compute(int height, int width, int kernelH, int kernelW, int stride = 1, int padding = 0, int dilation = 1)
    {
        int outH = OutputSize.Compute(height, kernelH, stride, padding, dilation).Output;
        int outW = OutputSize.Compute(width, kernelW, stride, padding, dilation).Output;
        return new CoverageGrid(height, width, kernelH, kernelW, stride, padding, dilation, outH, outW,
            AxisUses(height, outH, kernelH, stride, padding, dilation), AxisUses(width, outW, kernelW, stride, padding, dilation));
    }

    // Uses of each of the size pixels along one axis: tap i of window o reads o*s - p + i*d. Each
    // tap's reads are an arithmetic run (step s, outSize terms) in the padded axis; a difference
    // array with a prefix sum along steps of s adds all kernel runs in O(padded size + kernel).
    private static int[] AxisUses(int size, int outSize, int kernel, int stride, int padding, int dilation)
    {
        long padded = size + 2L * padding;
        if (padded > MaxPaddedSize)
            throw new ArgumentException($"a padded size of {padded:N0} pixels ({size:N0} + 2*{padding:N0}) is too large to count; " +
                $"the largest is {MaxPaddedSize:N0}.");
        var runs = new int[padded + stride];
        for (long i = 0; i < kernel; i++)
        {
            // The last read, first + (outSize - 1) * stride, is inside the padded axis, so the end mark
            // one step later is inside the array.
            long first = i * dilation; // in padded coordinates
            runs[first]++;
            runs[first + (long)outSize * stride]--;
        }
        for (long x = stride; x < runs.Length; x++) runs[x] += runs[x - stride];
        return runs.AsSpan((int)padding, size).ToArray();
    }
}
