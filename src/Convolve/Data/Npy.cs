using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Convolve.Serialization;

namespace Convolve.Data;

/// <summary>The numbers of a <c>.npy</c> file as floats, with the file's shape and element type.</summary>
/// <param name="Shape">The array's dimensions, outermost first (C order); empty for a scalar.</param>
/// <param name="Values">All elements in C (row-major) order, converted to float.</param>
/// <param name="DType">The element type as the file spells it, e.g. <c>&lt;f8</c> or <c>|u1</c>.</param>
public sealed record NpyArray(int[] Shape, float[] Values, string DType);

/// <summary>
/// Reads and writes NumPy's <c>.npy</c> files (format versions 1 to 3): the magic
/// <c>\x93NUMPY</c>, a version (2 bytes), the header length (uint16 in version 1, uint32 in 2 and
/// 3, little-endian), then an ASCII header holding a Python dict literal such as
/// <c>{'descr': '&lt;f8', 'fortran_order': False, 'shape': (200, 25, 25), }</c>, then the elements.
/// Read: little-endian float64 (<c>&lt;f8</c>), float32 (<c>&lt;f4</c>), uint8 (<c>|u1</c>) and
/// int32/int64 (<c>&lt;i4</c>, <c>&lt;i8</c>, for label arrays), C order only. Every error names
/// the file and the byte offset where the problem is.
/// </summary>
public static class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The element types <see cref="Read"/> accepts, with their sizes in bytes.</summary>
    public static IReadOnlyDictionary<string, int> SupportedTypes { get; } = new Dictionary<string, int>
    {
        ["<f8"] = 8,
        ["<f4"] = 4,
        ["|u1"] = 1,
        ["<i4"] = 4,
        ["<i8"] = 8,
    };

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a .npy file, or one this reader does not support; the message says where.</exception>
    public static NpyArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file; expected a NumPy .npy file.", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses the bytes of a .npy file; <paramref name="name"/> names it in errors.</summary>
    public static NpyArray Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 8 || !bytes[..6].SequenceEqual(Magic))
            throw Error(name, 0, "not a NumPy .npy file (it does not start with \\x93NUMPY)");
        byte major = bytes[6];
        if (major is < 1 or > 3)
            throw Error(name, 6, $"format version {major}.{bytes[7]} is not one this reader knows (1.0 to 3.0)");
        int lengthBytes = major == 1 ? 2 : 4;
        int headerStart = 8 + lengthBytes;
        if (bytes.Length < headerStart)
            throw Error(name, 8, $"truncated: the header length needs {lengthBytes} bytes, the file has {bytes.Length - 8} after the version");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (headerStart + headerLength > bytes.Length)
            throw Error(name, 8, $"truncated: the header length says {headerLength} bytes, but only {bytes.Length - headerStart} follow");
        var headerBytes = bytes.Slice(headerStart, (int)headerLength);
        string header;
        try { header = (major == 3 ? new UTF8Encoding(false, true) : Encoding.Latin1).GetString(headerBytes); }
        catch (DecoderFallbackException) { throw Error(name, headerStart, "the header is not valid UTF-8"); }

        var dict = new HeaderParser(header, name, headerStart).ParseDict();
        string descr = dict.TryGetValue("descr", out var d) && d is string s ? s
            : throw Error(name, headerStart, "the header has no 'descr' string (the element type)");
        bool fortran = dict.TryGetValue("fortran_order", out var f) && f is bool b ? b
            : throw Error(name, headerStart, "the header has no 'fortran_order' True/False");
        int[] shape = dict.TryGetValue("shape", out var sh) && sh is int[] dims ? dims
            : throw Error(name, headerStart, "the header has no 'shape' tuple");
        // NumPy writes one-byte types as '|u1'; '<u1' and 'u1' mean the same.
        if (descr is "<u1" or "u1" or "B") descr = "|u1";
        if (!SupportedTypes.TryGetValue(descr, out int itemSize))
            throw Error(name, headerStart,
                $"element type '{descr}' is not supported; this reader takes {string.Join(", ", SupportedTypes.Keys)} (little-endian)");
        if (fortran)
            throw Error(name, headerStart, "the array is in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray) first");

        long count = 1;
        foreach (int dim in shape)
        {
            count *= dim;
            if (count > Array.MaxLength) throw Error(name, headerStart, $"shape ({string.Join(", ", shape)}) has too many elements to hold in memory");
        }
        long dataStart = headerStart + headerLength;
        long expected = count * itemSize;
        long actual = bytes.Length - dataStart;
        if (actual < expected)
            throw Error(name, dataStart,
                $"truncated: shape ({string.Join(", ", shape)}) of {descr} needs {expected} bytes of data, but only {actual} follow the header");
        if (actual > expected)
            throw Error(name, dataStart + expected,
                $"{actual - expected} unexplained bytes after the {expected} bytes of data of shape ({string.Join(", ", shape)}) {descr}");

        var data = bytes.Slice((int)dataStart, (int)expected);
        var values = new float[count];
        switch (descr)
        {
            case "<f4":
                data.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Npy: this machine is not little-endian.");
                break;
            case "<f8":
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(data[(i * 8)..]);
                break;
            case "|u1":
                for (int i = 0; i < values.Length; i++) values[i] = data[i];
                break;
            case "<i4":
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(data[(i * 4)..]);
                break;
            case "<i8":
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(data[(i * 8)..]);
                break;
        }
        return new NpyArray(shape, values, descr);
    }

    /// <summary>
    /// Writes <paramref name="values"/> as a version 1.0 <c>&lt;f4</c> C-order array of
    /// <paramref name="shape"/>, atomically (see <see cref="AtomicFile"/>). The header is padded
    /// with spaces so the data starts at a multiple of 64 bytes, as NumPy does.
    /// </summary>
    public static void WriteFloat32(string path, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        long count = 1;
        foreach (int dim in shape) count *= dim;
        if (count != values.Length)
            throw new ArgumentException($"Npy.WriteFloat32: shape ({string.Join(", ", shape.ToArray())}) holds {count} values, got {values.Length}.");
        AtomicFile.Write(path, Format("<f4", shape, MemoryMarshal.AsBytes(values)));
    }

    /// <summary>
    /// The bytes of a version 1.0 .npy file with element type <paramref name="descr"/>, shape
    /// <paramref name="shape"/> and raw little-endian <paramref name="data"/> (not checked against
    /// the type: tests use this to make malformed files).
    /// </summary>
    public static byte[] Format(string descr, ReadOnlySpan<int> shape, ReadOnlySpan<byte> data)
    {
        // A 1-tuple needs its trailing comma in Python: (5,).
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray());
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int unpadded = 10 + dict.Length + 1;
        int padded = (unpadded + 63) / 64 * 64;
        string header = dict + new string(' ', padded - unpadded) + "\n";
        var bytes = new byte[10 + header.Length + data.Length];
        Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        data.CopyTo(bytes.AsSpan(10 + header.Length));
        return bytes;
    }

    private static InvalidDataException Error(string name, long offset, string message) =>
        new($"{name}: byte {offset}: {message}.");

    /// <summary>
    /// The subset of Python literal syntax .npy headers use: a dict of string keys to strings,
    /// True/False, and tuples of non-negative integers.
    /// </summary>
    private ref struct HeaderParser(string text, string name, int start)
    {
        private int at;

        public Dictionary<string, object> ParseDict()
        {
            var dict = new Dictionary<string, object>(StringComparer.Ordinal);
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (Peek() == '}') { at++; break; }
                string key = ParseString();
                Expect(':');
                object value = ParseValue();
                if (!dict.TryAdd(key, value)) throw Fail($"the key '{key}' appears twice");
                SkipSpace();
                if (Peek() == ',') { at++; continue; }
                Expect('}');
                break;
            }
            SkipSpace();
            if (at != text.Length) throw Fail($"unexpected '{text[at]}' after the header dict");
            return dict;
        }

        private object ParseValue()
        {
            SkipSpace();
            char c = Peek();
            if (c is '\'' or '"') return ParseString();
            if (c == '(') return ParseTuple();
            if (Word("True")) return true;
            if (Word("False")) return false;
            throw Fail(c == '\0' ? "the header ends inside the dict" : $"unexpected '{c}'; expected a string, True/False or a tuple");
        }

        private int[] ParseTuple()
        {
            Expect('(');
            var dims = new List<int>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')') { at++; break; }
                int begin = at;
                while (at < text.Length && char.IsAsciiDigit(text[at])) at++;
                if (begin == at) throw Fail($"expected a dimension (a whole number), got '{(at < text.Length ? text[at] : ' ')}'");
                if (!int.TryParse(text.AsSpan(begin, at - begin), NumberStyles.None, CultureInfo.InvariantCulture, out int dim))
                    throw Fail($"dimension {text[begin..at]} is too large");
                dims.Add(dim);
                SkipSpace();
                if (Peek() == ',') { at++; continue; }
                Expect(')');
                break;
            }
            return [.. dims];
        }

        private string ParseString()
        {
            SkipSpace();
            char quote = Peek();
            if (quote == '\0') throw Fail("the header ends inside the dict");
            if (quote is not ('\'' or '"')) throw Fail($"expected a quoted string, got '{quote}'");
            int begin = ++at;
            while (at < text.Length && text[at] != quote) at++;
            if (at == text.Length) throw Fail("a string is not closed");
            return text[begin..at++];
        }

        private bool Word(string word)
        {
            if (string.CompareOrdinal(text, at, word, 0, word.Length) != 0) return false;
            at += word.Length;
            return true;
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c) throw Fail(at >= text.Length ? $"the header ends where '{c}' was expected" : $"expected '{c}', got '{text[at]}'");
            at++;
        }

        private readonly char Peek() => at < text.Length ? text[at] : '\0';

        private void SkipSpace()
        {
            while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
        }

        private readonly InvalidDataException Fail(string message) =>
            Error(name, start + at, $"header: {message}");
    }
}
