namespace Convolve.Serve.Tests;

/// <summary>Digits drawn in code as the Draw page sends them: white strokes on black, values 0..1, row-major.</summary>
public static class DrawSketches
{
    /// <summary>The side of the grid the page sends.</summary>
    public const int Side = 112;

    /// <summary>A "1": a thick vertical stroke, drawn at (<paramref name="top"/>, <paramref name="left"/>) and <paramref name="length"/> long.</summary>
    public static float[] One(int top = 20, int left = 50, int length = 70, int thickness = 8, int side = Side)
    {
        var grid = new float[side * side];
        for (int y = top; y < top + length; y++)
            for (int x = left; x < left + thickness; x++) grid[y * side + x] = 1;
        return grid;
    }

    /// <summary>A "0": an elliptic ring with centre (<paramref name="cy"/>, <paramref name="cx"/>) and radii in pixels.</summary>
    public static float[] Zero(double cy = 56, double cx = 56, double ry = 36, double rx = 24, double thickness = 9, int side = Side)
    {
        var grid = new float[side * side];
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                // Distance from the ellipse, roughly in pixels: (r - 1) times the smaller radius.
                double r = Math.Sqrt(Math.Pow((y + 0.5 - cy) / ry, 2) + Math.Pow((x + 0.5 - cx) / rx, 2));
                if (Math.Abs(r - 1) * Math.Min(rx, ry) <= thickness / 2) grid[y * side + x] = 1;
            }
        return grid;
    }

    /// <summary>The request body for <paramref name="pixels"/> (a <see cref="Side"/>-square grid unless told otherwise).</summary>
    public static object Request(float[] pixels, string model = "digits", int side = Side) =>
        new { model, width = side, height = side, pixels };

    /// <summary>
    /// The explain request body for the value at (<paramref name="channel"/>, <paramref name="y"/>, <paramref name="x"/>)
    /// of layer <paramref name="layer"/>.
    /// </summary>
    public static object Explain(float[] pixels, int layer, int channel, int y, int x, string model = "digits", int side = Side) =>
        new { model, width = side, height = side, pixels, layer, channel, y, x };
}
