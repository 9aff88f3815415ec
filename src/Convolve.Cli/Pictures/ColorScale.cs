using SkiaSharp;

namespace Convolve.Cli.Pictures;

/// <summary>Maps values to colours, and says what range its legend shows.</summary>
public abstract class ColorScale
{
    /// <summary>The smallest value the legend shows.</summary>
    public abstract float Min { get; }

    /// <summary>The largest value the legend shows.</summary>
    public abstract float Max { get; }

    /// <summary>The values labelled on the legend, from <see cref="Min"/> to <see cref="Max"/>.</summary>
    public virtual IReadOnlyList<float> Ticks => Min == Max ? [Min] : [Min, Max];

    /// <summary>The colour of <paramref name="value"/> (values outside the range get the end colours).</summary>
    public abstract SKColor Map(float value);

    internal static SKColor Lerp(SKColor a, SKColor b, float t)
    {
        t = Math.Clamp(t, 0, 1);
        return new SKColor(
            (byte)Math.Round(a.Red + (b.Red - a.Red) * t),
            (byte)Math.Round(a.Green + (b.Green - a.Green) * t),
            (byte)Math.Round(a.Blue + (b.Blue - a.Blue) * t));
    }
}

/// <summary>
/// For signed values: white at zero, blue for negative and red for positive, both reaching full
/// strength at <c>±limit</c>, so that zero is always in the middle of the legend.
/// </summary>
public sealed class DivergingScale(float limit) : ColorScale
{
    /// <summary>Full blue.</summary>
    public static readonly SKColor Negative = new(33, 102, 172);

    /// <summary>Full red.</summary>
    public static readonly SKColor Positive = new(178, 24, 43);

    /// <summary>Zero.</summary>
    public static readonly SKColor Zero = SKColors.White;

    /// <summary>A scale whose limit is the largest magnitude in <paramref name="values"/> (1 when they are all zero).</summary>
    public static DivergingScale For(float[,] values)
    {
        float limit = 0;
        foreach (float v in values) limit = Math.Max(limit, Math.Abs(v));
        return new DivergingScale(limit > 0 ? limit : 1) { AllZero = limit == 0 };
    }

    /// <summary>The magnitude that gets full colour.</summary>
    public float Limit { get; } = limit > 0 ? limit : throw new ArgumentException($"DivergingScale: the limit must be positive, got {limit}.");

    /// <summary>Whether the values were all zero (the legend then shows only 0).</summary>
    public bool AllZero { get; init; }

    public override float Min => AllZero ? 0 : -Limit;
    public override float Max => AllZero ? 0 : Limit;
    public override IReadOnlyList<float> Ticks => AllZero ? [0] : [-Limit, 0, Limit];

    public override SKColor Map(float value) =>
        value >= 0 ? Lerp(Zero, Positive, value / Limit) : Lerp(Zero, Negative, -value / Limit);
}

/// <summary>Black at <c>min</c> to white at <c>max</c>: pixel brightness.</summary>
public sealed class GrayScale(float min, float max) : ColorScale
{
    public override float Min { get; } = min;
    public override float Max { get; } = max > min ? max : throw new ArgumentException($"GrayScale: max ({max}) must exceed min ({min}).");
    public override SKColor Map(float value) => Lerp(SKColors.Black, SKColors.White, (value - Min) / (Max - Min));
}

/// <summary>For counts: pale yellow at <c>min</c> through teal to dark blue at <c>max</c>.</summary>
public sealed class SequentialScale(float min, float max) : ColorScale
{
    private static readonly SKColor Low = new(255, 255, 217), Middle = new(65, 182, 196), High = new(8, 29, 88);

    public override float Min { get; } = min;
    public override float Max { get; } = max;

    public override SKColor Map(float value)
    {
        if (Max == Min) return Middle;
        float t = Math.Clamp((value - Min) / (Max - Min), 0, 1);
        return t < 0.5f ? Lerp(Low, Middle, t * 2) : Lerp(Middle, High, t * 2 - 1);
    }
}
