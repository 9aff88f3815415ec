using SkiaSharp;

namespace Convolve.Cli.Pictures;

/// <summary>
/// The font for labels in pictures. Skia's default typeface can be empty on a machine without
/// system fonts; pictures are then drawn without text (colours and legend bars are unaffected).
/// </summary>
internal static class Fonts
{
    private static readonly Lazy<SKTypeface?> Typeface = new(Find);

    /// <summary>A font of <paramref name="size"/> points, or null when no usable typeface exists.</summary>
    public static SKFont? Create(float size) => Typeface.Value is { } typeface ? new SKFont(typeface, size) : null;

    private static SKTypeface? Find()
    {
        foreach (string family in new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" })
        {
            var typeface = SKTypeface.FromFamilyName(family);
            if (typeface is not null && Usable(typeface)) return typeface;
        }
        return Usable(SKTypeface.Default) ? SKTypeface.Default : null;
    }

    private static bool Usable(SKTypeface typeface)
    {
        using var font = new SKFont(typeface, 12);
        return font.ContainsGlyphs("-0123456789");
    }
}
