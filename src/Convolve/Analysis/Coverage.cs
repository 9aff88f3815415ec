namespace Convolve.Analysis;

/// <summary>
/// How many times each input pixel is used by a sliding kH x kW filter: the number of
/// (window position, kernel tap) pairs that read the pixel. With stride 1, no padding and no
/// dilation a corner pixel is read once and a pixel far from the borders kH*kW times; padding
/// lets the border pixels be read more often.
/// <para>
/// The count separates by axis: a window position (oh, ow) with tap (i, j) reads pixel (h, w)
/// exactly when oh*s - p + i*d = h and ow*s - p + j*d = w, so the uses of (h, w) are the uses of
/// row h along the height times the uses of column w along the width. The grid is held as those
/// two vectors, computed in O(n + k) each, which makes a 100000 x 100000 image as quick as 6 x 6.
/// </para>
/// </summary>
/// <param name="RowUses">Uses of each row along the height axis alone, [height].</param>
/// <param name="ColumnUses">Uses of each column along the width axis alone, [width].</param>
public sealed record CoverageGrid(int Height, int Width, int KernelH, int KernelW, int Stride, int Padding, int Dilation,
    int OutH, int OutW, int[] RowUses, int[] ColumnUses)
{
    /// <summary>
    /// The largest image side and kernel side this computes: a pixel's uses (at most kH*kW) then
    /// fit an int and the sum of all uses (at most H*W*kH*kW) a long.
    /// </summary>
    public const int MaxSide = 1_000_000, MaxKernel = 1_000;

    /// <summary>Uses of the pixel at row <paramref name="row"/>, column <paramref name="column"/>.</summary>
    public int this[int row, int column] => RowUses[row] * ColumnUses[column];

    /// <summary>The fewest uses of any pixel.</summary>
    public int Min => RowUses.Min() * ColumnUses.Min();

    /// <summary>The most uses of any pixel.</summary>
    public int Max => RowUses.Max() * ColumnUses.Max();

    /// <summary>All uses added up; equals output positions x kernel taps that land inside the image.</summary>
    public long Sum => RowUses.Sum(c => (long)c) * ColumnUses.Sum(c => (long)c);

    /// <summary>Pixels that no window reads (possible with stride larger than the kernel span).</summary>
    public long Unused => (long)Height * Width - (long)RowUses.Count(c => c > 0) * ColumnUses.Count(c => c > 0);

    /// <summary>
    /// Counts the uses for an image of <paramref name="height"/> x <paramref name="width"/>.
    /// Throws <see cref="ArgumentException"/> (from <see cref="OutputSize.Compute"/>) for impossible
    /// combinations, and for sides above <see cref="MaxSide"/> or kernels above <see cref="MaxKernel"/>.
    /// </summary>
    public static CoverageGrid Compute(int height, int width, int kernelH, int kernelW, int stride = 1, int padding = 0, int dilation = 1)
    {
        if (height > MaxSide || width > MaxSide)
            throw new ArgumentException($"an image of {height}x{width} is larger than this computes: each side can be at most {MaxSide:N0} pixels.");
        if (kernelH > MaxKernel || kernelW > MaxKernel)
            throw new ArgumentException($"a kernel of {kernelH}x{kernelW} is larger than this computes: each side can be at most {MaxKernel:N0} taps.");
        int outH = OutputSize.Compute(height, kernelH, stride, padding, dilation).Output;
        int outW = OutputSize.Compute(width, kernelW, stride, padding, dilation).Output;
        return new CoverageGrid(height, width, kernelH, kernelW, stride, padding, dilation, outH, outW,
            AxisUses(height, kernelH, stride, padding, dilation, outH), AxisUses(width, kernelW, stride, padding, dilation, outW));
    }

    /// <summary>
    /// Along one axis of <paramref name="n"/> pixels: how many (position, tap) pairs read each
    /// pixel. Scalar definition: for every position o in [0, out) and tap i in [0, k), pixel
    /// o*s - p + i*d gets one use when it lies in [0, n). Tap i reads the arithmetic progression
    /// h0 = i*d - p, h0 + s, ..., so each tap adds 1 to one run of a residue class mod s: a
    /// difference array marks where the run starts and ends, and a prefix sum with step s adds up.
    /// </summary>
    private static int[] AxisUses(int n, int k, int s, int p, int d, int outputs)
    {
        var diff = new int[n];
        for (int i = 0; i < k; i++)
        {
            long h0 = (long)i * d - p;
            long first = h0 >= 0 ? 0 : (-h0 + s - 1) / s;                // first position inside the image
            if (n - 1 - h0 < 0) continue;
            long last = Math.Min(outputs - 1, (n - 1 - h0) / s);          // last position inside the image
            if (first > last) continue;
            diff[h0 + first * s]++;
            long end = h0 + (last + 1) * s;
            if (end < n) diff[end]--;
        }
        var uses = new int[n];
        for (int h = 0; h < n; h++) uses[h] = diff[h] + (h >= s ? uses[h - s] : 0);
        return uses;
    }
}
