namespace Convolve.Data;

/// <summary>
/// Turns an image file (PNG, JPEG, ...) into pixels. The core library has no decoder of its own;
/// <c>Convolve.Imaging</c> provides one on SkiaSharp. Implementations must be safe to call from
/// several threads at once (image folders are decoded in parallel).
/// </summary>
public interface IImageDecoder
{
    /// <summary>File extensions (with the dot, lower case) this decoder reads, e.g. <c>.png</c>.</summary>
    IReadOnlyCollection<string> Extensions { get; }

    /// <summary>Decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="ImageDecodeException">The file is not an image this decoder can read.</exception>
    DecodedImage Decode(string path);
}

/// <summary>
/// 8-bit pixels, row-major with the channels of a pixel side by side (H, W, C): 1 channel is gray,
/// 3 is RGB, 4 is RGBA with straight (not premultiplied) alpha.
/// </summary>
public sealed class DecodedImage
{
    /// <summary>Wraps decoded pixels (not copied).</summary>
    /// <param name="width">Columns, in pixels, positive.</param>
    /// <param name="height">Rows, in pixels, positive.</param>
    /// <param name="channels">1 (gray), 3 (RGB) or 4 (RGBA).</param>
    /// <param name="pixels">width * height * channels bytes, (H, W, C) interleaved.</param>
    /// <exception cref="ArgumentException">A size is not positive, the channel count is not 1, 3 or 4, or the byte count does not match.</exception>
    public DecodedImage(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"DecodedImage: size {width}x{height}; both must be positive.");
        if (channels is not (1 or 3 or 4))
            throw new ArgumentException($"DecodedImage: {channels} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA).");
        if (pixels.Length != (long)width * height * channels)
            throw new ArgumentException($"DecodedImage: {width}x{height}x{channels} needs {(long)width * height * channels} bytes, got {pixels.Length}.");
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Columns, in pixels.</summary>
    public int Width { get; }
    /// <summary>Rows, in pixels.</summary>
    public int Height { get; }
    /// <summary>1 (gray), 3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }

    /// <summary>The pixels, (H, W, C) interleaved.</summary>
    public byte[] Pixels { get; }
}

/// <summary>An image file that could not be decoded; the message names the file and why.</summary>
public sealed class ImageDecodeException(string message, Exception? inner = null) : IOException(message, inner);
