using Convolve.Onnx.Protos;

namespace Convolve.Onnx.Tests;

/// <summary>
/// ONNX's backend conformance vectors for single operators, as Debian's libonnx-testdata package
/// installs them: <c>data/node/test_NAME/model.onnx</c> (a graph of one node) and
/// <c>test_data_set_K/input_I.pb</c>, <c>output_I.pb</c> (serialized TensorProtos; input I feeds
/// the graph's I-th runtime input, output I is the expected value of its I-th output).
/// Set CONVOLVE_ONNX_TESTDATA to use a copy elsewhere.
/// </summary>
internal static class OnnxTestData
{
    /// <summary>The operators whose vectors this suite runs (ONNX op_type names).</summary>
    public static readonly IReadOnlySet<string> Operators = new HashSet<string>
    {
        "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Relu", "LeakyRelu", "Sigmoid", "Tanh",
        "Softmax", "Flatten", "Gemm", "MatMul", "BatchNormalization", "Dropout",
    };

    /// <summary>
    /// Operators whose vectors run only through the importer, as whole models (see
    /// <see cref="OnnxConformanceImportTests"/>): the element-wise, merge and shape operators.
    /// </summary>
    public static readonly IReadOnlySet<string> ImportOperators = new HashSet<string>
    {
        "Clip", "HardSigmoid", "HardSwish", "Add", "Sub", "Mul", "Div", "Sum", "Transpose", "Squeeze", "Unsqueeze",
        "Concat", "Reshape", "Split", "Pad", "Slice",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2", "GlobalMaxPool",
        "PRelu", "Elu", "Selu", "Celu", "Softplus", "Softsign", "ThresholdedRelu", "Erf",
        "LogSoftmax", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Pow", "Min", "Max",
        "ConvTranspose",
        "Resize", "Upsample",
        "Tile", "Gather",
        "InstanceNormalization", "LRN",
    };

    /// <summary>Where the node tests are.</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("CONVOLVE_ONNX_TESTDATA") is { Length: > 0 } overridden
            ? overridden
            : "/usr/share/libonnx-testdata/data/node";

    /// <summary>The message for a machine without the vectors.</summary>
    public static string MissingMessage =>
        $"ONNX conformance vectors not found at {Directory}. Install them with `apt-get install libonnx-testdata` " +
        "(or set CONVOLVE_ONNX_TESTDATA to a copy of onnx/backend/test/data/node).";

    /// <summary>Whether the vectors are installed.</summary>
    public static bool IsInstalled => System.IO.Directory.Exists(Directory);

    private static readonly Lazy<IReadOnlyDictionary<string, string>> SingleNodes = new(Discover);

    /// <summary>
    /// Test name -> op type, for every test whose model is a single node of one of
    /// <see cref="Operators"/>. Empty when the vectors are not installed.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Cases => Of(Operators);

    /// <summary>The same for <see cref="ImportOperators"/>.</summary>
    public static IReadOnlyDictionary<string, string> ImportCases => Of(ImportOperators);

    private static SortedDictionary<string, string> Of(IReadOnlySet<string> operators) =>
        new(SingleNodes.Value.Where(kv => operators.Contains(kv.Value)).ToDictionary(), StringComparer.Ordinal);

    // Every test whose model is a single node, with its operator.
    private static IReadOnlyDictionary<string, string> Discover()
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!IsInstalled) return found;
        foreach (string dir in System.IO.Directory.EnumerateDirectories(Directory, "test_*"))
        {
            string modelPath = Path.Combine(dir, "model.onnx");
            if (!File.Exists(modelPath)) continue;
            var graph = OnnxModel.Load(modelPath).Graph;
            if (graph.Node.Count == 1 && (Operators.Contains(graph.Node[0].OpType) || ImportOperators.Contains(graph.Node[0].OpType)))
                found[Path.GetFileName(dir)] = graph.Node[0].OpType;
        }
        return found;
    }

    /// <summary>One test: its model and its data sets.</summary>
    public static OnnxTestCase Load(string name) => new(Path.Combine(Directory, name));
}

/// <summary>A node test: the model, and each data set's inputs by value name and expected outputs in graph order.</summary>
internal sealed class OnnxTestCase
{
    public OnnxTestCase(string directory)
    {
        Name = Path.GetFileName(directory);
        Model = OnnxModel.Load(Path.Combine(directory, "model.onnx"));
        var runtimeInputs = Model.RuntimeInputs;
        var sets = new List<OnnxDataSet>();
        foreach (string setDir in System.IO.Directory.EnumerateDirectories(directory, "test_data_set_*").Order(StringComparer.Ordinal))
        {
            var inputs = new Dictionary<string, TensorProto>(Model.Initializers, StringComparer.Ordinal);
            for (int i = 0; i < runtimeInputs.Count; i++)
            {
                string path = Path.Combine(setDir, $"input_{i}.pb");
                if (File.Exists(path)) inputs[runtimeInputs[i].Name] = OnnxTensor.Load(path);
            }
            var outputs = new List<(string, TensorProto)>();
            for (int i = 0; i < Model.Graph.Output.Count; i++)
            {
                string path = Path.Combine(setDir, $"output_{i}.pb");
                outputs.Add((path, OnnxTensor.Load(path)));
            }
            sets.Add(new OnnxDataSet(Path.GetFileName(setDir), inputs, outputs));
        }
        if (sets.Count == 0) throw new InvalidOperationException($"{directory}: no test_data_set_* directory.");
        DataSets = sets;
    }

    public string Name { get; }
    public OnnxModel Model { get; }
    public NodeProto Node => Model.Graph.Node[0];
    public IReadOnlyList<OnnxDataSet> DataSets { get; }
}

/// <summary>Inputs by value name; expected outputs (file path and tensor) in the order of the graph's outputs.</summary>
internal sealed record OnnxDataSet(string Name, IReadOnlyDictionary<string, TensorProto> Inputs,
    IReadOnlyList<(string Path, TensorProto Tensor)> Outputs);
