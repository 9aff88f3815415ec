namespace Convolve.Analysis;

/// <summary>Comparisons between filters.</summary>
public static class KernelMath
{
    /// <summary>
    /// Pearson correlation of two equally long value lists: 1 for the same pattern up to scale and
    /// offset, -1 for the same pattern upside down, 0 for unrelated ones. NaN when either is constant.
    /// </summary>
    public static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Correlation: the kernels have {a.Length} and {b.Length} values; they must have the same number.");
        if (a.Length == 0) throw new ArgumentException("Correlation: the kernels are empty.");
        double meanA = 0, meanB = 0;
        for (int i = 0; i < a.Length; i++) { meanA += a[i]; meanB += b[i]; }
        meanA /= a.Length;
        meanB /= b.Length;
        double cov = 0, varA = 0, varB = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - meanA, db = b[i] - meanB;
            cov += da * db;
            varA += da * da;
            varB += db * db;
        }
        return varA == 0 || varB == 0 ? double.NaN : cov / Math.Sqrt(varA * varB);
    }

    /// <summary>
    /// Share of a kernel's variation (sum of squared deviations from its mean) that is explained by
    /// its row means: 1 when every row is constant (a horizontal pattern, like the horizontal edge
    /// detector), 0 when every row has the same mean (a vertical pattern). NaN for a constant kernel.
    /// </summary>
    public static double RowStructure(ReadOnlySpan<float> kernel, int width)
    {
        if (width <= 0 || kernel.Length == 0 || kernel.Length % width != 0)
            throw new ArgumentException($"RowStructure: {kernel.Length} values do not make rows of {width}.");
        int rows = kernel.Length / width;
        double mean = 0;
        foreach (float v in kernel) mean += v;
        mean /= kernel.Length;
        double total = 0, between = 0;
        for (int r = 0; r < rows; r++)
        {
            double rowMean = 0;
            for (int c = 0; c < width; c++) rowMean += kernel[r * width + c];
            rowMean /= width;
            between += width * (rowMean - mean) * (rowMean - mean);
            for (int c = 0; c < width; c++) total += (kernel[r * width + c] - mean) * (kernel[r * width + c] - mean);
        }
        return total == 0 ? double.NaN : between / total;
    }
}
