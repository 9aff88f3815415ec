using System.Globalization;

namespace Convolve.Cli.Serve;

/// <summary>A 6x6 image and a 3x3 kernel to convolve, each row by row.</summary>
/// <param name="Image">36 pixel values from 0 to 255.</param>
/// <param name="Kernel">9 weights.</param>
internal sealed record ArticleConvolveRequest(double?[]? Image, double?[]? Kernel);

/// <summary>
/// A coverage grid to count. Numbers arrive as JSON numbers of any kind so that a fraction gets
/// the same one-line reason as a value out of range.
/// </summary>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Width">Image width (null: the height, as in <c>convolve coverage</c>).</param>
/// <param name="Kernel">Kernel size k (a k x k filter).</param>
/// <param name="Padding">Zeros added on each side (null: 0).</param>
/// <param name="Stride">Step between windows (null: 1).</param>
internal sealed record ArticleCoverageRequest(double? Height, double? Width, double? Kernel, double? Padding, double? Stride);

/// <summary>The sizes of the parameter table; a null takes the default of <c>convolve params</c>.</summary>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Width">Image width (null: the height).</param>
/// <param name="Channels">Values per pixel.</param>
/// <param name="Hidden">Units of the fully connected layer.</param>
/// <param name="Filters">Filters of the convolution.</param>
/// <param name="Kernel">Kernel size k.</param>
internal sealed record ArticleParamsRequest(double? Height, double? Width, double? Channels, double? Hidden, double? Filters, double? Kernel);

/// <summary>An allowed range of a whole-number field, shown by the page on its inputs.</summary>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
internal sealed record ArticleRange(int Min, int Max)
{
    /// <summary>
    /// The whole number in <paramref name="value"/>, or <paramref name="fallback"/> when it is absent;
    /// a 400 naming <paramref name="field"/> and the range when it is absent without a fallback,
    /// not whole, or out of range.
    /// </summary>
    public int Check(double? value, string field, int? fallback = null)
    {
        if (value is not { } v)
            return fallback ?? throw ApiErrors.Bad($"{field} is missing: give a whole number from {Show(Min)} to {Show(Max)}.");
        if (!double.IsFinite(v) || v != Math.Floor(v) || v < Min || v > Max)
            throw ApiErrors.Bad($"{field} must be a whole number from {Show(Min)} to {Show(Max)}, got {ArticleChecks.Show(v)}.");
        return (int)v;
    }

    private static string Show(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

/// <summary>Checks of the Article page's number lists.</summary>
internal static class ArticleChecks
{
    /// <summary>
    /// The <paramref name="side"/> x <paramref name="side"/> values of <paramref name="field"/>
    /// (row by row) as floats, each finite and within [<paramref name="min"/>, <paramref name="max"/>];
    /// otherwise a 400 naming the field, the position and the allowed range.
    /// </summary>
    public static float[] Grid(double?[]? values, string field, int side, double min, double max)
    {
        int count = side * side;
        string range = $"from {Show(min)} to {Show(max)}";
        if (values is null) throw ApiErrors.Bad($"{field} is missing: give {count} numbers {range} ({side}x{side}, row by row).");
        if (values.Length != count)
            throw ApiErrors.Bad($"{field} must hold {count} numbers ({side}x{side}, row by row), got {values.Length}.");
        var grid = new float[count];
        for (int i = 0; i < count; i++)
        {
            if (values[i] is not { } v || !double.IsFinite(v) || v < min || v > max)
                throw ApiErrors.Bad($"{field}[{i}] (row {i / side}, column {i % side}) must be a number {range}, " +
                    $"got {(values[i] is { } given ? Show(given) : "nothing")}.");
            grid[i] = (float)v;
        }
        return grid;
    }

    /// <summary>A number in a message: as typed for finite values, by name for the others.</summary>
    public static string Show(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsInfinity(value) ? (value > 0 ? "Infinity" : "-Infinity") : value.ToString("G", CultureInfo.InvariantCulture);
}
