using Convolve.Data;

namespace Convolve.Tests.Data;

public class AugmentationTests
{
    /// <summary>The image shifted by (dy, dx) with zero fill, optionally mirrored first: a direct reading of the definition.</summary>
    private static float[] Expected(float[] source, int channels, int height, int width, int dy, int dx, bool flip)
    {
        var result = new float[source.Length];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int sy = y - dy, sx = x - dx;
                    if (sy < 0 || sy >= height || sx < 0 || sx >= width) continue;
                    if (flip) sx = width - 1 - sx;
                    result[(c * height + y) * width + x] = source[(c * height + sy) * width + sx];
                }
        return result;
    }

    private static float[] Distinct(int size, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, size).Select(_ => (float)random.NextDouble() + 0.1f).ToArray();
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(0, true)]
    [InlineData(2, true)]
    public void Apply_GivesOneOfTheAllowedShiftsAndFlips(int maxShift, bool flip)
    {
        const int c = 2, h = 5, w = 6;
        var source = Distinct(c * h * w, 1);
        var augmentation = new Augmentation { MaxShift = maxShift, HorizontalFlip = flip };
        var seen = new HashSet<(int, int, bool)>();

        for (int trial = 0; trial < 60; trial++)
        {
            var target = new float[source.Length];
            augmentation.Apply(source, target, c, h, w, key: (ulong)trial);
            var candidates = new List<(int, int, bool)>();
            for (int dy = -maxShift; dy <= maxShift; dy++)
                for (int dx = -maxShift; dx <= maxShift; dx++)
                    foreach (bool f in flip ? new[] { false, true } : [false])
                    {
                        if (Expected(source, c, h, w, dy, dx, f).SequenceEqual(target)) candidates.Add((dy, dx, f));
                    }
            Assert.Single(candidates);
            seen.Add(candidates[0]);
        }
        // 60 draws reach more than one of the (2k+1)^2 (x2 with flip) outcomes.
        Assert.True(seen.Count > 1);
    }

    [Fact]
    public void Apply_SameKey_SameImage_OtherKeys_OtherImages()
    {
        var source = Distinct(3 * 8 * 8, 2);
        var augmentation = new Augmentation { MaxShift = 2, HorizontalFlip = true };
        var a = new float[source.Length];
        var b = new float[source.Length];
        var outcomes = new HashSet<string>();

        for (ulong key = 0; key < 20; key++)
        {
            augmentation.Apply(source, a, 3, 8, 8, key);
            augmentation.Apply(source, b, 3, 8, 8, key);
            Assert.Equal(a, b);
            outcomes.Add(string.Join(",", a));
        }
        // 5 x 5 shifts x 2 flips = 50 outcomes; 20 keys land on several of them.
        Assert.True(outcomes.Count > 5, $"only {outcomes.Count} distinct outcomes");
    }

    [Fact]
    public void Loader_WithAugmentation_KeepsShapes_AndIsSeeded()
    {
        var data = DataLoaderTests.NumberedDataset(12, channels: 3, height: 4, width: 4);
        var options = new DataLoaderOptions { BatchSize = 5, Seed = 2, Augmentation = new Augmentation { MaxShift = 1, HorizontalFlip = true } };

        var first = new DataLoader(data, options).Epoch(0).Select(b => (b.Images.Shape, b.Images.ToArray())).ToList();
        var second = new DataLoader(data, options).Epoch(0).Select(b => (b.Images.Shape, b.Images.ToArray())).ToList();

        Assert.Equal([5, 5, 2], first.Select(b => b.Shape[0]));
        Assert.All(first, b => Assert.Equal(data.ImageShape, b.Shape.ItemShape));
        Assert.Equal(first.Select(b => b.Item2), second.Select(b => b.Item2));
        // With a shift of up to 1 on 4x4 images, some batch holds a zero-filled border.
        Assert.Contains(first, b => b.Item2.Contains(0f) && b.Item2.Any(v => v > 0));
    }

    [Fact]
    public void Apply_Identity_CopiesTheImage()
    {
        var source = Distinct(12, 3);
        var target = new float[12];

        new Augmentation().Apply(source, target, 1, 3, 4, key: 0);

        Assert.Equal(source, target);
        Assert.True(new Augmentation().IsIdentity);
        Assert.Equal("shift ±2, flip", new Augmentation { MaxShift = 2, HorizontalFlip = true }.ToString());
    }

    [Fact]
    public void Apply_ShiftsAreSpreadOverAllOffsets()
    {
        // A single bright pixel in the centre of a 3x3 image lands at (1 + dy, 1 + dx).
        var source = new float[9];
        source[4] = 1;
        var target = new float[9];
        var counts = new int[9];
        var augmentation = new Augmentation { MaxShift = 1 };

        for (ulong key = 0; key < 900; key++)
        {
            augmentation.Apply(source, target, 1, 3, 3, key);
            counts[Array.IndexOf(target, 1f)]++;
        }

        // 900 draws over 9 equally likely offsets: 100 each on average; a standard deviation is
        // about 9.4, so 60..140 is more than 4 of them either way.
        Assert.All(counts, c => Assert.InRange(c, 60, 140));
    }
}
