using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Xunit.Abstractions;

namespace Convolve.Onnx.Tests;

/// <summary>
/// ONNX's conformance vectors run through the importer as whole models: each node's first input
/// is the model input, its other inputs (weights, shapes, ratios) become initializers, and its
/// first output is the model output. The imported model must give the expected output by the
/// rule of <see cref="OnnxConformanceTests"/> (1e-4), or be refused with an
/// <see cref="OnnxImportException"/> before running: never a wrong answer, never another error.
/// </summary>
public sealed class OnnxConformanceImportTests(ITestOutputHelper log)
{
    /// <summary>Whether a vector imported (true) or was refused (false, with the message).</summary>
    private static (bool Imported, string Message) RunThroughImporter(string name)
    {
        var test = OnnxTestData.Load(name);
        foreach (var set in test.DataSets)
        {
            var proto = test.Model.Proto.Clone();
            var graph = proto.Graph;
            string data = test.Node.Input[0];
            foreach (var (valueName, tensor) in set.Inputs)
            {
                if (valueName == data || graph.Initializer.Any(t => t.Name == valueName)) continue;
                var initializer = tensor.Clone();
                initializer.Name = valueName;
                graph.Initializer.Add(initializer);
            }
            while (graph.Output.Count > 1) graph.Output.RemoveAt(graph.Output.Count - 1);

            var input = OnnxTensor.ToTensor(set.Inputs[data], $"{name}/{set.Name} input");
            Models.Model model;
            try
            {
                model = OnnxImporter.Import(OnnxModel.Parse(Google.Protobuf.MessageExtensions.ToByteArray(proto), name), input.Shape.ItemShape);
            }
            catch (OnnxImportException e)
            {
                return (false, e.Message);
            }
            var output = model.Forward(input).Clone();
            OnnxConformanceTests.AssertMatches(set.Outputs[0].Path, set.Outputs[0].Tensor, output, $"{name}/{set.Name} through the importer");
        }
        return (true, "");
    }

    /// <summary>Vectors of <see cref="OnnxTestData.ImportOperators"/> that cannot be tried through the importer, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> Unsupported = new Dictionary<string, string>
    {
        ["test_add_uint8"] = Uint8,
        ["test_sub_uint8"] = Uint8,
        ["test_mul_uint8"] = Uint8,
        ["test_div_uint8"] = Uint8,
        ["test_clip_default_int8_inbounds"] = Int8,
        ["test_clip_default_int8_max"] = Int8,
        ["test_clip_default_int8_min"] = Int8,
        ["test_edge_pad"] = "INT32 tensors: Convolve computes in float32 only (edge padding is checked against ONNX Runtime in OnnxImporterTests).",
        ["test_reflect_pad"] = "INT32 tensors: Convolve computes in float32 only (reflect padding is checked against ONNX Runtime in OnnxImporterTests).",
        ["test_reshape_allowzero_reordered"] = "An empty input [0, 3, 4]: Convolve's tensors are never empty.",
        ["test_split_zero_size_splits"] = "An empty input [0]: Convolve's tensors are never empty.",
        ["test_pow_types_float"] = Int64Base,
        ["test_pow_types_int64_int64"] = Int64Base,
        ["test_pow_types_int64_float32"] = Int64Base,
        ["test_pow_types_int32_int32"] = Int32Base,
        ["test_pow_types_int32_float32"] = Int32Base,
        ["test_pow_types_float32_uint32"] = "A UINT32 exponent: Convolve reads a constant exponent as FLOAT, DOUBLE, INT32 or INT64.",
        ["test_pow_types_float32_uint64"] = "A UINT64 exponent: Convolve reads a constant exponent as FLOAT, DOUBLE, INT32 or INT64.",
        ["test_min_float16"] = FloatOnly("FLOAT16"),
        ["test_min_int8"] = FloatOnly("INT8"),
        ["test_min_int16"] = FloatOnly("INT16"),
        ["test_min_int32"] = FloatOnly("INT32"),
        ["test_min_int64"] = FloatOnly("INT64"),
        ["test_min_uint8"] = FloatOnly("UINT8"),
        ["test_min_uint16"] = FloatOnly("UINT16"),
        ["test_min_uint32"] = FloatOnly("UINT32"),
        ["test_min_uint64"] = FloatOnly("UINT64"),
        ["test_max_float16"] = FloatOnly("FLOAT16"),
        ["test_max_int8"] = FloatOnly("INT8"),
        ["test_max_int16"] = FloatOnly("INT16"),
        ["test_max_int32"] = FloatOnly("INT32"),
        ["test_max_int64"] = FloatOnly("INT64"),
        ["test_max_uint8"] = FloatOnly("UINT8"),
        ["test_max_uint16"] = FloatOnly("UINT16"),
        ["test_max_uint32"] = FloatOnly("UINT32"),
        ["test_max_uint64"] = FloatOnly("UINT64"),
    };

    private const string Uint8 = "UINT8 tensors: Convolve computes in float32 only.";
    private const string Int8 = "INT8 tensors: Convolve computes in float32 only.";
    private static string FloatOnly(string type) => $"{type} tensors: Convolve computes in float32 only.";
    private const string MinMaxVectors = "every float32 vector is 1-D, its one axis the batch, against constants of the same length, which " +
        "Convolve broadcasts over the batch only, or takes one input (a model of no layer) or three (the harness makes two constants); " +
        "Min and Max of computed values and constants are checked against ONNX Runtime in the export tests (min-max-layers), and these " +
        "vectors with their inputs as computed values in TileGatherMinMaxVectorsTests";
    private const string Int64Base = "An INT64 base: Convolve computes in float32 only.";
    private const string Int32Base = "An INT32 base: Convolve computes in float32 only.";

    /// <summary>
    /// Operators none of whose vectors can import, and why: the harness makes every input but the
    /// first a constant, and Concat and Sum join computed values only (Concat and Sum of graph
    /// values are checked against ONNX Runtime in <see cref="OnnxImporterTests"/>); Min's and Max's
    /// vectors are 1-D.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string> OperatorsWithoutAnImportableVector = new Dictionary<string, string>
    {
        ["Concat"] = "every vector concatenates two or more inputs, which the harness turns into constants",
        ["Sum"] = "every vector sums two or more inputs, which the harness turns into constants, or one (an identity: a model of no layer)",
        ["Min"] = MinMaxVectors,
        ["Max"] = MinMaxVectors,
        ["Tile"] = "both vectors repeat the batch axis 0 (test_tile 7 times, test_tile_precomputed twice), which stays free in Convolve, so " +
            "they are refused; their data are checked with the batch's repeat set to 1 in TileGatherMinMaxVectorsTests",
    };

    /// <summary>The vectors of <see cref="OnnxTestData.ImportOperators"/> not listed as unsupported (a placeholder when none are installed).</summary>
    public static TheoryData<string> NewOperatorCases()
    {
        var data = new TheoryData<string>();
        foreach (string name in NewOperatorNames()) data.Add(name);
        if (data.Count == 0) data.Add("(libonnx-testdata not installed)");
        return data;
    }

    private static IEnumerable<string> NewOperatorNames() => OnnxTestData.ImportCases.Keys.Where(n => !Unsupported.ContainsKey(n));

    /// <summary>Every vector of the shape and element-wise operators is tried or listed, and every listed one exists.</summary>
    [DataFact(TestData.OnnxVectors)]
    public void EveryVectorOfTheShapeAndElementwiseOperators_IsTriedOrListedWithAReason()
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var found = OnnxTestData.ImportCases;
        var stale = Unsupported.Keys.Where(n => !found.ContainsKey(n)).ToList();
        Assert.True(stale.Count == 0, $"Listed as unsupported but not found in {OnnxTestData.Directory}: {string.Join(", ", stale)}");
        Assert.All(OnnxTestData.ImportOperators, op => Assert.Contains(op, found.Values));
    }

    /// <summary>Each listed vector really cannot be read as Convolve's float input, so the list cannot go stale silently.</summary>
    [DataTheory(TestData.OnnxVectors)]
    [MemberData(nameof(UnsupportedCases))]
    public void ListedVector_CannotBeTried(string name)
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var error = Assert.Throws<OnnxFormatException>(() => RunThroughImporter(name));
        log.WriteLine($"{name}: listed because: {Unsupported[name]}");
        log.WriteLine($"{name}: fails with: {error.Message}");
    }

    /// <summary>The names of the listed vectors.</summary>
    public static TheoryData<string> UnsupportedCases()
    {
        var data = new TheoryData<string>();
        foreach (string name in Unsupported.Keys.Order(StringComparer.Ordinal)) data.Add(name);
        return data;
    }

    [DataTheory(TestData.OnnxVectors)]
    [MemberData(nameof(NewOperatorCases))]
    public void VectorOfAShapeOrElementwiseOperator_ThroughTheImporter_MatchesOrIsRefused(string name)
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var (imported, message) = RunThroughImporter(name);
        log.WriteLine(imported ? $"{name}: imported, output matches" : $"{name}: refused: {message}");
    }

    [DataTheory(TestData.OnnxVectors)]
    [MemberData(nameof(OnnxConformanceTests.RunnableCases), MemberType = typeof(OnnxConformanceTests))]
    public void Vector_ThroughTheImporter_MatchesOrIsRefused(string name)
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var (imported, message) = RunThroughImporter(name);
        log.WriteLine(imported ? $"{name}: imported, output matches" : $"{name}: refused: {message}");
    }

    /// <summary>Counts, for the report: how many vectors of each shape or element-wise operator import.</summary>
    [DataFact(TestData.OnnxVectors)]
    public void VectorsOfTheShapeAndElementwiseOperators_Import()
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var results = NewOperatorNames().Order(StringComparer.Ordinal)
            .Select(n => (Name: n, Op: OnnxTestData.ImportCases[n], Result: RunThroughImporter(n))).ToList();
        foreach (var group in results.GroupBy(r => r.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
            log.WriteLine($"{group.Key}: {group.Count(r => r.Result.Imported)} of {group.Count()} import");
        foreach (var r in results.Where(r => !r.Result.Imported)) log.WriteLine($"  {r.Name}: {r.Result.Message}");
        foreach (var (name, reason) in Unsupported.OrderBy(kv => kv.Key, StringComparer.Ordinal)) log.WriteLine($"  {name}: not tried: {reason}");
        foreach (var op in OnnxTestData.ImportOperators.Where(op => !OperatorsWithoutAnImportableVector.ContainsKey(op)))
            Assert.True(results.Any(r => r.Op == op && r.Result.Imported), $"no vector of {op} imports");
    }

    /// <summary>Counts, for the report: how many vectors of each operator import.</summary>
    [DataFact(TestData.OnnxVectors)]
    public void MostVectorsOfTheImportedOperators_Import()
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var results = OnnxConformanceTests.RunnableNames().Order(StringComparer.Ordinal)
            .Select(n => (Name: n, Op: OnnxTestData.Cases[n], Result: RunThroughImporter(n))).ToList();
        foreach (var group in results.GroupBy(r => r.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
            log.WriteLine($"{group.Key}: {group.Count(r => r.Result.Imported)} of {group.Count()} import");
        foreach (var r in results.Where(r => !r.Result.Imported)) log.WriteLine($"  {r.Name}: {r.Result.Message}");
        // Every operator the importer maps has at least one vector that imports and matches.
        foreach (var op in results.Select(r => r.Op).Distinct().Where(OnnxLayers.Operators.Contains))
            Assert.True(results.Any(r => r.Op == op && r.Result.Imported), $"no vector of {op} imports");
    }
}
