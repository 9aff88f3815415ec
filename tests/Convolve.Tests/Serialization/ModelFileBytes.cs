using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Convolve.Tests.Serialization;

/// <summary>Edits of a saved model file's bytes, for tests of what a reader refuses.</summary>
internal static class ModelFileBytes
{
    /// <summary>Where the tensor data starts: after the 16-byte preamble and the JSON header.</summary>
    public static int HeaderEnd(byte[] bytes) => 16 + (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));

    /// <summary>Edits the JSON header and recomputes the length and the checksum, as a forger would.</summary>
    public static byte[] Rewrite(byte[] bytes, Func<string, string> edit)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        string header = Encoding.UTF8.GetString(bytes, 16, headerLength);
        string edited = edit(header);
        Assert.NotEqual(header, edited);
        byte[] newHeader = Encoding.UTF8.GetBytes(edited);
        var body = new List<byte>(bytes[..12]);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)newHeader.Length);
        body.AddRange(length);
        body.AddRange(newHeader);
        body.AddRange(bytes[(16 + headerLength)..^32]);
        body.AddRange(SHA256.HashData(body.ToArray()));
        return [.. body];
    }
}
