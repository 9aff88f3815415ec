using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Analysis;

/// <summary>
/// A generated data set for the article's task, "does this 6x6 image contain a horizontal edge?".
/// <para>
/// Class 1 ("horizontal edge") images hold a horizontal stripe one or two rows high, like the
/// anchor image's bright band, so that both of its edges lie inside the image: the stripe starts
/// at a random row, has a random contrast against the background, is brighter or darker than the
/// background (the polarity), and every pixel gets Gaussian noise. Class 0 ("no edge") images are,
/// in equal numbers, flat images and vertical stripes drawn the same way, so that a filter which
/// merely reacts to any contrast cannot separate the classes; it has to react to horizontal edges.
/// Pixel values lie around 0..1 (the anchor image's 255 is 1 here).
/// </para>
/// </summary>
public static class EdgeImages
{
    /// <summary>Image side length.</summary>
    public const int Size = 6;

    /// <summary>Class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["no edge", "horizontal edge"];

    /// <summary>Label of images with a horizontal edge.</summary>
    public const int EdgeLabel = 1;

    /// <summary>Standard deviation of the per-pixel noise.</summary>
    public const float NoiseStd = 0.05f;

    /// <summary>
    /// <paramref name="count"/> images (an even number), half of each class, in random order; the
    /// same <paramref name="seed"/> gives the same images.
    /// </summary>
    public static ImageDataset Generate(int count, int seed)
    {
        if (count <= 0 || count % 2 != 0)
            throw new ArgumentException($"EdgeImages: the image count must be a positive even number (half per class), got {count}.");
        var random = new Random(seed);
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = i < count / 2 ? EdgeLabel : 0;
        random.Shuffle(labels);

        var images = new Tensor(new Shape(count, 1, Size, Size));
        bool flatNext = true;
        for (int n = 0; n < count; n++)
        {
            var image = images.Slice(n);
            var (low, high) = DrawLevels(random);
            bool brightStripe = random.Next(2) == 0;
            float background = brightStripe ? low : high, stripe = brightStripe ? high : low;
            int height = 1 + random.Next(2);
            int start = 1 + random.Next(Size - 1 - height); // keeps a background row above and below
            if (labels[n] == EdgeLabel) DrawStripe(image, start, height, background, stripe, horizontal: true);
            else
            {
                // Alternate flat and vertical-stripe negatives so each kind is half of class 0.
                if (flatNext) image.Fill(background);
                else DrawStripe(image, start, height, background, stripe, horizontal: false);
                flatNext = !flatNext;
            }
            var pixels = image.Span;
            for (int i = 0; i < pixels.Length; i++) pixels[i] += NoiseStd * (float)Layers.Initializers.NextGaussian(random);
        }
        return new ImageDataset(images, labels, ClassNames);
    }

    /// <summary>
    /// A noise-free image [1, 1, 6, 6] with a horizontal stripe of <paramref name="height"/> rows
    /// from row <paramref name="start"/>, valued <paramref name="stripe"/> on <paramref name="background"/>.
    /// </summary>
    public static Tensor HorizontalStripe(int start, int height, float background = 0, float stripe = 1)
    {
        if (start < 0 || height <= 0 || start + height > Size)
            throw new ArgumentException($"EdgeImages: a stripe of {height} rows from row {start} does not fit in {Size} rows.");
        var image = new Tensor(new Shape(1, 1, Size, Size));
        DrawStripe(image, start, height, background, stripe, horizontal: true);
        return image;
    }

    /// <summary>
    /// A noise-free image [1, 1, 6, 6] with one horizontal edge between rows <paramref name="edgeRow"/> - 1
    /// and <paramref name="edgeRow"/>: rows above it are bright (1) and rows from it down dark (0),
    /// or the other way round when <paramref name="brightAbove"/> is false.
    /// </summary>
    public static Tensor HorizontalEdge(int edgeRow, bool brightAbove)
    {
        if (edgeRow <= 0 || edgeRow >= Size)
            throw new ArgumentException($"EdgeImages: an edge above row {edgeRow} is not inside a {Size}-row image (rows 1..{Size - 1}).");
        var image = new Tensor(new Shape(1, 1, Size, Size));
        for (int r = 0; r < Size; r++)
            for (int c = 0; c < Size; c++)
                image[0, 0, r, c] = (r < edgeRow) == brightAbove ? 1 : 0;
        return image;
    }

    // Two grey levels at least 0.4 apart, both within 0..1.
    private static (float Low, float High) DrawLevels(Random random)
    {
        float contrast = 0.4f + 0.6f * random.NextSingle();
        float low = (1 - contrast) * random.NextSingle();
        return (low, low + contrast);
    }

    private static void DrawStripe(Tensor image, int start, int height, float background, float stripe, bool horizontal)
    {
        for (int r = 0; r < Size; r++)
            for (int c = 0; c < Size; c++)
            {
                int along = horizontal ? r : c;
                image[0, 0, r, c] = along >= start && along < start + height ? stripe : background;
            }
    }
}
