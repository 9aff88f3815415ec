using System.Buffers.Binary;
using System.Text;
using Convolve.Data;

namespace Convolve.Tests.Data;

public class NpyTests
{
    // The raw little-endian bytes of doubles, written with BinaryPrimitives (independent of the reader).
    private static byte[] Doubles(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }

    // A version 1.0 file with a header typed here, as NumPy writes it (the dict, spaces, a newline).
    private static byte[] File10(string dict, ReadOnlySpan<byte> data)
    {
        string header = dict.PadRight(117) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0, (byte)header.Length, 0]);
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data.ToArray());
        return [.. bytes];
    }

    [Fact]
    public void Read_Float64_InNumPysOwnHeaderLayout_GivesTheValuesAndShape()
    {
        // The header text as lfw_subset.npy spells it (read from that file with xxd), with a small shape.
        var bytes = File10("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1, 3), }", Doubles(0.25, 0.5, 1, -2, 1e-3, 3.5));
        var array = Npy.Parse(bytes, "a.npy");
        Assert.Equal([2, 1, 3], array.Shape);
        Assert.Equal("<f8", array.DType);
        Assert.Equal([0.25f, 0.5f, 1f, -2f, 1e-3f, 3.5f], array.Values);
    }

    [Fact]
    public void Read_Uint8_Float32_Int64_AndAOneTuple()
    {
        Assert.Equal([0f, 7f, 255f], Npy.Parse(Npy.Format("|u1", [3], [0, 7, 255]), "u.npy").Values);
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(floats, 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(floats.AsSpan(4), -0.25f);
        Assert.Equal([1.5f, -0.25f], Npy.Parse(Npy.Format("<f4", [2], floats), "f.npy").Values);
        var longs = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(longs, 1);
        BinaryPrimitives.WriteInt64LittleEndian(longs.AsSpan(8), 0);
        var labels = Npy.Parse(File10("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", longs), "l.npy");
        Assert.Equal([2], labels.Shape);
        Assert.Equal([1f, 0f], labels.Values);
    }

    [Fact]
    public void Read_Version2_HasAFourByteHeaderLength()
    {
        string header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }".PadRight(115) + "\n";
        byte[] bytes = [0x93, .. "NUMPY"u8, 2, 0, (byte)header.Length, 0, 0, 0, .. Encoding.ASCII.GetBytes(header), 9, 8];
        var array = Npy.Parse(bytes, "v2.npy");
        Assert.Equal([2], array.Shape);
        Assert.Equal([9f, 8f], array.Values);
    }

    [Fact]
    public void WriteFloat32_ThenRead_RoundTrips_WithTheDataAlignedTo64Bytes()
    {
        using var folder = new TempFolder();
        string path = folder.File("x.npy");
        float[] values = [1, 2, 3, 4, 5, 6.5f];
        Npy.WriteFloat32(path, [3, 2], values);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0, (bytes.Length - values.Length * 4) % 64);
        var back = Npy.Read(path);
        Assert.Equal([3, 2], back.Shape);
        Assert.Equal("<f4", back.DType);
        Assert.Equal(values, back.Values);
    }

    [Fact]
    public void Read_OfAMissingFile_NamesIt()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Npy.Read("/nonexistent/x.npy"));
        Assert.Equal("/nonexistent/x.npy: no such file; expected a NumPy .npy file.", e.Message);
    }

    public static TheoryData<string, string> Corrupt => new()
    {
        // (how the file is broken, the expected message)
        { "magic", "c.npy: byte 0: not a NumPy .npy file (it does not start with \\x93NUMPY)." },
        { "version", "c.npy: byte 6: format version 9.0 is not one this reader knows (1.0 to 3.0)." },
        { "header-length", "c.npy: byte 8: truncated: the header length says 118 bytes, but only 20 follow." },
        { "fortran", "c.npy: byte 10: the array is in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray) first." },
        { "big-endian", "c.npy: byte 10: element type '>f8' is not supported; this reader takes <f8, <f4, |u1, <i4, <i8 (little-endian)." },
        { "no-shape", "c.npy: byte 10: the header has no 'shape' tuple." },
        { "bad-dimension", "c.npy: byte 61: header: expected a dimension (a whole number), got 'x'." },
        { "unclosed", "c.npy: byte 128: header: the header ends inside the dict." },
        { "truncated-data", "c.npy: byte 128: truncated: shape (2, 3) of <f8 needs 48 bytes of data, but only 40 follow the header." },
        { "extra-data", "c.npy: byte 176: 8 unexplained bytes after the 48 bytes of data of shape (2, 3) <f8." },
    };

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void Read_OfACorruptFile_SaysWhatAndAtWhichByte(string kind, string expected)
    {
        // Offsets: the header starts at byte 10 (version 1) and is 118 bytes long, so data starts at 128;
        // the 'x' of "(x, 3)" is character 51 of the dict, byte 61.
        var good = Doubles(1, 2, 3, 4, 5, 6);
        const string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
        byte[] bytes = kind switch
        {
            "magic" => [.. "PK\x03\x04 not npy"u8.ToArray()],
            "version" => Patch(File10(dict, good), 6, 9),
            "header-length" => File10(dict, good)[..30],
            "fortran" => File10(dict.Replace("False", "True"), good),
            "big-endian" => File10(dict.Replace("<f8", ">f8"), good),
            "no-shape" => File10("{'descr': '<f8', 'fortran_order': False, }", good),
            "bad-dimension" => File10(dict.Replace("(2, 3)", "(x, 3)"), good),
            "unclosed" => File10(dict.Replace(", }", ","), good),
            "truncated-data" => File10(dict, good[..40]),
            "extra-data" => File10(dict, [.. good, .. new byte[8]]),
            _ => throw new ArgumentException(kind),
        };
        var e = Assert.Throws<InvalidDataException>(() => Npy.Parse(bytes, "c.npy"));
        Assert.Equal(expected, e.Message);
    }

    private static byte[] Patch(byte[] bytes, int at, byte value)
    {
        bytes[at] = value;
        return bytes;
    }
}
