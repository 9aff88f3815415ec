using System.IO.Compression;
using System.Text;
using Convolve.Data;
using Convolve.Imaging;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx;
using Convolve.Serialization;
using Convolve.Tensors;
using SkiaSharp;

namespace Convolve.Fuzz;

/// <summary>
/// <c>Convolve.Fuzz TARGET</c>: the AFL++ harness (SharpFuzz's out-of-process mode; fuzz/run starts it
/// under afl-fuzz). <c>Convolve.Fuzz seeds DIR</c>: writes the seed corpora, small valid files made
/// with the library. <c>Convolve.Fuzz replay TARGET FILE|DIR...</c>: runs inputs in-process and names
/// any that crash (to reproduce a finding without AFL).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        switch (args)
        {
            case ["seeds", var dir]:
                Seeds.Write(dir);
                return 0;
            case ["replay", var target, .. var paths]:
                return Replay(target, paths);
            case [var target] when FuzzTargets.Names.Contains(target):
                Action<Stream> run = stream =>
                {
                    var buffer = new MemoryStream();
                    stream.CopyTo(buffer);
                    FuzzTargets.Run(target, buffer.ToArray());
                };
                // The managed parsers run in-process (persistent mode: one process, input after
                // input; they keep no state between calls), several times faster. Images go
                // through Skia's native decoders, which can take the process down (a native fault,
                // or a kill on timeout): out of process, a child runs them and is restarted.
                if (target == "image") SharpFuzz.Fuzzer.OutOfProcess.Run(run);
                else SharpFuzz.Fuzzer.Run(run);
                return 0;
            default:
                Console.Error.WriteLine($"usage: Convolve.Fuzz ({string.Join("|", FuzzTargets.Names)}) | seeds DIR | replay TARGET FILE|DIR...");
                return 2;
        }
    }

    private static int Replay(string target, string[] paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p, "*", SearchOption.AllDirectories) : [p]).Order();
        int count = 0, crashes = 0;
        foreach (var file in files)
        {
            count++;
            try { FuzzTargets.Run(target, File.ReadAllBytes(file)); }
            catch (Exception e)
            {
                crashes++;
                Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                if (Environment.GetEnvironmentVariable("FUZZ_TRACE") == "1") Console.WriteLine(e);
            }
        }
        Console.WriteLine($"{target}: {count} inputs, {crashes} crashes");
        return crashes == 0 ? 0 : 1;
    }
}

/// <summary>The seed corpora: a few small valid files per target, made with the library itself.</summary>
internal static class Seeds
{
    public static void Write(string root)
    {
        void Put(string target, string name, byte[] bytes)
        {
            Directory.CreateDirectory(Path.Combine(root, target));
            File.WriteAllBytes(Path.Combine(root, target, name), bytes);
        }

        var chain = new Sequential(new Conv2D(1, 2, 3, padding: 1), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(2));
        chain.Build(new Shape(1, 4, 4), seed: 1);
        var graph = new Graph();
        var x = graph.Apply(new Conv2D(1, 2, 3, padding: 1), graph.Input);
        var sum = graph.Apply(new Add(), x, graph.Apply(new ReLU(), x));
        graph.Apply(new Dense(2), graph.Apply(new Flatten(), graph.Apply(new Concat(), sum, x)));
        graph.Build(new Shape(1, 3, 3), seed: 2);
        foreach (var (name, model) in new (string, Model)[] { ("chain", chain), ("graph", graph) })
        {
            string temp = Path.Combine(Path.GetTempPath(), $"convolve-seed-{Environment.ProcessId}.cvm");
            ModelFile.Save(model, temp, new ModelFileExtras(new Dictionary<string, string> { ["classes"] = "a,b" }, new Dictionary<string, Tensor>()));
            Put("cvm", $"{name}.cvm", File.ReadAllBytes(temp));
            File.Delete(temp);
            Put("onnx", $"{name}.onnx", OnnxExporter.ToBytes(model));
        }

        var idx = new MemoryStream();
        Idx.Write(idx, new IdxArray([3, 2, 2], [.. Enumerable.Range(0, 12).Select(i => (byte)(i * 20))]));
        Put("idx", "images.idx", idx.ToArray());
        idx = new MemoryStream();
        Idx.Write(idx, new IdxArray([4], [0, 1, 1, 0]));
        Put("idx", "labels.idx", idx.ToArray());
        var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.SmallestSize, leaveOpen: true)) zip.Write(idx.ToArray());
        Put("idx", "labels.idx.gz", gz.ToArray());

        Put("npy", "images-f4.npy", Npy.Format("<f4", [2, 2, 3], [.. Enumerable.Range(0, 12).SelectMany(i => BitConverter.GetBytes(i / 12f))]));
        Put("npy", "images-u1.npy", Npy.Format("|u1", [1, 2, 2, 3], [.. Enumerable.Range(0, 12).Select(i => (byte)i)]));
        Put("npy", "labels-i8.npy", Npy.Format("<i8", [3], [.. new long[] { 0, 1, 1 }.SelectMany(BitConverter.GetBytes)]));

        Put("image", "gray.png", SkiaImageEncoder.Encode(new DecodedImage(3, 2, 1, [0, 50, 100, 150, 200, 250]), SKEncodedImageFormat.Png));
        Put("image", "rgba.png",
            SkiaImageEncoder.Encode(new DecodedImage(2, 2, 4, [.. Enumerable.Range(0, 16).Select(i => (byte)(i * 16))]), SKEncodedImageFormat.Png));
        Put("image", "rgb.jpg",
            SkiaImageEncoder.Encode(new DecodedImage(4, 4, 3, [.. Enumerable.Range(0, 48).Select(i => (byte)(i * 5))]), SKEncodedImageFormat.Jpeg, 80));

        // cli: the first byte picks the command (FuzzTargets' list), the rest are arguments one a line.
        string[][] lines =
        [
            ["\u0000", "--height", "28", "--channels", "1"],
            ["\u0001", "--size", "28", "--kernel", "3", "--stride", "2", "--padding", "1"],
            ["\u0001", "--size", "7", "--kernel", "2", "--pool", "--ceil-mode"],
            ["\u0002", "--size", "6", "--kernel", "3", "--dilation", "2", "--padding", "2"],
            ["\u0003", "article"],
            ["\u0005", "--model", "article", "--epochs", "1", "--lr", "0.1"],
            ["\u000e", "--help"],
        ];
        for (int i = 0; i < lines.Length; i++)
            Put("cli", $"args-{i}", Encoding.UTF8.GetBytes(lines[i][0] + string.Join('\n', lines[i][1..])));
    }
}
