using Convolve.Data;
using SkiaSharp;

namespace Convolve.Imaging;

/// <summary>
/// Decodes PNG, JPEG, BMP, GIF (first frame) and WebP files with SkiaSharp. Gray files stay one
/// channel; everything else becomes RGBA with straight alpha, or RGB when the file is opaque.
/// Thread-safe: every call uses its own Skia objects.
/// </summary>
public sealed class SkiaImageDecoder : IImageDecoder
{
    private static readonly string[] Supported = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// The most pixels (width x height) an image may have: 100 megapixels, 400 MB decoded as RGBA.
    /// A header is read before any pixel memory is taken, so a file that claims 60000x60000 in a
    /// few bytes is refused by its size instead of failing to allocate 14 GB.
    /// </summary>
    public const long MaxPixels = 100_000_000;

    /// <inheritdoc />
    public IReadOnlyCollection<string> Extensions => Supported;

    /// <inheritdoc />
    public DecodedImage Decode(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException($"{path}: cannot be read: {e.Message}", e);
        }
        return Decode(bytes, path);
    }

    /// <summary>Decodes an encoded image held in memory; <paramref name="name"/> is used in messages.</summary>
    public static DecodedImage Decode(byte[] encoded, string name)
    {
        using var codec = SKCodec.Create(new MemoryStream(encoded, writable: false), out var created);
        if (codec is null)
            throw new ImageDecodeException($"{name}: not a PNG, JPEG, BMP, GIF or WebP image that Skia can open ({Describe(created)}).");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageDecodeException($"{name}: the image has size {info.Width}x{info.Height}.");
        long pixelCount = (long)info.Width * info.Height;
        if (pixelCount > MaxPixels)
            throw new ImageDecodeException($"{name}: the header says the image is {info.Width}x{info.Height} ({pixelCount / 1e6:0.#} megapixels); " +
                $"Convolve decodes images of at most {MaxPixels / 1_000_000} megapixels.");

        bool gray = info.ColorType == SKColorType.Gray8;
        bool opaque = info.AlphaType == SKAlphaType.Opaque;
        var target = gray
            ? new SKImageInfo(info.Width, info.Height, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(target);
        var result = codec.GetPixels(target, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new ImageDecodeException($"{name}: the image data is damaged ({Describe(result)}).");

        int channels = gray ? 1 : opaque ? 3 : 4;
        int stored = gray ? 1 : 4;
        var pixels = new byte[info.Width * info.Height * channels];
        var source = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes;
        for (int y = 0; y < info.Height; y++)
        {
            var row = source.Slice(y * rowBytes, info.Width * stored);
            var output = pixels.AsSpan(y * info.Width * channels, info.Width * channels);
            if (channels == stored)
            {
                row.CopyTo(output);
                continue;
            }
            for (int x = 0; x < info.Width; x++)
            {
                output[3 * x] = row[4 * x];
                output[3 * x + 1] = row[4 * x + 1];
                output[3 * x + 2] = row[4 * x + 2];
            }
        }
        return new DecodedImage(info.Width, info.Height, channels, pixels);
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file ends before the image does",
        SKCodecResult.ErrorInInput => "the image data is corrupt",
        SKCodecResult.Unimplemented => "unknown format, or a variant Skia does not read",
        SKCodecResult.InvalidInput => "the data is not in a format Skia recognises",
        _ => $"Skia says {result}",
    };
}
