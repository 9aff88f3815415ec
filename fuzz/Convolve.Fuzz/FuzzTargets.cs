using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Convolve.Cli;
using Convolve.Data;
using Convolve.Imaging;
using Convolve.Onnx;
using Convolve.Serialization;

namespace Convolve.Fuzz;

/// <summary>
/// One input to one parser: the code both the AFL++ harness (Program.cs) and the corpus replay
/// test (tests/Convolve.Cli.Tests/FuzzCorpusReplayTests.cs) run. A target returns normally when
/// the parser gives a result or refuses the input with its own exception (the one the CLI turns
/// into a one-line message); any other exception escapes and is a crash.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets, each a parser a user can hand a file (or, for cli, a command line) to.</summary>
    public static IReadOnlyList<string> Names { get; } = ["idx", "cvm", "onnx", "npy", "image", "cli"];

    /// <summary>Feeds <paramref name="input"/> to <paramref name="target"/>.</summary>
    public static void Run(string target, byte[] input)
    {
        switch (target)
        {
            case "idx": Idx(input); break;
            case "cvm": Cvm(input); break;
            case "onnx": Onnx(input); break;
            case "npy": NpyFile(input); break;
            case "image": Image(input); break;
            case "cli": Cli(input); break;
            default: throw new ArgumentException($"unknown fuzz target '{target}'; known: {string.Join(", ", Names)}.");
        }
    }

    private static void Idx(byte[] input)
    {
        try
        {
            var array = Data.Idx.Read(new MemoryStream(input, writable: false), "fuzz.idx");
            // Also as a labels file of as many items as the array's first dimension.
            if (array.Dimensions.Count == 1)
                IdxDataset.FromArrays(new IdxArray([array.Dimensions[0], 1, 1], array.Data), "images.idx", array, "fuzz.idx", ["a", "b"]);
        }
        catch (IdxFormatException) { }
    }

    private static void Cvm(byte[] input)
    {
        try { ModelFile.Parse(input, "fuzz.cvm"); }
        catch (ModelFormatException) { }
        // A mutated file almost never keeps a valid SHA-256, so the checksum would stop the
        // fuzzer at the door: parse it again with the checksum made right, to reach the header
        // and tensor code behind it.
        if (input.Length >= 48)
        {
            var fixedUp = (byte[])input.Clone();
            SHA256.HashData(fixedUp.AsSpan(0, fixedUp.Length - 32)).CopyTo(fixedUp.AsSpan(fixedUp.Length - 32));
            try { ModelFile.Parse(fixedUp, "fuzz.cvm"); }
            catch (ModelFormatException) { }
        }
    }

    private static void Onnx(byte[] input)
    {
        try { OnnxImporter.Import(OnnxModel.Parse(input, "fuzz.onnx")); }
        catch (OnnxFormatException) { }
        catch (OnnxImportException) { }
    }

    private static void NpyFile(byte[] input)
    {
        try
        {
            var array = Npy.Parse(input, "fuzz.npy");
            if (array.Shape.Length is 3 or 4) NpyImages.ToImages(array, "fuzz.npy");
            if (array.Shape.Length == 1) NpyImages.FromArray(array, array.Shape[0], "fuzz.npy");
        }
        catch (InvalidDataException) { }
    }

    private static void Image(byte[] input)
    {
        try { SkiaImageDecoder.Decode(input, "fuzz.png"); }
        catch (ImageDecodeException) { }
        // Likewise PNG's chunk CRCs: decode again with every CRC recomputed.
        if (FixPngCrcs(input) is { } fixedUp)
        {
            try { SkiaImageDecoder.Decode(fixedUp, "fuzz.png"); }
            catch (ImageDecodeException) { }
        }
    }

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A copy of a PNG with each chunk's CRC-32 recomputed, or null when it is not a PNG.</summary>
    private static byte[]? FixPngCrcs(byte[] input)
    {
        if (input.Length < 8 || !input.AsSpan(0, 8).SequenceEqual(PngSignature)) return null;
        var copy = (byte[])input.Clone();
        int at = 8;
        while (at + 12 <= copy.Length)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(copy.AsSpan(at));
            if (at + 12 + length > copy.Length) break;
            uint crc = Crc32(copy.AsSpan(at + 4, 4 + (int)length));
            BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at + 8 + (int)length), crc);
            at += 12 + (int)length;
        }
        return copy;
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    // Commands that only compute and print are run; the others (which read data sets, train,
    // or write files) are parsed and bound only, so the fuzzer neither trains nor writes.
    private static readonly string[] Commands =
        ["params", "shape", "coverage", "summary", "intro", "train", "evaluate", "predict", "filters",
         "features", "experiment", "export", "import", "transfer", ""];
    private static readonly HashSet<string> RunCommands = ["params", "shape", "coverage", "summary"];
    private static readonly string[] InternalFailures = ["internal error:", "(arithmetic overflow)", "(out of stack)"];

    private static void Cli(byte[] input)
    {
        // The first byte picks the command; the rest is the arguments, one a line. An argument
        // cannot hold a NUL (a process's arguments are C strings), so NUL separates them too.
        if (input.Length == 0) return;
        string command = Commands[input[0] % Commands.Length];
        var args = Encoding.UTF8.GetString(input, 1, input.Length - 1)
            .Split(['\n', '\0'], StringSplitOptions.RemoveEmptyEntries);
        string[] line = command.Length == 0 ? args : [command, .. args];
        bool run = RunCommands.Contains(command) && !args.Any(a => a.StartsWith("--image", StringComparison.Ordinal));
        if (run)
        {
            var error = new StringWriter();
            ConvolveApp.Run(line, TextWriter.Null, error, plain: true);
            string text = error.ToString();
            // ConvolveApp turns every exception into a message (Failures.Message); those it did
            // not expect ask to be reported, and an overflow or exhausted stack means a size
            // the parser should have refused first.
            if (InternalFailures.Any(f => text.Contains(f, StringComparison.Ordinal)))
                throw new InvalidOperationException($"convolve {string.Join(' ', line)}: {text.Trim()}");
        }
        else
        {
            // Parsing can fail too (an argument "@/" names a response file that cannot be read);
            // ConvolveApp.Run would print Failures.Message for it, so that is what is judged.
            var root = ConvolveApp.CreateRootCommand(new Terminal(TextWriter.Null, plain: true));
            try { root.Parse(line); }
            catch (Exception e)
            {
                string text = Failures.Message(e);
                if (InternalFailures.Any(f => text.Contains(f, StringComparison.Ordinal)))
                    throw new InvalidOperationException($"convolve {string.Join(' ', line)}: {text}", e);
            }
        }
    }
}
