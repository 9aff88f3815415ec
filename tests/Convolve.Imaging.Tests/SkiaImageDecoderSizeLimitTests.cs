using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Convolve.Data;

namespace Convolve.Imaging.Tests;

/// <summary>Images whose header claims more pixels than memory should hold are refused by their size, before decoding.</summary>
public class SkiaImageDecoderSizeLimitTests
{
    private static readonly SkiaImageDecoder Decoder = new();

    /// <summary>
    /// A well-formed PNG (valid chunk CRCs) whose IHDR claims <paramref name="width"/> x
    /// <paramref name="height"/> gray pixels, followed by an IDAT of one short row: a few hundred
    /// bytes that claim gigabytes.
    /// </summary>
    internal static byte[] PngClaiming(int width, int height)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // colour type: gray
        Chunk(png, "IHDR", ihdr);
        var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, CompressionLevel.Optimal, leaveOpen: true)) z.Write(new byte[64]);
        Chunk(png, "IDAT", zlib.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void APngClaiming60000x60000_IsRefusedBySize_NamingTheFileOnce()
    {
        using var folder = new TempFolder();
        string path = folder.File("huge.png");
        File.WriteAllBytes(path, PngClaiming(60000, 60000));

        var e = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.Equal($"{path}: the header says the image is 60000x60000 (3600 megapixels); " +
            "Convolve decodes images of at most 100 megapixels.", e.Message);
    }

    [Fact]
    public void AnImageJustUnderTheLimit_IsNotRefusedBySize()
    {
        // 10000 x 10000 is exactly the limit: decoding goes on (and fails on the short data, naming the file).
        var e = Assert.Throws<ImageDecodeException>(() => SkiaImageDecoder.Decode(PngClaiming(10000, 10000), "edge.png"));
        Assert.DoesNotContain("megapixels", e.Message);
        Assert.StartsWith("edge.png: ", e.Message);
        Assert.Equal(1, CountOccurrences(e.Message, "edge.png"));
    }

    private static int CountOccurrences(string text, string part) =>
        (text.Length - text.Replace(part, "").Length) / part.Length;
}
