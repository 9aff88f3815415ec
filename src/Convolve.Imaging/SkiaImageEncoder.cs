using Convolve.Data;
using SkiaSharp;

namespace Convolve.Imaging;

/// <summary>Writes <see cref="DecodedImage"/> pixels as PNG or JPEG files with SkiaSharp.</summary>
public static class SkiaImageEncoder
{
    /// <summary>
    /// Saves <paramref name="image"/> to <paramref name="path"/>: JPEG when the name ends in
    /// <c>.jpg</c> or <c>.jpeg</c> (at <paramref name="jpegQuality"/>, 0-100), otherwise PNG; atomically, so
    /// the name never holds a partial image.
    /// </summary>
    public static void Save(DecodedImage image, string path, int jpegQuality = 90)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        var format = extension is ".jpg" or ".jpeg" ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;
        byte[] encoded = Encode(image, format, format == SKEncodedImageFormat.Jpeg ? jpegQuality : 100);
        Serialization.AtomicFile.Write(path, encoded);
    }

    /// <summary>Encodes <paramref name="image"/> in <paramref name="format"/>.</summary>
    public static byte[] Encode(DecodedImage image, SKEncodedImageFormat format, int quality = 100)
    {
        bool gray = image.Channels == 1;
        var info = gray
            ? new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888,
                image.Channels == 4 ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        var target = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes;
        int inC = image.Channels;
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.Pixels.AsSpan(y * image.Width * inC, image.Width * inC);
            var output = target.Slice(y * rowBytes);
            if (gray || inC == 4)
            {
                row.CopyTo(output);
                continue;
            }
            for (int x = 0; x < image.Width; x++)
            {
                output[4 * x] = row[3 * x];
                output[4 * x + 1] = row[3 * x + 1];
                output[4 * x + 2] = row[3 * x + 2];
                output[4 * x + 3] = 255;
            }
        }
        using var data = bitmap.Encode(format, quality)
            ?? throw new InvalidOperationException($"SkiaImageEncoder: Skia could not encode a {image.Width}x{image.Height} image as {format}.");
        return data.ToArray();
    }
}
