using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Serialization;

/// <summary>What a model file holds besides the model itself.</summary>
/// <param name="Metadata">Free-form text entries (class names, training settings, epoch, ...).</param>
/// <param name="Tensors">Extra named tensors (optimizer state in checkpoints, ...).</param>
public sealed record ModelFileExtras(IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<string, Tensor> Tensors)
{
    /// <summary>No metadata and no extra tensors.</summary>
    public static readonly ModelFileExtras None = new(new Dictionary<string, string>(), new Dictionary<string, Tensor>());
}

/// <summary>
/// Reads and writes Convolve model files (<c>.cvm</c>): architecture, weights, metadata and extra
/// tensors, checked by a SHA-256 checksum. Layout, all integers and floats little-endian
/// (docs/model-format.md has the full description):
/// <code>
/// offset 0      8 bytes   magic "CONVOLVE"
/// offset 8      uint32    format version (1)
/// offset 12     uint32    header length H
/// offset 16     H bytes   header: UTF-8 JSON (model kind, input shape, layers with their
///                         options, tensor names and shapes in storage order, metadata)
/// offset 16+H   float32s  each tensor's values in header order, row-major
/// end-32        32 bytes  SHA-256 of every byte before it
/// </code>
/// Files are written to a temporary name beside the target and renamed, so a crash never
/// leaves a half-written model under the real name.
/// </summary>
public static class ModelFile
{
    /// <summary>The format version this code writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "CONVOLVE"u8;
    private const int PreambleLength = 16, ChecksumLength = 32;

    /// <summary>How the header's JSON is written and read.</summary>
    internal static JsonSerializerOptions JsonOptions => Json;

    // Layer configs are tagged by the types registered in LayerTypes and described by their
    // resolvers (source-generated ModelFileJson for the header and the built-in layers). The options
    // cache what they learn of LayerConfig, so a registration after the first save or load makes new options.
    private sealed record CachedOptions(int Version, JsonSerializerOptions Options);
    private static CachedOptions? json;

    private static JsonSerializerOptions Json
    {
        get
        {
            var current = Volatile.Read(ref json);
            int version = LayerTypes.Version;
            if (current?.Version == version) return current.Options;
            var options = new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                WriteIndented = false,
                TypeInfoResolver = JsonTypeInfoResolver.Combine(ModelFileJson.Default, LayerTypes.CreateResolver())
                    .WithAddedModifier(LayerTypes.AddDerivedTypes),
            };
            if (LayerTypes.ReflectionEnumConverter is { } enumsByName) options.Converters.Add(enumsByName);
            options.MakeReadOnly();
            Volatile.Write(ref json, new CachedOptions(version, options));
            return options;
        }
    }

    /// <param name="Inputs">Graph models only: the names of the nodes the layer reads ("input" for the model's input).</param>
    /// <param name="Name">The layer's name in the model.</param>
    /// <param name="Config">The layer's options, tagged with its type (LayerTypes).</param>
    internal sealed record LayerEntry(string Name, LayerConfig Config, string[]? Inputs = null);
    internal sealed record TensorEntry(string Name, int[] Shape);
    /// <param name="Preparation">How images become inputs; absent in files that predate it (they get 0..1 values).</param>
    /// <param name="Model">"sequential" or "graph".</param>
    /// <param name="InputShape">The shape of one item, without the batch dimension.</param>
    /// <param name="Layers">The layers in order.</param>
    /// <param name="Tensors">The names and shapes of the tensors stored after the header, in order.</param>
    /// <param name="Metadata">Free-form text entries.</param>
    internal sealed record Header(string Model, int[] InputShape, LayerEntry[] Layers, TensorEntry[] Tensors,
        Dictionary<string, string>? Metadata,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] InputPreparation? Preparation = null);

    /// <summary>Writes <paramref name="model"/> (built) with optional metadata and extra tensors.</summary>
    public static void Save(Model model, string path, ModelFileExtras? extras = null)
    {
        if (!model.IsBuilt) throw new InvalidOperationException("ModelFile.Save: the model is not built.");
        if (model is not (Sequential or Graph)) throw new NotSupportedException($"ModelFile.Save: {model.GetType().Name} models cannot be saved.");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Model files are little-endian; this machine is not.");
        extras ??= ModelFileExtras.None;

        var tensors = model.NamedParameters.Select(p => (p.Key, p.Parameter.Value))
            .Concat(extras.Tensors.Select(t => (t.Key, t.Value))).ToList();
        var duplicate = tensors.GroupBy(t => t.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"ModelFile.Save: two tensors are named '{duplicate.Key}'.");
        LayerEntry[] layers = model is Graph graph
            ? [.. graph.Nodes.Skip(1).Select(n => new LayerEntry(n.Name, n.Layer!.GetConfig(), [.. n.Inputs.Select(i => i.Name)]))]
            : [.. model.Layers.Select(l => new LayerEntry(l.Name, l.GetConfig()))];
        var header = new Header(model is Graph ? "Graph" : "Sequential", model.InputShape.Dims.ToArray(), layers,
            [.. tensors.Select(t => new TensorEntry(t.Key, t.Value.Shape.Dims.ToArray()))],
            new Dictionary<string, string>(extras.Metadata), model.Preparation);
        if (model.Preparation?.Problem(model.InputShape) is { } problem)
            throw new ArgumentException($"ModelFile.Save: the model's input preparation {problem}.");
        byte[] headerBytes = JsonSerializer.SerializeToUtf8Bytes(header, (JsonTypeInfo<Header>)Json.GetTypeInfo(typeof(Header)));

        using var content = new MemoryStream();
        content.Write(Magic);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, FormatVersion);
        content.Write(word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)headerBytes.Length);
        content.Write(word);
        content.Write(headerBytes);
        foreach (var (_, value) in tensors) content.Write(MemoryMarshal.AsBytes(value.Span));
        byte[] checksum = SHA256.HashData(content.GetBuffer().AsSpan(0, (int)content.Length));
        content.Write(checksum);

        AtomicFile.Write(path, content.GetBuffer().AsSpan(0, (int)content.Length));
    }

    /// <summary>Reads a model file and returns the model, built and holding the stored weights.</summary>
    public static Model Load(string path) => Read(path).Model;

    /// <summary>Reads a model file: the model, built and loaded, with its metadata and extra tensors.</summary>
    public static (Model Model, ModelFileExtras Extras) Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{path}: cannot read the file: {e.Message}");
        }
        return Parse(bytes, path);
    }

    private static Graph RebuildGraph(LayerEntry[] entries, List<Layer> layers, string name)
    {
        var graph = new Graph();
        var nodes = new Dictionary<string, GraphNode> { ["input"] = graph.Input };
        for (int i = 0; i < entries.Length; i++)
        {
            var inputs = (entries[i].Inputs ?? throw new ModelFormatException($"{name}: graph layer '{entries[i].Name}' does not say what it reads."))
                .Select(n => nodes.TryGetValue(n, out var node) ? node
                    : throw new ModelFormatException($"{name}: graph layer '{entries[i].Name}' reads '{n}', which is not an earlier layer."))
                .ToArray();
            nodes[entries[i].Name] = graph.Apply(layers[i], inputs);
        }
        return graph;
    }

    /// <summary>Parses the bytes of a model file; <paramref name="name"/> names it in errors.</summary>
    public static (Model Model, ModelFileExtras Extras) Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new ModelFormatException($"{name}: not a Convolve model file (it does not start with \"CONVOLVE\").");
        if (bytes.Length < PreambleLength + ChecksumLength)
            throw new ModelFormatException($"{name}: truncated: {bytes.Length} bytes, but a model file has at least {PreambleLength + ChecksumLength}.");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version == 0 || version > FormatVersion)
            throw new ModelFormatException($"{name}: format version {version} at byte 8 is not one this Convolve reads (1 to {FormatVersion}).");
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        if (PreambleLength + (long)headerLength + ChecksumLength > bytes.Length)
            throw new ModelFormatException($"{name}: truncated: the header length at byte 12 says {headerLength} bytes, " +
                $"but only {bytes.Length - PreambleLength - ChecksumLength} follow before the checksum.");
        var body = bytes[..^ChecksumLength];
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes[^ChecksumLength..]))
            throw new ModelFormatException(
                $"{name}: checksum mismatch: the SHA-256 stored in the last 32 bytes does not match the contents; the file is corrupt or truncated.");

        Header header;
        try
        {
            header = JsonSerializer.Deserialize(bytes.Slice(PreambleLength, (int)headerLength), (JsonTypeInfo<Header>)Json.GetTypeInfo(typeof(Header)))
                ?? throw new JsonException("the header is null");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new ModelFormatException($"{name}: the header at byte {PreambleLength} is not valid: {e.Message}");
        }
        if (header.Model is not ("Sequential" or "Graph"))
            throw new ModelFormatException($"{name}: model kind '{header.Model}' is not one this Convolve reads (Sequential, Graph).");
        if (header.Layers is null || header.Tensors is null || header.InputShape is null)
            throw new ModelFormatException($"{name}: the header lacks its layers, tensors or input shape.");

        long dataStart = PreambleLength + headerLength;
        CheckTensorEntries(header.Tensors, dataStart, body.Length, name);
        CheckInputShape(header.InputShape, name);

        Model model;
        try
        {
            var layers = header.Layers.Select(entry =>
            {
                var layer = entry.Config.CreateLayer();
                layer.Name = entry.Name;
                return layer;
            }).ToList();
            model = header.Model == "Graph" ? RebuildGraph(header.Layers, layers, name) : new Sequential(layers);
            model.BuildShapes(new Shape(header.InputShape));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NullReferenceException)
        {
            throw new ModelFormatException($"{name}: the architecture in the header does not build: {e.Message}");
        }
        catch (Exception e) when (e is OverflowException or OutOfMemoryException)
        {
            // A layer whose options ask for more weights than memory holds (the stored tensors,
            // checked above, fit the file; these are the architecture's own sizes).
            throw new ModelFormatException($"{name}: the architecture in the header asks for tensors too large to hold in memory; the header is corrupt.");
        }

        var parameters = model.NamedParameters.ToDictionary(p => p.Key, p => p.Parameter);
        var extras = new Dictionary<string, Tensor>();
        long offset = dataStart;
        foreach (var entry in header.Tensors)
        {
            var shape = new Shape(entry.Shape);
            long length = (long)shape.Size * sizeof(float);
            Tensor target;
            if (parameters.Remove(entry.Name, out var parameter))
            {
                if (parameter.Shape != shape)
                    throw new ModelFormatException(
                        $"{name}: tensor '{entry.Name}' has shape {shape} in the file, but the architecture needs {parameter.Shape}.");
                target = parameter.Value;
            }
            else extras[entry.Name] = target = new Tensor(shape);
            MemoryMarshal.Cast<byte, float>(body.Slice((int)offset, (int)length)).CopyTo(target.Span);
            // A model that holds NaN or infinity predicts NaN for every input: refuse it here,
            // naming the tensor, rather than let it print "NaN%" later.
            int nonFinite = CountNonFinite(target.Span);
            if (nonFinite > 0)
                throw new ModelFormatException($"{name}: tensor '{entry.Name}' at byte {offset} holds {Words.Plural(nonFinite, "non-finite value")} " +
                    $"(NaN or infinity) of {shape.Size}; the model was saved from a training run that diverged and cannot be used.");
            offset += length;
        }
        if (parameters.Count > 0)
            throw new ModelFormatException($"{name}: the file has no values for {string.Join(", ", parameters.Keys)}.");
        if (header.Preparation?.Problem(model.InputShape) is { } problem)
            throw new ModelFormatException($"{name}: the input preparation in the header {problem}.");
        model.Preparation = header.Preparation;
        if (offset != body.Length)
            throw new ModelFormatException($"{name}: {body.Length - offset} unexplained bytes after the tensor data at byte {offset}.");
        return (model, new ModelFileExtras(header.Metadata ?? [], extras));
    }

    /// <summary>
    /// Checks every tensor entry before anything is allocated: a name, dimensions that are all
    /// positive, and values that lie inside the file. A corrupt header can claim a dimension of
    /// 2e9; the sizes are computed in checked 64-bit arithmetic and compared with the bytes present.
    /// </summary>
    private static void CheckTensorEntries(TensorEntry[] entries, long dataStart, int dataEnd, string name)
    {
        long offset = dataStart;
        foreach (var entry in entries)
        {
            if (entry?.Name is null || entry.Shape is null)
                throw new ModelFormatException($"{name}: a tensor in the header lacks its name or shape.");
            string dims = $"[{string.Join(", ", entry.Shape)}]";
            long count = 1;
            for (int i = 0; i < entry.Shape.Length; i++)
            {
                if (entry.Shape[i] <= 0)
                    throw new ModelFormatException(
                        $"{name}: tensor '{entry.Name}' at byte {offset}: dimension {i} of {dims} is {entry.Shape[i]}; every dimension must be positive.");
                count *= entry.Shape[i];
                if (count > int.MaxValue)
                    throw new ModelFormatException($"{name}: tensor '{entry.Name}' at byte {offset}: shape {dims} holds more than {int.MaxValue:N0} values, " +
                        $"more than a tensor can; only {dataEnd - offset:N0} bytes of tensor data remain in the file.");
            }
            long length = count * sizeof(float);
            if (offset + length > dataEnd)
                throw new ModelFormatException($"{name}: truncated: tensor '{entry.Name}' {dims} needs {length:N0} bytes at byte {offset}, " +
                    $"but the data ends at byte {dataEnd}.");
            offset += length;
        }
    }

    private static void CheckInputShape(int[] dims, string name)
    {
        long count = 1;
        foreach (int d in dims)
        {
            if (d <= 0)
                throw new ModelFormatException($"{name}: the input shape [{string.Join(", ", dims)}] in the header has a dimension of {d}; " +
                    "every dimension must be positive.");
            count *= d;
            if (count > int.MaxValue)
                throw new ModelFormatException($"{name}: the input shape [{string.Join(", ", dims)}] in the header " +
                    $"holds more than {int.MaxValue:N0} values per item; the header is corrupt.");
        }
    }

    private static int CountNonFinite(ReadOnlySpan<float> values)
    {
        int count = 0;
        foreach (float v in values) if (!float.IsFinite(v)) count++;
        return count;
    }
}
