using Convolve.Analysis;
using Convolve.Tensors;
using SkiaSharp;

namespace Convolve.Cli.Pictures;

/// <summary>One grid of values to draw, with its colour scale and an optional caption.</summary>
public sealed record HeatPanel(float[,] Values, ColorScale Scale, string? Caption = null);

/// <summary>
/// Draws grids of numbers as PNG pictures: each value is one square cell (nearest-neighbour
/// upscaling, so pixels stay sharp), with a colour legend to the right showing the range. Several
/// panels can sit side by side, each with its own scale. Values are written into large cells.
/// </summary>
public static class HeatMap
{
    /// <summary>Space around everything, between panels, and between a grid and its legend, in pixels.</summary>
    public const int Margin = 12, PanelGap = 24, LegendGap = 10, LegendBarWidth = 14, LegendLabelWidth = 64, CaptionHeight = 24;

    /// <summary>
    /// The side of one cell for a grid of <paramref name="rows"/> x <paramref name="columns"/>: about 288 pixels across, between 6 and 48 per cell.
    /// </summary>
    public static int CellSize(int rows, int columns) => Math.Clamp(288 / Math.Max(rows, columns), 6, 48);

    /// <summary>Width of one panel: grid, gap, legend bar and labels.</summary>
    public static int PanelWidth(HeatPanel panel) =>
        panel.Values.GetLength(1) * CellSize(panel.Values.GetLength(0), panel.Values.GetLength(1)) + LegendGap + LegendBarWidth + LegendLabelWidth;

    /// <summary>Size of the picture of <paramref name="panels"/>.</summary>
    public static (int Width, int Height) PictureSize(IReadOnlyList<HeatPanel> panels)
    {
        int width = 2 * Margin + panels.Sum(PanelWidth) + PanelGap * (panels.Count - 1);
        int gridHeight = panels.Max(p => p.Values.GetLength(0) * CellSize(p.Values.GetLength(0), p.Values.GetLength(1)));
        bool captions = panels.Any(p => p.Caption is not null);
        return (width, 2 * Margin + (captions ? CaptionHeight : 0) + gridHeight);
    }

    /// <summary>Where the top-left corner of cell (<paramref name="row"/>, <paramref name="column"/>) of panel <paramref name="index"/> is drawn.</summary>
    public static (int X, int Y) CellOrigin(IReadOnlyList<HeatPanel> panels, int index, int row, int column)
    {
        int x = Margin + panels.Take(index).Sum(p => PanelWidth(p) + PanelGap);
        int y = Margin + (panels.Any(p => p.Caption is not null) ? CaptionHeight : 0);
        int cell = CellSize(panels[index].Values.GetLength(0), panels[index].Values.GetLength(1));
        return (x + column * cell, y + row * cell);
    }

    /// <summary>Writes <paramref name="panels"/> side by side into a PNG file (creating its folder), atomically.</summary>
    public static void Write(string path, params IReadOnlyList<HeatPanel> panels)
    {
        using var bitmap = Render(panels);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"{path}: the picture could not be encoded as PNG ({bitmap.Width}x{bitmap.Height} pixels).");
        Convolve.Serialization.AtomicFile.Write(path, data.AsSpan());
    }

    /// <summary>A signed map (kernel, feature map) with zero in white in the middle of the legend.</summary>
    public static void WriteSigned(string path, float[,] values, string? caption = null) =>
        Write(path, new HeatPanel(values, DivergingScale.For(values), caption));

    /// <summary>The coverage grid as a heat map from its fewest to its most uses.</summary>
    public static void WriteCoverage(string path, CoverageGrid grid, string? caption = null) =>
        Write(path, CoveragePanel(grid, caption));

    /// <summary>A panel for a coverage grid.</summary>
    public static HeatPanel CoveragePanel(CoverageGrid grid, string? caption = null)
    {
        var values = new float[grid.Height, grid.Width];
        for (int r = 0; r < grid.Height; r++)
            for (int c = 0; c < grid.Width; c++) values[r, c] = grid[r, c];
        return new HeatPanel(values, new SequentialScale(0, Math.Max(1, grid.Max)), caption);
    }

    /// <summary>The first map of a [N, C, H, W] tensor as a 2-D array.</summary>
    public static float[,] ToGrid(Tensor tensor)
    {
        int h = tensor.Shape[2], w = tensor.Shape[3];
        var values = new float[h, w];
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++) values[r, c] = tensor[0, 0, r, c];
        return values;
    }

    /// <summary>Draws the panels into a new bitmap.</summary>
    public static SKBitmap Render(IReadOnlyList<HeatPanel> panels)
    {
        if (panels.Count == 0) throw new ArgumentException("HeatMap: nothing to draw.");
        foreach (var p in panels)
            if (p.Values.Length == 0) throw new ArgumentException("HeatMap: a panel has no values.");
        var (width, height) = PictureSize(panels);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = Fonts.Create(13);
        for (int i = 0; i < panels.Count; i++) DrawPanel(canvas, font, panels, i);
        canvas.Flush();
        return bitmap;
    }

    private static void DrawPanel(SKCanvas canvas, SKFont? font, IReadOnlyList<HeatPanel> panels, int index)
    {
        var panel = panels[index];
        int rows = panel.Values.GetLength(0), columns = panel.Values.GetLength(1);
        int cell = CellSize(rows, columns);
        var (left, top) = CellOrigin(panels, index, 0, 0);
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
        using var line = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = 1, Color = new SKColor(160, 160, 160) };
        using var ink = new SKPaint { IsAntialias = true, Color = SKColors.Black };

        if (panel.Caption is not null && font is not null)
            canvas.DrawText(panel.Caption, left, top - 8, SKTextAlign.Left, font, ink);

        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                var color = panel.Scale.Map(panel.Values[r, c]);
                fill.Color = color;
                canvas.DrawRect(left + c * cell, top + r * cell, cell, cell, fill);
                if (cell >= 32 && font is not null)
                {
                    ink.Color = Luminance(color) < 0.5 ? SKColors.White : SKColors.Black;
                    canvas.DrawText(Label(panel.Values[r, c]), left + c * cell + cell / 2f, top + r * cell + cell / 2f + 5, SKTextAlign.Center, font, ink);
                }
            }
        if (cell >= 12)
        {
            // Thin lines between cells, drawn on the cell borders so that cell interiors keep their colour.
            for (int r = 0; r <= rows; r++) canvas.DrawLine(left, top + r * cell, left + columns * cell, top + r * cell, line);
            for (int c = 0; c <= columns; c++) canvas.DrawLine(left + c * cell, top, left + c * cell, top + rows * cell, line);
        }

        // Legend: a vertical bar from Max (top) to Min (bottom), with its ticks labelled.
        int barLeft = left + columns * cell + LegendGap, barHeight = rows * cell;
        var scale = panel.Scale;
        for (int y = 0; y < barHeight; y++)
        {
            float t = barHeight == 1 ? 0 : (float)y / (barHeight - 1);
            fill.Color = scale.Map(scale.Max + (scale.Min - scale.Max) * t);
            canvas.DrawRect(barLeft, top + y, LegendBarWidth, 1, fill);
        }
        canvas.DrawRect(barLeft, top, LegendBarWidth, barHeight, line);
        if (font is null) return;
        ink.Color = SKColors.Black;
        foreach (float tick in scale.Ticks)
        {
            float t = scale.Max == scale.Min ? 0.5f : (scale.Max - tick) / (scale.Max - scale.Min);
            float y = top + t * (barHeight - 1);
            canvas.DrawLine(barLeft + LegendBarWidth, y, barLeft + LegendBarWidth + 3, y, line);
            float baseline = Math.Clamp(y + 4, top + 10, top + barHeight);
            canvas.DrawText(Label(tick), barLeft + LegendBarWidth + 6, baseline, SKTextAlign.Left, font, ink);
        }
    }

    private static string Label(float value) => Terminal.Number(Math.Round(value, Math.Abs(value) >= 10 ? 0 : 2));

    private static float Luminance(SKColor c) => (0.299f * c.Red + 0.587f * c.Green + 0.114f * c.Blue) / 255f;
}
