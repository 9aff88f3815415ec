using Convolve.Data;

namespace Convolve.Tests.Data;

/// <summary><see cref="ImageResize.Resize"/>: by area when shrinking, bilinear (unchanged) when enlarging.</summary>
public class ImageResizeAreaTests
{
    // The definition of an area resize: each output pixel covers the source rectangle
    // [x * inW / outW, (x + 1) * inW / outW) x [same for y]; its value is the mean of the source
    // pixels under it, each weighted by the area of it that is covered. Direct loops, in double.
    private static float[] AreaReference(float[] source, int inH, int inW, int outH, int outW)
    {
        var target = new float[outH * outW];
        double sy = (double)inH / outH, sx = (double)inW / outW;
        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
            {
                double top = y * sy, bottom = (y + 1) * sy, left = x * sx, right = (x + 1) * sx, sum = 0;
                for (int i = 0; i < inH; i++)
                    for (int j = 0; j < inW; j++)
                    {
                        double overlapY = Math.Max(0, Math.Min(bottom, i + 1) - Math.Max(top, i));
                        double overlapX = Math.Max(0, Math.Min(right, j + 1) - Math.Max(left, j));
                        sum += overlapY * overlapX * source[i * inW + j];
                    }
                target[y * outW + x] = (float)(sum / (sy * sx));
            }
        return target;
    }

    private static float[] Random01(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.NextSingle())];
    }

    [Theory]
    [InlineData(16, 16, 2, 2)]     // whole factors
    [InlineData(224, 224, 28, 28)] // 8x, a photo for a digits model
    [InlineData(37, 53, 5, 7)]     // fractional factors: pixels split between outputs
    [InlineData(29, 28, 28, 27)]   // barely smaller
    [InlineData(100, 7, 3, 1)]     // a column squeezed to one pixel
    [InlineData(9, 300, 9, 13)]    // only the width shrinks
    public void Shrinking_MatchesTheDirectAreaAverage(int inH, int inW, int outH, int outW)
    {
        var source = Random01(inH * inW, seed: inH * 1000 + inW);
        var target = new float[outH * outW];

        ImageResize.Resize(source, inH, inW, target, outH, outW);

        var expected = AreaReference(source, inH, inW, outH, outW);
        for (int i = 0; i < target.Length; i++) Assert.Equal(expected[i], target[i], 1e-5f);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public void AOnePixelCheckerboard_ShrunkManyTimes_IsUniformGray(int factor)
    {
        // Sampling a few pixels per output (bilinear) turns this into black and white blocks or
        // stripes; averaging all of them gives mid gray everywhere, up to the one pixel an odd
        // block holds more of one colour.
        int outSize = 28, inSize = outSize * factor;
        var board = new float[inSize * inSize];
        for (int y = 0; y < inSize; y++)
            for (int x = 0; x < inSize; x++) board[y * inSize + x] = (x + y) % 2;
        var target = new float[outSize * outSize];

        ImageResize.Resize(board, inSize, inSize, target, outSize, outSize);

        float tolerance = factor % 2 == 1 ? 0.5f / (factor * factor) + 1e-5f : 1e-5f;
        Assert.All(target, v => Assert.InRange(v, 0.5f - tolerance, 0.5f + tolerance));
    }

    [Fact]
    public void ToTensor_ALargePhotoShrunk_AveragesEveryPixel_NotAFew()
    {
        // A 196x196 gray checkerboard through the whole path (decoded image to model input).
        int size = 196;
        var pixels = new byte[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) pixels[y * size + x] = (byte)((x + y) % 2 * 255);
        var target = new float[28 * 28];

        ImageResize.ToTensor(new DecodedImage(size, size, 1, pixels), 1, 28, 28, target);

        Assert.All(target, v => Assert.InRange(v, 0.48f, 0.52f));
    }

    [Theory]
    [InlineData(3, 4, 28, 28)]
    [InlineData(1, 1, 28, 28)]
    [InlineData(28, 28, 28, 28)]
    [InlineData(10, 20, 11, 57)]
    public void Enlarging_IsBilinear_BitForBit(int inH, int inW, int outH, int outW)
    {
        // Training data that is resized up (or not at all) gives exactly what it gave before.
        var source = Random01(inH * inW, seed: 7);
        var target = new float[outH * outW];
        var bilinear = new float[outH * outW];

        ImageResize.Resize(source, inH, inW, target, outH, outW);
        ImageResize.Bilinear(source, inH, inW, bilinear, outH, outW);

        Assert.Equal(bilinear, target);
        if (inH == outH && inW == outW) Assert.Equal(source, target);
    }

    [Fact]
    public void OneAxisShrinking_AndTheOtherGrowing_AveragesOneAndInterpolatesTheOther()
    {
        // A plane constant along y: only the x resize matters, and it is the area average.
        int inH = 3, inW = 12, outH = 7, outW = 4;
        var row = Random01(inW, seed: 3);
        var source = new float[inH * inW];
        for (int y = 0; y < inH; y++) row.CopyTo(source, y * inW);
        var target = new float[outH * outW];

        ImageResize.Resize(source, inH, inW, target, outH, outW);

        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
                Assert.Equal((row[3 * x] + row[3 * x + 1] + row[3 * x + 2]) / 3, target[y * outW + x], 5);
    }
}
