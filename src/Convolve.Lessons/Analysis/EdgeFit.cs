namespace Convolve.Analysis;

/// <summary>The orientation of the edge a filter responds to most.</summary>
public enum EdgeOrientation
{
    /// <summary>The filter is not close to a ramp (see <see cref="EdgeFit.IsEdgeLike"/>).</summary>
    None,

    /// <summary>A horizontal edge: the filter changes from top to bottom.</summary>
    Horizontal,

    /// <summary>An edge rising to the right (/).</summary>
    Rising,

    /// <summary>A vertical edge: the filter changes from left to right.</summary>
    Vertical,

    /// <summary>An edge falling to the right (\).</summary>
    Falling,
}

/// <summary>
/// How much a filter looks like an edge detector: the least-squares fit of its weights by a plane
/// <c>w(y, x) ~ Mean + SlopeX * x + SlopeY * y</c>, with x and y measured from the filter's centre
/// (y downwards). A plane is the simplest edge detector (Sobel and Prewitt kernels are close to
/// one): it answers strongly where the image gets brighter along (SlopeX, SlopeY).
/// </summary>
/// <param name="Mean">The mean weight.</param>
/// <param name="SlopeX">Change of weight per pixel to the right.</param>
/// <param name="SlopeY">Change of weight per pixel downwards.</param>
/// <param name="Explained">The fraction of the weights' variance around their mean that the plane explains (R², 0..1).</param>
public readonly record struct EdgeFit(float Mean, float SlopeX, float SlopeY, float Explained)
{
    /// <summary>The explained fraction from which a filter counts as edge-like.</summary>
    public const float EdgeLikeThreshold = 0.5f;

    /// <summary>Whether the plane explains at least half of the filter's variation.</summary>
    public bool IsEdgeLike => Explained >= EdgeLikeThreshold;

    /// <summary>The edge's direction: perpendicular to the slope, to the nearest 45 degrees.</summary>
    public EdgeOrientation Orientation
    {
        get
        {
            if (!IsEdgeLike) return EdgeOrientation.None;
            // Angle of the slope with y pointing up, folded into [0, 180): the edge runs at +90 degrees.
            double slope = Math.Atan2(-SlopeY, SlopeX) * 180 / Math.PI;
            double edge = ((slope + 90) % 180 + 180) % 180;
            int sector = (int)Math.Round(edge / 45) % 4;
            return sector switch
            {
                0 => EdgeOrientation.Horizontal,
                1 => EdgeOrientation.Rising,
                2 => EdgeOrientation.Vertical,
                _ => EdgeOrientation.Falling,
            };
        }
    }

    /// <summary>Fits one filter of <paramref name="height"/> x <paramref name="width"/> weights (row-major).</summary>
    public static EdgeFit Of(ReadOnlySpan<float> weights, int height, int width)
    {
        if (weights.Length != height * width || height <= 0 || width <= 0)
            throw new ArgumentException($"EdgeFit: a {height}x{width} filter needs {height * width} weights, got {weights.Length}.");
        double cy = (height - 1) / 2.0, cx = (width - 1) / 2.0;
        double mean = 0;
        foreach (float w in weights) mean += w;
        mean /= weights.Length;
        // On a centred grid the constants, x and y are orthogonal, so each slope is a separate projection.
        double sxw = 0, sxx = 0, syw = 0, syy = 0, total = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double w = weights[y * width + x] - mean, dx = x - cx, dy = y - cy;
                sxw += dx * w;
                sxx += dx * dx;
                syw += dy * w;
                syy += dy * dy;
                total += w * w;
            }
        double slopeX = sxx > 0 ? sxw / sxx : 0, slopeY = syy > 0 ? syw / syy : 0;
        double explained = total > 0 ? (slopeX * slopeX * sxx + slopeY * slopeY * syy) / total : 0;
        return new EdgeFit((float)mean, (float)slopeX, (float)slopeY, (float)Math.Clamp(explained, 0, 1));
    }
}
