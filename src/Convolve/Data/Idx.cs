using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace Convolve.Data;

/// <summary>
/// The element types an IDX file can declare in the third byte of its magic number. Convolve reads
/// and writes <see cref="UnsignedByte"/> (what MNIST and Fashion-MNIST use); the others are
/// recognised so that a file holding them is refused by name.
/// </summary>
public enum IdxElementType : byte
{
    /// <summary>Unsigned 8-bit integers (0x08), the one type Convolve reads and writes.</summary>
    UnsignedByte = 0x08,
    /// <summary>Signed 8-bit integers (0x09).</summary>
    SignedByte = 0x09,
    /// <summary>Big-endian 16-bit integers (0x0B).</summary>
    Int16 = 0x0B,
    /// <summary>Big-endian 32-bit integers (0x0C).</summary>
    Int32 = 0x0C,
    /// <summary>Big-endian 32-bit floats (0x0D).</summary>
    Float32 = 0x0D,
    /// <summary>Big-endian 64-bit floats (0x0E).</summary>
    Float64 = 0x0E,
}

/// <summary>
/// The contents of an unsigned-byte IDX file: its dimensions (outermost first; the first is the
/// number of items) and its values in row-major order.
/// </summary>
public sealed class IdxArray
{
    /// <summary>Wraps dimensions and values (not copied).</summary>
    /// <param name="dimensions">The sizes, outermost (the item count) first; at least one, all positive.</param>
    /// <param name="data">The values in row-major order: as many as the product of <paramref name="dimensions"/>.</param>
    /// <exception cref="ArgumentException">No dimensions, one that is not positive, or a value count that does not match them.</exception>
    public IdxArray(int[] dimensions, byte[] data)
    {
        if (dimensions.Length == 0)
            throw new ArgumentException("IdxArray: an IDX array needs at least one dimension.", nameof(dimensions));
        long size = 1;
        for (int i = 0; i < dimensions.Length; i++)
        {
            if (dimensions[i] <= 0)
                throw new ArgumentException($"IdxArray: dimension {i} is {dimensions[i]}; every dimension must be positive.", nameof(dimensions));
            size *= dimensions[i];
        }
        if (size != data.Length)
            throw new ArgumentException($"IdxArray: dimensions {Idx.FormatDimensions(dimensions)} need {size:N0} bytes, got {data.Length:N0}.", nameof(data));
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>The values, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>Number of items: the first dimension.</summary>
    public int Count => Dimensions[0];

    /// <summary>Number of values in one item: the product of all dimensions but the first.</summary>
    public int ItemSize => Data.Length / Count;
}

/// <summary>
/// A file that is not a valid IDX file. The message names the file, the byte offset (counted in the
/// decompressed data for a gzipped file) and what was expected there.
/// </summary>
public sealed class IdxFormatException : IOException
{
    /// <summary>An error at <paramref name="offset"/> of <paramref name="fileName"/>.</summary>
    /// <param name="fileName">The file that was read.</param>
    /// <param name="offset">The byte offset where the problem is (in the decompressed data for a gzipped file), or null when it is not at one place.</param>
    /// <param name="message">What was expected there and what was found.</param>
    /// <param name="inner">The exception that revealed it, if any.</param>
    public IdxFormatException(string fileName, long? offset, string message, Exception? inner = null)
        : base(message, inner)
    {
        FileName = fileName;
        Offset = offset;
    }

    /// <summary>The file (or resource) name as given to the reader.</summary>
    public string FileName { get; }

    /// <summary>The byte offset of the problem, or null when it is not tied to one place.</summary>
    public long? Offset { get; }
}

/// <summary>
/// Reads and writes IDX files, the format of MNIST: a big-endian header
/// <c>0x00 0x00 type ndims</c>, then <c>ndims</c> 32-bit dimensions, then the values row-major.
/// A file that starts with the gzip magic (<c>0x1F 0x8B</c>) is decompressed on the fly, whatever
/// its name.
/// </summary>
public static class Idx
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Reads an unsigned-byte IDX file, plain or gzipped.</summary>
    /// <exception cref="IdxFormatException">The file is not a valid unsigned-byte IDX file.</exception>
    public static IdxArray Read(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>
    /// Reads an unsigned-byte IDX file, plain or gzipped, from <paramref name="stream"/>;
    /// <paramref name="name"/> is used in error messages.
    /// </summary>
    public static IdxArray Read(Stream stream, string name)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        long start = stream.Position;
        Span<byte> gzipMagic = stackalloc byte[2];
        int magicRead = ReadFull(stream, gzipMagic);
        stream.Position = start;
        if (magicRead == 2 && gzipMagic[0] == 0x1F && gzipMagic[1] == 0x8B)
        {
            using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            var counted = new CountingStream(gzip);
            try
            {
                return ReadIdx(counted, name, " of the decompressed data");
            }
            catch (InvalidDataException e)
            {
                throw new IdxFormatException(name, counted.Count,
                    $"{name}: the gzip data is corrupt after {N(counted.Count)} decompressed bytes (zlib says: {e.Message.TrimEnd('.')}).", e);
            }
        }
        return ReadIdx(stream, name, "");
    }

    private static IdxArray ReadIdx(Stream stream, string name, string where)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = ReadFull(stream, magic);
        if (got < 4)
            throw new IdxFormatException(name, got,
                $"{name}: ends at byte offset {got}{where}; an IDX file starts with a 4-byte magic number 0x00 0x00 <type> <dimensions>.");
        if (magic[0] != 0 || magic[1] != 0)
            throw new IdxFormatException(name, 0,
                $"{name}: byte offset 0{where}: expected the IDX magic number 0x00 0x00 <type> <dimensions>, found {Hex(magic)}; this is not an IDX file.");
        byte type = magic[2];
        if (type != (byte)IdxElementType.UnsignedByte)
        {
            string what = Enum.IsDefined((IdxElementType)type)
                ? $"element type 0x{type:X2} ({Describe((IdxElementType)type)}) is not supported; Convolve reads unsigned-byte IDX files (0x08)"
                : $"0x{type:X2} is not an IDX element type (known: 0x08 unsigned byte, 0x09 signed byte, 0x0B 16-bit integer, " +
                    "0x0C 32-bit integer, 0x0D 32-bit float, 0x0E 64-bit float)";
            throw new IdxFormatException(name, 2, $"{name}: byte offset 2{where}: {what}.");
        }
        int rank = magic[3];
        if (rank == 0)
            throw new IdxFormatException(name, 3, $"{name}: byte offset 3{where}: the header declares 0 dimensions; an IDX file has at least one.");

        int headerSize = 4 + 4 * rank;
        var dimBytes = new byte[4 * rank];
        got = ReadFull(stream, dimBytes);
        if (got < dimBytes.Length)
            throw new IdxFormatException(name, 4 + got,
                $"{name}: ends at byte offset {4 + got}{where}, inside the header: {rank} dimensions need a {headerSize}-byte header.");
        var dimensions = new int[rank];
        long size = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(dimBytes.AsSpan(4 * i));
            if (d == 0 || d > int.MaxValue)
                throw new IdxFormatException(name, 4 + 4 * i,
                    $"{name}: byte offset {4 + 4 * i}{where}: dimension {i} is {d.ToString("N0", Invariant)}; expected a positive size below 2^31.");
            dimensions[i] = (int)d;
            size *= d;
            if (size > Array.MaxLength)
                throw new IdxFormatException(name, 4 + 4 * i,
                    $"{name}: byte offset {4 + 4 * i}{where}: dimensions {FormatDimensions(dimensions.AsSpan(0, i + 1))} need more than " +
                    $"{Array.MaxLength.ToString("N0", Invariant)} bytes, more than Convolve can hold in memory.");
        }

        // Memory follows the bytes actually present, not the header's claim: a 16-byte file can
        // declare 2 GB. A file's length is known up front; gzipped data is read in growing chunks.
        byte[] data;
        if (stream.CanSeek)
        {
            data = new byte[Math.Min(size, Math.Max(0, stream.Length - stream.Position))];
            got = ReadFull(stream, data);
        }
        else
        {
            data = ReadUpTo(stream, size, out got);
        }
        if (got < size)
            throw new IdxFormatException(name, headerSize + got,
                $"{name}: truncated at byte offset {N(headerSize + got)}{where}: expected {N(size)} bytes of data ({FormatDimensions(dimensions)}) " +
                $"after the {headerSize}-byte header, found {N(got)}.");
        long extra = CountRemaining(stream);
        if (extra > 0)
            throw new IdxFormatException(name, headerSize + size,
                $"{name}: {N(extra)} bytes past the end of the data at byte offset {N(headerSize + size)}{where}: " +
                $"the header declares {FormatDimensions(dimensions)} = {N(size)} bytes, so the file should end there.");
        return new IdxArray(dimensions, data);
    }

    /// <summary>
    /// Writes an unsigned-byte IDX file; gzipped when <paramref name="path"/> ends in <c>.gz</c>.
    /// Atomically: the name never holds a partial file.
    /// </summary>
    public static void Write(string path, IdxArray array)
    {
        using var bytes = new MemoryStream();
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            using var gzip = new GZipStream(bytes, CompressionLevel.SmallestSize, leaveOpen: true);
            Write(gzip, array);
        }
        else
        {
            Write(bytes, array);
        }
        Serialization.AtomicFile.Write(path, bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
    }

    /// <summary>Writes an unsigned-byte IDX file (uncompressed) to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IdxArray array)
    {
        int rank = array.Dimensions.Count;
        if (rank > byte.MaxValue)
            throw new ArgumentException($"Idx.Write: {rank} dimensions do not fit in the one-byte count of an IDX header.", nameof(array));
        var header = new byte[4 + 4 * rank];
        header[2] = (byte)IdxElementType.UnsignedByte;
        header[3] = (byte)rank;
        for (int i = 0; i < rank; i++)
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + 4 * i), (uint)array.Dimensions[i]);
        stream.Write(header);
        stream.Write(array.Data);
    }

    /// <summary>Formats dimensions as <c>60,000 x 28 x 28</c>.</summary>
    internal static string FormatDimensions(ReadOnlySpan<int> dimensions)
    {
        var parts = new string[dimensions.Length];
        for (int i = 0; i < dimensions.Length; i++) parts[i] = N(dimensions[i]);
        return string.Join(" x ", parts);
    }

    internal static string FormatDimensions(IReadOnlyList<int> dimensions) => FormatDimensions(dimensions.ToArray());

    internal static string N(long value) => value.ToString("N0", Invariant);

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var parts = new string[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) parts[i] = $"0x{bytes[i]:X2}";
        return string.Join(" ", parts);
    }

    private static string Describe(IdxElementType type) => type switch
    {
        IdxElementType.UnsignedByte => "unsigned byte",
        IdxElementType.SignedByte => "signed byte",
        IdxElementType.Int16 => "16-bit integer",
        IdxElementType.Int32 => "32-bit integer",
        IdxElementType.Float32 => "32-bit float",
        IdxElementType.Float64 => "64-bit float",
        _ => "unknown",
    };

    /// <summary>Reads up to <paramref name="limit"/> bytes, growing the buffer as data arrives.</summary>
    private static byte[] ReadUpTo(Stream stream, long limit, out int got)
    {
        var buffer = new byte[Math.Min(limit, 1 << 20)];
        got = 0;
        while (true)
        {
            got += ReadFull(stream, buffer.AsSpan(got));
            if (got < buffer.Length || got == limit) return buffer;
            Array.Resize(ref buffer, (int)Math.Min(limit, 2L * buffer.Length));
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the count read.</summary>
    private static int ReadFull(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Counts the bytes read through it, to say where a corrupt gzip stream broke.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }
        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            Count += n;
            return n;
        }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static long CountRemaining(Stream stream)
    {
        Span<byte> scratch = stackalloc byte[4096];
        long total = 0;
        int n;
        while ((n = stream.Read(scratch)) > 0) total += n;
        return total;
    }
}
