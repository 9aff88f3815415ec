using Convolve.Data;

namespace Convolve.Serve.Tests;

/// <summary>The MNIST framing of a drawing (<see cref="DigitFraming"/>): bounding box to 20x20 keeping the aspect ratio, centred by mass in 28x28.</summary>
public sealed class DrawFramingTests
{
    private static float[] Frame(float[] drawing, int side = DrawSketches.Side)
    {
        var target = new float[28 * 28];
        Assert.True(DigitFraming.Frame(drawing, side, side, target));
        return target;
    }

    [Fact]
    public void ShiftedDigit_GivesTheSameField()
    {
        var here = Frame(DrawSketches.Zero(cy: 46, cx: 40));
        var there = Frame(DrawSketches.Zero(cy: 66, cx: 64));
        Assert.Equal(here, there);
    }

    [Fact]
    public void DigitDrawnTwiceAsLarge_GivesTheSameField()
    {
        // The same drawing with every pixel made 2x2 on a grid twice the size: only the scale differs.
        var small = DrawSketches.Zero(cy: 30, cx: 28, ry: 20, rx: 13, thickness: 5, side: 56);
        var large = new float[112 * 112];
        for (int y = 0; y < 112; y++)
            for (int x = 0; x < 112; x++) large[y * 112 + x] = small[y / 2 * 56 + x / 2];
        var a = Frame(small, 56);
        var b = Frame(large, 112);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
    }

    [Theory]
    [InlineData("one")]
    [InlineData("zero")]
    [InlineData("corner blob")]
    [InlineData("L")]
    public void CentreOfMass_LandsWithinHalfAPixelOfTheFieldsCentre(string shape)
    {
        var drawing = shape switch
        {
            "one" => DrawSketches.One(),
            "zero" => DrawSketches.Zero(),
            "corner blob" => DrawSketches.Zero(cy: 15, cx: 95, ry: 10, rx: 12, thickness: 12),
            _ => LShape(),
        };
        var field = Frame(drawing);
        var (row, column) = DigitFraming.CentreOfMass(field, 28, 28);
        Assert.InRange(row, 13.5, 14.5);
        Assert.InRange(column, 13.5, 14.5);
    }

    [Fact]
    public void LongerSide_Becomes20Pixels_KeepingTheAspectRatio()
    {
        // A 60x12 bar: 20 rows and 12 * 20 / 60 = 4 columns of ink.
        var bar = DrawSketches.One(top: 10, left: 30, length: 60, thickness: 12);
        var field = Frame(bar);
        var rows = Enumerable.Range(0, 28).Where(y => Enumerable.Range(0, 28).Any(x => field[y * 28 + x] > 0)).ToList();
        var columns = Enumerable.Range(0, 28).Where(x => Enumerable.Range(0, 28).Any(y => field[y * 28 + x] > 0)).ToList();
        Assert.Equal(20, rows.Count);
        Assert.Equal(4, columns.Count);
        Assert.All(field, v => Assert.InRange(v, 0f, 1.000001f)); // area weights in float may sum a rounding above 1
        Assert.Equal(20 * 4, field.Count(v => v > 0.999f)); // a solid bar stays solid
    }

    [Fact]
    public void EmptyDrawing_IsRefused_WithAnEmptyField()
    {
        var target = Enumerable.Repeat(0.5f, 28 * 28).ToArray();
        Assert.False(DigitFraming.Frame(new float[50 * 40], 50, 40, target));
        Assert.All(target, v => Assert.Equal(0, v));
    }

    [Fact]
    public void WrongSizes_AreRefusedNamingThem()
    {
        var e = Assert.Throws<ArgumentException>(() => DigitFraming.Frame(new float[10], 4, 4, new float[28 * 28]));
        Assert.Contains("4x4 drawing needs 16 values, got 10", e.Message);
        Assert.Throws<ArgumentException>(() => DigitFraming.Frame(new float[16], 4, 4, new float[28 * 28], size: 28, box: 29));
    }

    private static float[] LShape()
    {
        var grid = DrawSketches.One(top: 20, left: 30, length: 70, thickness: 8);
        for (int y = 82; y < 90; y++)
            for (int x = 30; x < 90; x++) grid[y * DrawSketches.Side + x] = 1;
        return grid;
    }
}
