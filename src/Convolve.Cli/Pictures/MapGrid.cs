using SkiaSharp;

namespace Convolve.Cli.Pictures;

/// <summary>One small 2-D map to draw (a filter, a feature map) with an optional label under it.</summary>
public sealed record MapTile(float[,] Values, string? Label = null);

/// <summary>
/// A titled block of tiles sharing one colour scale and one legend. <paramref name="Scale"/>
/// null gives every tile its own symmetric scale (white at zero, full colour at the tile's
/// largest magnitude) and a legend from -max to +max of each tile.
/// </summary>
public sealed record MapSection(string Title, IReadOnlyList<MapTile> Tiles, ColorScale? Scale, int Zoom, int Columns);

/// <summary>
/// Draws sections of small maps, one under the other, as a PNG: every value a square of
/// <c>Zoom x Zoom</c> pixels (nearest neighbour, so weights stay sharp squares), tiles in rows of
/// <see cref="MapSection.Columns"/>, a legend bar to the right of each section.
/// </summary>
public static class MapGrid
{
    /// <summary>Layout in pixels: outer margin, gap between tiles, between sections, title and label heights, legend bar and label widths.</summary>
    public const int Margin = 12, TileGap = 6, SectionGap = 18, TitleHeight = 22, LabelHeight = 14, LegendGap = 14, LegendBarWidth = 14, LegendLabelWidth = 70;

    /// <summary>Size of one section's tile area (without title and legend).</summary>
    public static (int Width, int Height) TileArea(MapSection section)
    {
        int tileW = section.Tiles.Max(t => t.Values.GetLength(1)) * section.Zoom;
        int tileH = section.Tiles.Max(t => t.Values.GetLength(0)) * section.Zoom + (section.Tiles.Any(t => t.Label is not null) ? LabelHeight : 0);
        int columns = Math.Min(section.Columns, section.Tiles.Count);
        int rows = (section.Tiles.Count + section.Columns - 1) / section.Columns;
        return (columns * tileW + (columns - 1) * TileGap, rows * tileH + (rows - 1) * TileGap);
    }

    /// <summary>Size of the whole picture of <paramref name="sections"/>.</summary>
    public static (int Width, int Height) PictureSize(IReadOnlyList<MapSection> sections)
    {
        int width = sections.Max(s => TileArea(s).Width + LegendGap + LegendBarWidth + LegendLabelWidth);
        int height = sections.Sum(s => TitleHeight + Math.Max(TileArea(s).Height, 40)) + SectionGap * (sections.Count - 1);
        return (2 * Margin + width, 2 * Margin + height);
    }

    /// <summary>Draws <paramref name="sections"/> into a PNG file (creating its folder), atomically.</summary>
    public static void Write(string path, IReadOnlyList<MapSection> sections)
    {
        using var bitmap = Render(sections);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"{path}: the picture could not be encoded as PNG ({bitmap.Width}x{bitmap.Height} pixels).");
        Convolve.Serialization.AtomicFile.Write(path, data.AsSpan());
    }

    /// <summary>Draws <paramref name="sections"/> into a new bitmap.</summary>
    public static SKBitmap Render(IReadOnlyList<MapSection> sections)
    {
        if (sections.Count == 0 || sections.Any(s => s.Tiles.Count == 0))
            throw new ArgumentException("MapGrid: nothing to draw (a section without tiles).");
        if (sections.Any(s => s.Zoom < 1 || s.Columns < 1))
            throw new ArgumentException("MapGrid: zoom and columns must be at least 1.");
        var (width, height) = PictureSize(sections);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var title = Fonts.Create(14);
        using var small = Fonts.Create(11);
        int top = Margin;
        foreach (var section in sections)
        {
            DrawSection(canvas, title, small, section, Margin, top);
            top += TitleHeight + Math.Max(TileArea(section).Height, 40) + SectionGap;
        }
        canvas.Flush();
        return bitmap;
    }

    private static void DrawSection(SKCanvas canvas, SKFont? title, SKFont? small, MapSection section, int left, int top)
    {
        using var ink = new SKPaint { IsAntialias = true, Color = SKColors.Black };
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
        using var frame = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = 1, Color = new SKColor(150, 150, 150) };
        if (title is not null) canvas.DrawText(section.Title, left, top + 15, SKTextAlign.Left, title, ink);
        top += TitleHeight;

        int tileW = section.Tiles.Max(t => t.Values.GetLength(1)) * section.Zoom;
        bool labels = section.Tiles.Any(t => t.Label is not null);
        int tileH = section.Tiles.Max(t => t.Values.GetLength(0)) * section.Zoom + (labels ? LabelHeight : 0);
        for (int i = 0; i < section.Tiles.Count; i++)
        {
            var tile = section.Tiles[i];
            int x0 = left + i % section.Columns * (tileW + TileGap), y0 = top + i / section.Columns * (tileH + TileGap);
            var scale = section.Scale ?? DivergingScale.For(tile.Values);
            int rows = tile.Values.GetLength(0), columns = tile.Values.GetLength(1);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                {
                    fill.Color = scale.Map(tile.Values[r, c]);
                    canvas.DrawRect(x0 + c * section.Zoom, y0 + r * section.Zoom, section.Zoom, section.Zoom, fill);
                }
            canvas.DrawRect(x0 - 0.5f, y0 - 0.5f, columns * section.Zoom, rows * section.Zoom, frame);
            if (tile.Label is not null && small is not null)
                canvas.DrawText(tile.Label, x0 + columns * section.Zoom / 2f, y0 + rows * section.Zoom + LabelHeight - 3, SKTextAlign.Center, small, ink);
        }

        // Legend: a bar from the top value down to the bottom value, ticks labelled.
        var area = TileArea(section);
        int barLeft = left + area.Width + LegendGap, barHeight = Math.Max(Math.Min(area.Height, 160), 40);
        var legend = section.Scale ?? new DivergingScale(1);
        for (int y = 0; y < barHeight; y++)
        {
            fill.Color = legend.Map(legend.Max + (legend.Min - legend.Max) * y / (barHeight - 1f));
            canvas.DrawRect(barLeft, top + y, LegendBarWidth, 1, fill);
        }
        canvas.DrawRect(barLeft, top, LegendBarWidth, barHeight, frame);
        if (small is null) return;
        foreach (float tick in legend.Ticks)
        {
            float t = legend.Max == legend.Min ? 0.5f : (legend.Max - tick) / (legend.Max - legend.Min);
            float y = top + t * (barHeight - 1);
            canvas.DrawLine(barLeft + LegendBarWidth, y, barLeft + LegendBarWidth + 3, y, frame);
            string text = section.Scale is null ? (tick > 0 ? "+max" : tick < 0 ? "-max" : "0") : Terminal.Number(Math.Round(tick, 3));
            canvas.DrawText(text, barLeft + LegendBarWidth + 6, Math.Clamp(y + 4, top + 9, top + barHeight), SKTextAlign.Left, small, ink);
        }
    }
}

/// <summary>Colour scales for values that may be signed.</summary>
public static class SignedScale
{
    /// <summary>
    /// White at zero, red for positive and blue for negative values, full colour at the largest
    /// magnitude. When no value is negative (ReLU and pooling outputs) the legend runs from 0 to
    /// the maximum only, instead of wasting its lower half on a blue that never occurs.
    /// </summary>
    public static ColorScale For(ReadOnlySpan<float> values)
    {
        float min = 0, max = 0;
        foreach (float v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        float limit = Math.Max(-min, max);
        if (limit == 0) return new DivergingScale(1) { AllZero = true };
        return min < 0 ? new DivergingScale(limit) : new ZeroToMaxScale(max);
    }
}

/// <summary>White at zero to the diverging scale's red at <c>max</c>: non-negative values.</summary>
public sealed class ZeroToMaxScale(float max) : ColorScale
{
    public override float Min => 0;
    public override float Max { get; } = max > 0 ? max : throw new ArgumentException($"ZeroToMaxScale: max must be positive, got {max}.");
    public override IReadOnlyList<float> Ticks => [0, Max];
    public override SKColor Map(float value) => Lerp(DivergingScale.Zero, DivergingScale.Positive, value / Max);
}
