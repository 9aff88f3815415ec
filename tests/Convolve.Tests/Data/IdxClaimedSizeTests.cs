using System.IO.Compression;
using Convolve.Data;

namespace Convolve.Tests.Data;

/// <summary>An IDX header can claim up to 2 GB in 16 bytes: memory follows the bytes present, not the claim.</summary>
public class IdxClaimedSizeTests
{
    // Magic 0x00 0x00 0x08 (unsigned byte) with 3 dimensions: 2000 x 1000 x 1000 = 2e9 bytes claimed.
    private static readonly byte[] Claims2GB = [0, 0, 8, 3, 0, 0, 0x07, 0xD0, 0, 0, 0x03, 0xE8, 0, 0, 0x03, 0xE8, 1, 2, 3];

    private static long AllocatedWhile(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void AFileClaiming2GB_IsRefusedAsTruncated_WithoutAllocatingIt()
    {
        IdxFormatException? error = null;
        long allocated = AllocatedWhile(() => error = Assert.Throws<IdxFormatException>(() => Idx.Read(new MemoryStream(Claims2GB), "claims.idx")));

        Assert.Equal("claims.idx: truncated at byte offset 19: expected 2,000,000,000 bytes of data (2,000 x 1,000 x 1,000) " +
            "after the 16-byte header, found 3.", error!.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void AGzippedFileClaiming2GB_IsRefusedAsTruncated_WithoutAllocatingIt()
    {
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(Claims2GB);
        gz.Position = 0;

        IdxFormatException? error = null;
        long allocated = AllocatedWhile(() => error = Assert.Throws<IdxFormatException>(() => Idx.Read(gz, "claims.idx.gz")));

        Assert.StartsWith("claims.idx.gz: truncated at byte offset 19 of the decompressed data: expected 2,000,000,000 bytes", error!.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void AGzippedFileLargerThanOneChunk_StillReadsWhole()
    {
        // 3 x 1000 x 1000: three of the reader's 1 MB chunks and a bit.
        var values = new byte[3_000_000];
        new Random(1).NextBytes(values);
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0x03, 0xE8, 0, 0, 0x03, 0xE8]);
            z.Write(values);
        }
        gz.Position = 0;

        var array = Idx.Read(gz, "big.idx.gz");

        Assert.Equal([3, 1000, 1000], array.Dimensions);
        Assert.Equal(values, array.Data);
    }
}
