using Convolve.Onnx.Protos;
using Google.Protobuf;

namespace Convolve.Onnx;

/// <summary>
/// An ONNX model read from a file: its graph, the operator-set versions it was written for, and
/// its initializers (constant tensors, usually the weights) by name. The protobuf messages stay
/// reachable through <see cref="Proto"/> and <see cref="Graph"/> for anything not wrapped here.
/// </summary>
public sealed class OnnxModel
{
    private readonly Dictionary<string, TensorProto> initializers = new(StringComparer.Ordinal);

    private OnnxModel(ModelProto proto, string source)
    {
        Proto = proto;
        Source = source;
        foreach (var tensor in proto.Graph.Initializer) initializers[tensor.Name] = tensor;
    }

    /// <summary>The parsed message.</summary>
    internal ModelProto Proto { get; }

    /// <summary>Where the model came from (a file path), used in error messages.</summary>
    public string Source { get; }

    /// <summary>The main graph.</summary>
    internal GraphProto Graph => Proto.Graph;

    /// <summary>Constant tensors of the graph by value name.</summary>
    internal IReadOnlyDictionary<string, TensorProto> Initializers => initializers;

    /// <summary>
    /// Graph inputs that must be fed at run time: the declared inputs that are not initializers
    /// (before IR version 4, initializers were also listed as inputs).
    /// </summary>
    internal IReadOnlyList<ValueInfoProto> RuntimeInputs => Graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();

    /// <summary>
    /// The version of operator set <paramref name="domain"/> the model imports; the standard set
    /// is domain "" (also spelled "ai.onnx"). Operators change meaning between versions (Softmax
    /// did at 13), so an importer needs this to read a node right.
    /// </summary>
    public long GetOpsetVersion(string domain = "")
    {
        foreach (var opset in Proto.OpsetImport)
            if (IsSameDomain(opset.Domain, domain)) return opset.Version;
        throw new OnnxFormatException($"{Source}: the model imports no operator set for domain '{domain}' " +
            $"(it imports {string.Join(", ", Proto.OpsetImport.Select(o => $"'{o.Domain}' v{o.Version}"))}).");
    }

    /// <summary>Reads a model file. Throws <see cref="OnnxFormatException"/> naming the file if it is not a readable model.</summary>
    public static OnnxModel Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new OnnxFormatException($"{path}: cannot read the model file: {e.Message}", e); }
        return Parse(bytes, path);
    }

    /// <summary>Reads a model from its serialized bytes; <paramref name="source"/> names it in error messages.</summary>
    public static OnnxModel Parse(ReadOnlySpan<byte> bytes, string source = "<memory>")
    {
        if (bytes.IsEmpty) throw new OnnxFormatException($"{source}: the file is empty (0 bytes); expected an ONNX model.");
        var proto = ParseMessage(ModelProto.Parser, bytes, source, "an ONNX model (ModelProto)");
        // Protobuf reads many byte strings without complaint as messages of unknown fields, so a
        // file that is not a model often "parses" into an empty one: insist on a graph.
        if (proto.Graph is null)
            throw new OnnxFormatException($"{source}: {bytes.Length} bytes parsed, but hold no graph (ModelProto field 7); this is not an ONNX model.");
        return new OnnxModel(proto, source);
    }

    internal static T ParseMessage<T>(MessageParser<T> parser, ReadOnlySpan<byte> bytes, string source, string what)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"{source}: {bytes.Length} bytes are not {what}: {e.Message}", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // Google.Protobuf throws this, not InvalidProtocolBufferException, for some string
            // lengths that point past the data (found by fuzzing: fuzz/regressions/onnx).
            throw new OnnxFormatException($"{source}: {bytes.Length} bytes are not {what}: a string's length points outside the data.", e);
        }
    }

    private static bool IsSameDomain(string a, string b) => Normalize(a) == Normalize(b);

    private static string Normalize(string domain) => domain == "ai.onnx" ? "" : domain;

    /// <summary>The source and the graph's size, e.g. "OnnxModel(model.onnx: 52 nodes, 62 initializers, opsets '' v13)".</summary>
    public override string ToString() =>
        $"OnnxModel({Source}: {Graph.Node.Count} nodes, {Graph.Initializer.Count} initializers, " +
        $"opsets {string.Join(", ", Proto.OpsetImport.Select(o => $"'{o.Domain}' v{o.Version}"))})";
}
