using System.IO.Compression;
using Convolve.Data;

namespace Convolve.Tests.Data;

public class IdxTests
{
    private static IdxArray RandomArray(int seed, params int[] dimensions)
    {
        var data = new byte[dimensions.Aggregate(1, (a, b) => a * b)];
        new Random(seed).NextBytes(data);
        return new IdxArray(dimensions, data);
    }

    private static void WriteGzip(string path, byte[] content)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(content);
    }

    /// <summary>An IDX header built by hand, byte by byte, independent of Idx.Write.</summary>
    private static byte[] Header(byte type, params int[] dimensions)
    {
        var header = new List<byte> { 0, 0, type, (byte)dimensions.Length };
        foreach (int d in dimensions)
            header.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        return [.. header];
    }

    private static IdxFormatException ReadFails(string path) =>
        Assert.Throws<IdxFormatException>(() => Idx.Read(path));

    [Theory]
    [InlineData("images.idx")]
    [InlineData("images.idx.gz")]
    public void WriteThenRead_GivesTheSameDimensionsAndBytes(string name)
    {
        using var folder = new TempFolder();
        var array = RandomArray(1, 5, 3, 4);
        string path = folder.File(name);

        Idx.Write(path, array);
        var back = Idx.Read(path);

        Assert.Equal([5, 3, 4], back.Dimensions);
        Assert.Equal(array.Data, back.Data);
        Assert.Equal(5, back.Count);
        Assert.Equal(12, back.ItemSize);
    }

    [Fact]
    public void Write_PlainFile_HasTheHeaderByteForByte()
    {
        using var folder = new TempFolder();
        var array = RandomArray(2, 300, 2);
        string path = folder.File("x.idx");

        Idx.Write(path, array);

        byte[] bytes = File.ReadAllBytes(path);
        // 300 = 0x012C; 2 dimensions; unsigned byte 0x08.
        Assert.Equal(Header(0x08, 300, 2), bytes[..12]);
        Assert.Equal(array.Data, bytes[12..]);
    }

    [Fact]
    public void Read_GzippedContent_IsDetectedByMagicNotByName()
    {
        using var folder = new TempFolder();
        var array = RandomArray(3, 4, 2, 2);
        string path = folder.File("no-extension");
        WriteGzip(path, [.. Header(0x08, 4, 2, 2), .. array.Data]);

        Assert.Equal(array.Data, Idx.Read(path).Data);
    }

    [Fact]
    public void Read_TruncatedData_NamesFileOffsetAndCounts()
    {
        using var folder = new TempFolder();
        string path = folder.File("train-images-idx3-ubyte");
        File.WriteAllBytes(path, [.. Header(0x08, 10, 28, 28), .. new byte[1024]]);

        var e = ReadFails(path);

        // 10 x 28 x 28 = 7,840 bytes expected; the file has 16 + 1,024 = 1,040 bytes.
        Assert.Equal($"{path}: truncated at byte offset 1,040: expected 7,840 bytes of data (10 x 28 x 28) after the 16-byte header, found 1,024.", e.Message);
        Assert.Equal(1040, e.Offset);
        Assert.Equal(path, e.FileName);
    }

    [Fact]
    public void Read_TruncatedGzippedData_CountsOffsetsInTheDecompressedData()
    {
        using var folder = new TempFolder();
        string path = folder.File("train-labels-idx1-ubyte.gz");
        WriteGzip(path, [.. Header(0x08, 60000), .. new byte[100]]);

        var e = ReadFails(path);

        Assert.Equal($"{path}: truncated at byte offset 108 of the decompressed data: expected 60,000 bytes of data (60,000) " +
            "after the 8-byte header, found 100.", e.Message);
    }

    [Fact]
    public void Read_GzipFileCutInHalf_FailsWithTheFileName()
    {
        using var folder = new TempFolder();
        var array = RandomArray(4, 50, 28, 28);
        string whole = folder.File("whole.gz");
        Idx.Write(whole, array);
        byte[] bytes = File.ReadAllBytes(whole);
        string path = folder.File("cut.gz");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = ReadFails(path);

        // Random bytes do not compress, so half the gzip holds about half the data: the reader
        // either sees the deflate stream end early (truncated) or reports the gzip as corrupt.
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.True(e.Message.Contains("truncated at byte offset") || e.Message.Contains("gzip data is corrupt"), e.Message);
    }

    [Fact]
    public void Read_DamagedGzipStream_SaysCorruptAndWhere()
    {
        using var folder = new TempFolder();
        string path = folder.File("damaged.gz");
        Idx.Write(path, RandomArray(6, 50, 28, 28));
        byte[] bytes = File.ReadAllBytes(path);
        // Overwrite the deflate data right after the 10-byte gzip header with bytes that start a
        // block of the reserved type 3, which no inflater accepts.
        bytes[10] = 0xFF;
        bytes[11] = 0xFF;
        File.WriteAllBytes(path, bytes);

        var e = ReadFails(path);

        Assert.StartsWith($"{path}: the gzip data is corrupt after 0 decompressed bytes (zlib says: ", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Read_TrailingBytes_AreReported()
    {
        using var folder = new TempFolder();
        string path = folder.File("labels");
        File.WriteAllBytes(path, [.. Header(0x08, 3), 1, 2, 3, 4, 5]);

        var e = ReadFails(path);

        Assert.Equal($"{path}: 2 bytes past the end of the data at byte offset 11: the header declares 3 = 3 bytes, so the file should end there.", e.Message);
    }

    [Fact]
    public void Read_WrongMagic_SaysItIsNotAnIdxFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("page.html");
        File.WriteAllText(path, "hello world");

        var e = ReadFails(path);

        // 'h' 'e' 'l' 'l' are 0x68 0x65 0x6C 0x6C in ASCII.
        Assert.Equal($"{path}: byte offset 0: expected the IDX magic number 0x00 0x00 <type> <dimensions>, " +
            "found 0x68 0x65 0x6C 0x6C; this is not an IDX file.", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Read_FloatElementType_IsNamedAsUnsupported()
    {
        using var folder = new TempFolder();
        string path = folder.File("floats.idx");
        File.WriteAllBytes(path, [.. Header(0x0D, 2), .. new byte[8]]);

        var e = ReadFails(path);

        Assert.Equal($"{path}: byte offset 2: element type 0x0D (32-bit float) is not supported; Convolve reads unsigned-byte IDX files (0x08).", e.Message);
    }

    [Fact]
    public void Read_UnknownElementType_ListsTheKnownOnes()
    {
        using var folder = new TempFolder();
        string path = folder.File("odd.idx");
        File.WriteAllBytes(path, [.. Header(0x07, 2), 0, 0]);

        var e = ReadFails(path);

        Assert.Contains("byte offset 2: 0x07 is not an IDX element type (known: 0x08 unsigned byte,", e.Message);
    }

    [Fact]
    public void Read_HeaderCutShort_SaysHowLongTheHeaderShouldBe()
    {
        using var folder = new TempFolder();
        string path = folder.File("short.idx");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0]);

        var e = ReadFails(path);

        // 3 dimensions: 4 + 3 * 4 = 16 header bytes; the file has 6.
        Assert.Equal($"{path}: ends at byte offset 6, inside the header: 3 dimensions need a 16-byte header.", e.Message);
    }

    [Fact]
    public void Read_FileShorterThanTheMagicNumber_Fails()
    {
        using var folder = new TempFolder();
        string path = folder.File("tiny");
        File.WriteAllBytes(path, [0, 0]);

        var e = ReadFails(path);

        Assert.Equal($"{path}: ends at byte offset 2; an IDX file starts with a 4-byte magic number 0x00 0x00 <type> <dimensions>.", e.Message);
    }

    [Fact]
    public void Read_ZeroDimension_IsRefusedWithItsOffset()
    {
        using var folder = new TempFolder();
        string path = folder.File("zero");
        File.WriteAllBytes(path, Header(0x08, 5, 0));

        var e = ReadFails(path);

        // Dimension 1 is the second 4-byte size, at offset 4 + 4 = 8.
        Assert.Equal($"{path}: byte offset 8: dimension 1 is 0; expected a positive size below 2^31.", e.Message);
    }

    [Fact]
    public void Read_NoDimensions_IsRefused()
    {
        using var folder = new TempFolder();
        string path = folder.File("rank0");
        File.WriteAllBytes(path, [0, 0, 8, 0]);

        Assert.Contains("byte offset 3: the header declares 0 dimensions", ReadFails(path).Message);
    }

    [Fact]
    public void Read_NonSeekableStream_Works()
    {
        var array = RandomArray(5, 7, 3);
        var buffer = new MemoryStream();
        Idx.Write(buffer, array);

        var back = Idx.Read(new NonSeekableStream(buffer.ToArray()), "stream");

        Assert.Equal(array.Data, back.Data);
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
