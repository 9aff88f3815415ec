using Convolve.Data;
using SkiaSharp;

namespace Convolve.Imaging.Tests;

public class SkiaImageDecoderTests
{
    private static readonly SkiaImageDecoder Decoder = new();

    private static DecodedImage Gradient(int width, int height, int channels)
    {
        var pixels = new byte[width * height * channels];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37 % 256);
        if (channels == 4)
        {
            for (int p = 0; p < width * height; p++) pixels[4 * p + 3] = 255;
        }
        return new DecodedImage(width, height, channels, pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Png_RoundTrip_KeepsPixelsAndChannels(int channels)
    {
        using var folder = new TempFolder();
        var image = Gradient(7, 5, channels);
        string path = folder.File("x.png");

        SkiaImageEncoder.Save(image, path);
        var back = Decoder.Decode(path);

        Assert.Equal((7, 5, channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(image.Pixels, back.Pixels);
    }

    [Fact]
    public void Png_WithTransparency_DecodesAsFourChannels()
    {
        using var folder = new TempFolder();
        byte[] pixels = [10, 20, 30, 0, 40, 50, 60, 255];
        string path = folder.File("alpha.png");

        SkiaImageEncoder.Save(new DecodedImage(2, 1, 4, pixels), path);
        var back = Decoder.Decode(path);

        Assert.Equal(4, back.Channels);
        Assert.Equal(pixels[4..], back.Pixels[4..]);
        Assert.Equal(0, back.Pixels[3]);
    }

    [Fact]
    public void Jpeg_DecodesToTheSameSize_AndCloseValues()
    {
        using var folder = new TempFolder();
        var flat = new DecodedImage(16, 16, 3, Enumerable.Repeat((byte)120, 16 * 16 * 3).ToArray());
        string path = folder.File("flat.jpg");

        SkiaImageEncoder.Save(flat, path, jpegQuality: 95);
        var back = Decoder.Decode(path);

        Assert.Equal((16, 16, 3), (back.Width, back.Height, back.Channels));
        // JPEG is lossy, but a flat colour survives within a few levels.
        Assert.All(back.Pixels, v => Assert.InRange(v, 115, 125));
    }

    [Fact]
    public void Decode_RandomBytes_FailsWithTheFileName()
    {
        using var folder = new TempFolder();
        string path = folder.File("noise.png");
        var bytes = new byte[300];
        new Random(1).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.StartsWith($"{path}: not a PNG, JPEG, BMP, GIF or WebP image that Skia can open (", e.Message);
    }

    [Fact]
    public void Decode_TruncatedPng_FailsWithTheFileName()
    {
        using var folder = new TempFolder();
        string whole = folder.File("whole.png");
        SkiaImageEncoder.Save(Gradient(64, 64, 3), whole);
        byte[] bytes = File.ReadAllBytes(whole);
        string path = folder.File("cut.png");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.StartsWith($"{path}: ", e.Message);
    }

    [Fact]
    public void Decode_MissingFile_FailsWithTheFileName()
    {
        var e = Assert.Throws<ImageDecodeException>(() => Decoder.Decode("/no/such/image.png"));

        Assert.StartsWith("/no/such/image.png: cannot be read: ", e.Message);
    }

    [Fact]
    public void Encode_Gray_GivesAPngSkiaReadsAsGray()
    {
        byte[] png = SkiaImageEncoder.Encode(Gradient(3, 3, 1), SKEncodedImageFormat.Png);

        var back = SkiaImageDecoder.Decode(png, "memory");

        Assert.Equal(1, back.Channels);
        Assert.Equal(Gradient(3, 3, 1).Pixels, back.Pixels);
    }
}
