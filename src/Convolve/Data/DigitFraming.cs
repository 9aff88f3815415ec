namespace Convolve.Data;

/// <summary>
/// Puts a drawn or scanned digit in a frame the way the MNIST digits were made (LeCun, Cortes and
/// Burges): the ink's bounding box is scaled, keeping its aspect ratio and averaging the pixels it
/// shrinks (anti-aliased), so that its longer side fills a 20x20 box, and the result is placed in a
/// 28x28 field so that its centre of mass lies at the field's centre. A model trained on MNIST sees
/// digits only like that; a digit drawn small in a corner of a large canvas and merely resized
/// would look like nothing it was trained on.
/// </summary>
public static class DigitFraming
{
    /// <summary>The side of MNIST's field.</summary>
    public const int MnistSize = 28;

    /// <summary>The side of the box the digit's longer side is scaled to in MNIST.</summary>
    public const int MnistBox = 20;

    /// <summary>
    /// Frames the digit in <paramref name="drawing"/> (<paramref name="height"/> x <paramref name="width"/>
    /// values, row-major, ink bright on 0: white on black as in MNIST) into <paramref name="target"/>
    /// (<paramref name="size"/> x <paramref name="size"/>): the bounding box of the pixels above 0
    /// scaled so that its longer side is <paramref name="box"/> pixels (area averaging when it
    /// shrinks, linear interpolation when it grows, see <see cref="ImageResize.Resize"/>), then
    /// shifted by whole pixels so that its centre of mass (pixel centres at <c>i + 0.5</c>) lies
    /// within half a pixel of the field's centre (<c>size / 2</c>, <c>size / 2</c>). A digit whose
    /// centre of mass is so far off-centre that this shift would cut it is shifted only as far as
    /// keeps it whole. Returns false, with <paramref name="target"/> all zeros, when nothing is drawn.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive, the box is larger than the field, or a span has the wrong length.</exception>
    public static bool Frame(ReadOnlySpan<float> drawing, int height, int width, Span<float> target, int size = MnistSize, int box = MnistBox)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"DigitFraming: the drawing's size must be positive, got {height}x{width}.");
        if (size <= 0 || box <= 0 || box > size) throw new ArgumentException($"DigitFraming: the box ({box}) must be positive and fit the field ({size}).");
        if (drawing.Length != height * width)
            throw new ArgumentException($"DigitFraming: a {height}x{width} drawing needs {height * width} values, got {drawing.Length}.");
        if (target.Length != size * size) throw new ArgumentException($"DigitFraming: a {size}x{size} field needs {size * size} values, got {target.Length}.");
        target.Clear();
        if (!InkBounds(drawing, height, width, out int top, out int left, out int bottom, out int right)) return false;

        int inkH = bottom - top + 1, inkW = right - left + 1;
        var crop = new float[inkH * inkW];
        for (int y = 0; y < inkH; y++) drawing.Slice((top + y) * width + left, inkW).CopyTo(crop.AsSpan(y * inkW, inkW));
        double scale = (double)box / Math.Max(inkH, inkW);
        int h = Math.Clamp((int)Math.Round(inkH * scale, MidpointRounding.AwayFromZero), 1, box);
        int w = Math.Clamp((int)Math.Round(inkW * scale, MidpointRounding.AwayFromZero), 1, box);
        var scaled = new float[h * w];
        ImageResize.Resize(crop, inkH, inkW, scaled, h, w);

        var (centreY, centreX) = CentreOfMass(scaled, h, w);
        int shiftY = Math.Clamp((int)Math.Round(size / 2.0 - centreY, MidpointRounding.AwayFromZero), 0, size - h);
        int shiftX = Math.Clamp((int)Math.Round(size / 2.0 - centreX, MidpointRounding.AwayFromZero), 0, size - w);
        for (int y = 0; y < h; y++) scaled.AsSpan(y * w, w).CopyTo(target.Slice((shiftY + y) * size + shiftX, w));
        return true;
    }

    /// <summary>
    /// The centre of mass (row, column) of a <paramref name="height"/> x <paramref name="width"/>
    /// plane, each pixel weighted by its value and standing at its centre (<c>i + 0.5</c>); the
    /// plane's centre when all values are 0.
    /// </summary>
    public static (double Row, double Column) CentreOfMass(ReadOnlySpan<float> plane, int height, int width)
    {
        if (plane.Length != height * width)
            throw new ArgumentException($"DigitFraming: a {height}x{width} plane needs {height * width} values, got {plane.Length}.");
        double mass = 0, rows = 0, columns = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double v = plane[y * width + x];
                mass += v;
                rows += v * (y + 0.5);
                columns += v * (x + 0.5);
            }
        return mass > 0 ? (rows / mass, columns / mass) : (height / 2.0, width / 2.0);
    }

    private static bool InkBounds(ReadOnlySpan<float> drawing, int height, int width, out int top, out int left, out int bottom, out int right)
    {
        (top, left, bottom, right) = (height, width, -1, -1);
        for (int y = 0; y < height; y++)
        {
            var row = drawing.Slice(y * width, width);
            for (int x = 0; x < width; x++)
            {
                if (!(row[x] > 0)) continue;
                top = Math.Min(top, y);
                bottom = y;
                left = Math.Min(left, x);
                right = Math.Max(right, x);
            }
        }
        return bottom >= 0;
    }
}
