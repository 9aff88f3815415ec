using System.Text.Json.Serialization;
using Convolve.Data;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Models;

/// <summary>How an image is fitted to a model's input size.</summary>
public enum ResizeMode
{
    /// <summary>The whole image resized to the model's height and width, whatever its aspect ratio (see <see cref="ImageResize.Resize"/>).</summary>
    Stretch,
}

/// <summary>The order of a colour model's input channels.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (PyTorch, Keras).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe and OpenCV-trained networks).</summary>
    Bgr,
}

/// <summary>
/// What the training images looked like, in 0..1 pixel values (before <see cref="InputPreparation.Scale"/>
/// and normalisation), so that an image far from them can be pointed out.
/// </summary>
/// <param name="Images">How many images the figures are of.</param>
/// <param name="PixelMean">Mean of every pixel value of every image.</param>
/// <param name="PixelStd">Standard deviation of every pixel value of every image.</param>
/// <param name="ImageMeanMean">Mean, over the images, of each image's mean value (its brightness).</param>
/// <param name="ImageMeanStd">Standard deviation, over the images, of each image's mean value.</param>
/// <param name="ImageStdMean">Mean, over the images, of each image's standard deviation (its contrast).</param>
/// <param name="ImageStdStd">Standard deviation, over the images, of each image's standard deviation.</param>
public sealed record InputStatistics(int Images, float PixelMean, float PixelStd, float ImageMeanMean, float ImageMeanStd,
    float ImageStdMean, float ImageStdStd)
{
    /// <summary>
    /// The statistics of <paramref name="images"/> [N, ...] whose values are 0..1 pixel values
    /// multiplied by <paramref name="scale"/> (1 for a data set as loaded).
    /// </summary>
    public static InputStatistics Of(Tensor images, float scale = 1)
    {
        int n = images.Shape[0];
        if (n == 0 || images.Length == 0) throw new ArgumentException("InputStatistics: no images.");
        int size = images.Length / n;
        double sum = 0, sumSquares = 0, meanSum = 0, meanSquares = 0, stdSum = 0, stdSquares = 0;
        var span = images.Span;
        for (int i = 0; i < n; i++)
        {
            var (mean, std) = MeanAndStd(span.Slice(i * size, size), scale);
            sum += mean * size;
            sumSquares += (std * std + mean * mean) * size;
            meanSum += mean;
            meanSquares += mean * mean;
            stdSum += std;
            stdSquares += std * std;
        }
        static float Std(double s, double squares, double count) => (float)Math.Sqrt(Math.Max(0, squares / count - (s / count) * (s / count)));
        return new InputStatistics(n, (float)(sum / ((double)n * size)), Std(sum, sumSquares, (double)n * size),
            (float)(meanSum / n), Std(meanSum, meanSquares, n), (float)(stdSum / n), Std(stdSum, stdSquares, n));
    }

    /// <summary>
    /// The mean and standard deviation of one image's values divided by <paramref name="scale"/>:
    /// two passes in double, so that a float sum's rounding (which depends on the vector width) cannot
    /// give a flat image contrast, and the training statistics and a predicted image are measured alike.
    /// </summary>
    internal static (double Mean, double Std) MeanAndStd(ReadOnlySpan<float> values, double scale = 1)
    {
        double sum = 0;
        foreach (float v in values) sum += v;
        double mean = sum / values.Length, squares = 0;
        foreach (float v in values) squares += (v - mean) * (v - mean);
        return (mean / scale, Math.Sqrt(squares / values.Length) / scale);
    }
}

/// <summary>What <see cref="InputPreparation.Prepare"/> did to an image and what is unusual about it.</summary>
/// <param name="SourceWidth">The image's width before resizing.</param>
/// <param name="SourceHeight">The image's height before resizing.</param>
/// <param name="Resized">Whether its size differed from the model's.</param>
/// <param name="Enlarged">Whether it was far smaller than the model's input (less than half its height or width), so there was little to see.</param>
/// <param name="ConvertedToGray">Whether a colour image was turned into gray for a gray model.</param>
/// <param name="Mean">The mean of the prepared image in 0..1 values (before scale and normalisation).</param>
/// <param name="Std">The standard deviation of the prepared image in 0..1 values.</param>
/// <param name="Unusual">
/// Whether <see cref="Mean"/> or <see cref="Std"/> is far (more than <see cref="InputPreparation.UnusualDeviations"/>
/// standard deviations) from those of the training images.
/// </param>
/// <param name="Notes">All of the above worth telling a user, in plain words; empty when the image fitted as it was.</param>
public sealed record PreparationReport(int SourceWidth, int SourceHeight, bool Resized, bool Enlarged, bool ConvertedToGray,
    float Mean, float Std, bool Unusual, IReadOnlyList<string> Notes);

/// <summary>A model's answer for one image: class probabilities and what was done to the image first.</summary>
public sealed record Prediction(float[] Probabilities, PreparationReport Preparation)
{
    /// <summary>The most likely class.</summary>
    public int Best => TensorPrimitives.IndexOfMax(Probabilities);
}

/// <summary>
/// How an image becomes an input of a model; stored with the model (its model file's
/// <c>preparation</c> entry), so that every caller prepares images the way the model was trained.
/// In order: the image's channels converted to <see cref="Channels"/> (gray to RGB repeats the
/// value, RGB to gray is BT.601 luma, alpha composited over black), resized to
/// <see cref="Height"/> x <see cref="Width"/> (<see cref="Resize"/>), values put in 0..1, channels
/// put in <see cref="ChannelOrder"/>, multiplied by <see cref="Scale"/>, then each channel
/// <c>c</c> normalised as <c>(x - Mean[c]) / Std[c]</c> (torchvision's <c>Normalize</c>; mean and
/// std are in scaled units). The default, and what a model file without the entry gets, is 0..1
/// values with no normalisation.
/// </summary>
/// <param name="Channels">1 (gray) or 3 (colour).</param>
/// <param name="Height">The model's input height in pixels.</param>
/// <param name="Width">The model's input width in pixels.</param>
public sealed record InputPreparation(int Channels, int Height, int Width)
{
    /// <summary>How far (in standard deviations of the training images) an image's mean or std may be before it is called unusual.</summary>
    public const float UnusualDeviations = 4;

    /// <summary>How the image is fitted to the input size.</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;

    /// <summary>The order of the channels of a 3-channel input.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>What 0..1 pixel values are multiplied by: 1, or 255 for a network trained on 0..255.</summary>
    public float Scale { get; init; } = 1;

    /// <summary>Per-channel value subtracted after scaling; null for none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float[]? Mean { get; init; }

    /// <summary>Per-channel value divided by after subtracting <see cref="Mean"/>; null for none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float[]? Std { get; init; }

    /// <summary>Statistics of the training images (0..1 values), to point out images unlike them; null when unknown.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public InputStatistics? Training { get; init; }

    /// <summary>The input shape this preparation produces, [C, H, W].</summary>
    [JsonIgnore]
    public Shape InputShape => new(Channels, Height, Width);

    /// <summary>Whether values stay the 0..1 pixel values (no reordering, scale or normalisation).</summary>
    [JsonIgnore]
    public bool KeepsValues => Scale == 1 && Mean is null && Std is null && (Channels == 1 || ChannelOrder == ChannelOrder.Rgb);

    /// <summary>0..1 values, gray or RGB, for a model taking images of <paramref name="inputShape"/> [C, H, W].</summary>
    /// <exception cref="ShapeException">The shape is not that of gray or RGB images.</exception>
    public static InputPreparation Default(Shape inputShape)
    {
        if (inputShape.Rank != 3 || inputShape[0] is not (1 or 3))
            throw new ShapeException($"The model takes inputs {inputShape}, not images [C, H, W] with 1 (gray) or 3 (RGB) channels.");
        return new InputPreparation(inputShape[0], inputShape[1], inputShape[2]);
    }

    /// <summary>
    /// The preparation of a model trained on <paramref name="train"/> as it is (0..1 values, its
    /// channels and size), with the statistics of its images.
    /// </summary>
    public static InputPreparation FromTrainingData(ImageDataset train) =>
        Default(train.ImageShape) with { Training = InputStatistics.Of(train.Images) };

    /// <summary>
    /// Why this preparation cannot feed a model taking items of <paramref name="inputShape"/>
    /// (as the end of a sentence), or null when it can.
    /// </summary>
    public string? Problem(Shape inputShape)
    {
        if (Channels is not (1 or 3)) return $"has {Channels} channels; expected 1 (gray) or 3 (RGB)";
        if (Height <= 0 || Width <= 0) return $"has size {Height}x{Width}; both must be positive";
        if (inputShape != InputShape) return $"makes inputs {InputShape}, but the model takes {inputShape}";
        if (!float.IsFinite(Scale) || Scale == 0) return $"has scale {Scale}; expected a finite number other than 0";
        if (Mean is not null && (Mean.Length != Channels || !Mean.All(float.IsFinite)))
            return $"has mean [{List(Mean)}]; expected one finite number per channel ({Words.Plural(Channels, "channel")})";
        if (Std is not null && (Std.Length != Channels || !Std.All(s => float.IsFinite(s) && s > 0)))
            return $"has std [{List(Std)}]; expected one positive finite number per channel ({Words.Plural(Channels, "channel")})";
        if (!Enum.IsDefined(Resize) || !Enum.IsDefined(ChannelOrder)) return "has an unknown resize mode or channel order";
        if (Training is { } t
            && !(float.IsFinite(t.PixelMean + t.PixelStd + t.ImageMeanMean + t.ImageMeanStd + t.ImageStdMean + t.ImageStdStd) && t.Images > 0))
            return "has training statistics that are not finite numbers of at least one image";
        return null;
    }

    /// <summary>
    /// Writes <paramref name="image"/> prepared for the model to <paramref name="destination"/>
    /// ([C, H, W], <c>C x H x W</c> values) and says what was done and what is unusual about it.
    /// </summary>
    public PreparationReport Prepare(DecodedImage image, Span<float> destination)
    {
        ImageResize.ToTensor(image, Channels, Height, Width, destination);
        var (imageMean, imageStd) = InputStatistics.MeanAndStd(destination);
        float mean = (float)imageMean, std = (float)imageStd;
        ApplyToItem(destination);

        var notes = new List<string>();
        bool resized = image.Width != Width || image.Height != Height;
        bool enlarged = 2 * image.Width < Width || 2 * image.Height < Height;
        if (resized)
            notes.Add($"resized from {image.Width}x{image.Height} to {Width}x{Height}" +
                (enlarged ? $" (enlarged from a tiny image: there is little for the model to see)" : ""));
        bool toGray = Channels == 1 && image.Channels >= 3 && HasColour(image);
        if (toGray) notes.Add("converted to gray from colour");
        if (Channels == 3 && image.Channels == 1) notes.Add("a gray image given to a colour model (the gray repeated in all 3 channels)");
        if (image.Channels == 4 && HasTransparency(image)) notes.Add("transparent pixels put on black");
        bool unusual = false;
        if (Training is { } t)
        {
            float meanDeviations = MathF.Abs(mean - t.ImageMeanMean) / MathF.Max(t.ImageMeanStd, 1e-3f);
            float stdDeviations = MathF.Abs(std - t.ImageStdMean) / MathF.Max(t.ImageStdStd, 1e-3f);
            unusual = meanDeviations > UnusualDeviations || stdDeviations > UnusualDeviations;
            if (unusual)
                notes.Add($"unlike the training images: brightness (mean) {Format(mean)} and contrast (std) {Format(std)}, " +
                    $"where the training images have {Format(t.ImageMeanMean)} ± {Format(t.ImageMeanStd)} " +
                    $"and {Format(t.ImageStdMean)} ± {Format(t.ImageStdStd)}; " +
                    "the prediction may mean little");
        }
        return new PreparationReport(image.Width, image.Height, resized, enlarged, toGray, mean, std, unusual, notes);
    }

    /// <summary>
    /// <paramref name="images"/> (0..1 values, items of <see cref="InputShape"/>) prepared for the
    /// model: the same data set when <see cref="KeepsValues"/>, else a copy with the channel order,
    /// scale and normalisation applied.
    /// </summary>
    public ImageDataset Apply(ImageDataset images)
    {
        if (images.ImageShape != InputShape)
            throw new ShapeException($"The model takes {InputShape.ToImageString()} images, but the data set has {images.ImageShape.ToImageString()}.");
        if (KeepsValues) return images;
        var copy = images.Images.Clone();
        Apply(copy.Span);
        return new ImageDataset(copy, images.Labels, images.ClassNames);
    }

    /// <summary>Applies the channel order, scale and normalisation in place to items of <see cref="InputShape"/> holding 0..1 values.</summary>
    public void Apply(Span<float> items)
    {
        int size = Channels * Height * Width;
        if (items.Length % size != 0) throw new ArgumentException($"InputPreparation: {items.Length} values are not whole items of {InputShape}.");
        if (KeepsValues) return;
        for (int at = 0; at < items.Length; at += size) ApplyToItem(items.Slice(at, size));
    }

    private void ApplyToItem(Span<float> item)
    {
        if (KeepsValues) return;
        int plane = Height * Width;
        if (Channels == 3 && ChannelOrder == ChannelOrder.Bgr)
        {
            var red = item[..plane].ToArray();
            item.Slice(2 * plane, plane).CopyTo(item[..plane]);
            red.CopyTo(item.Slice(2 * plane, plane));
        }
        for (int c = 0; c < Channels; c++)
        {
            var values = item.Slice(c * plane, plane);
            if (Scale != 1) TensorPrimitives.Multiply(values, Scale, values);
            if (Mean is not null) TensorPrimitives.Subtract(values, Mean[c], values);
            if (Std is not null) TensorPrimitives.Divide(values, Std[c], values);
        }
    }

    private static bool HasColour(DecodedImage image)
    {
        var p = image.Pixels;
        for (int at = 0; at < p.Length; at += image.Channels)
            if (p[at] != p[at + 1] || p[at] != p[at + 2]) return true;
        return false;
    }

    private static bool HasTransparency(DecodedImage image)
    {
        var p = image.Pixels;
        for (int at = 3; at < p.Length; at += 4)
            if (p[at] != 255) return true;
        return false;
    }

    private static string List(float[] values) => string.Join(", ", values.Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)));

    private static string Format(float value) => value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The non-default settings, e.g. "1x28x28, values 0..1" or "3x224x224 BGR, values 0..255, mean [104, 117, 123]".</summary>
    public override string ToString()
    {
        string text = $"{Width}x{Height}x{Channels}{(Channels == 3 && ChannelOrder == ChannelOrder.Bgr ? " BGR" : "")}, " +
            $"values 0..{Scale.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}";
        if (Mean is not null)
            text += $", minus mean [{string.Join(", ", Mean.Select(m => m.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))}]";
        if (Std is not null)
            text += $", divided by std [{string.Join(", ", Std.Select(m => m.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))}]";
        return text;
    }
}
