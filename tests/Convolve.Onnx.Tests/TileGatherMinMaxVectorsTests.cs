using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;
using Xunit.Abstractions;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx.Tests;

/// <summary>
/// The conformance vectors of Tile, Gather, Min and Max that the plain harness of
/// <see cref="OnnxConformanceImportTests"/> cannot run as they stand, run in a form that keeps their data:
/// Min's and Max's inputs as computed values (the harness makes all but the first constants, and
/// their one axis is the batch), and Tile's with the batch's repeat set to 1. The vectors that tile
/// or gather along the batch are refused, naming the node and why.
/// </summary>
public sealed class TileGatherMinMaxVectorsTests(ITestOutputHelper log)
{
    /// <summary>The Min and Max vectors of FLOAT and DOUBLE inputs (the integer and FLOAT16 ones are listed as unsupported).</summary>
    public static TheoryData<string> MinMaxCases()
    {
        var data = new TheoryData<string>();
        foreach (var (name, op) in OnnxTestData.ImportCases)
            if (op is "Min" or "Max" && !OnnxConformanceImportTests.Unsupported.ContainsKey(name)) data.Add(name);
        if (data.Count == 0) data.Add("(libonnx-testdata not installed)");
        return data;
    }

    /// <summary>
    /// The vector's k inputs stacked into one model input [1, k, ...] (a batch of one), each taken
    /// back out by Slice and Squeeze, so that the Min or Max node reads k computed values: the
    /// float32 vectors must match, the float64 ones be refused for their element type.
    /// </summary>
    [DataTheory(TestData.OnnxVectors)]
    [MemberData(nameof(MinMaxCases))]
    public void MinMaxVector_OfComputedValues_MatchesOrIsRefusedForItsType(string name)
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var test = OnnxTestData.Load(name);
        var node = test.Node;
        foreach (var set in test.DataSets)
        {
            var inputs = node.Input.Select(i => set.Inputs[i]).ToArray();
            var elementType = (DataType)inputs[0].DataType;
            int[] dims = OnnxTensor.GetDimensions(inputs[0]);
            Assert.All(inputs, t => Assert.Equal(dims, OnnxTensor.GetDimensions(t)));

            var graph = new GraphProto { Name = name };
            var shape = new TensorShapeProto();
            foreach (long d in (long[])[1, inputs.Length, .. dims.Select(d => (long)d)]) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            graph.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new() { ElemType = (int)elementType, Shape = shape } } });
            graph.Initializer.Add(Int64s("axis1", 1));
            var parts = new List<string>();
            for (int i = 0; i < inputs.Length; i++)
            {
                graph.Initializer.Add(Int64s($"start{i}", i));
                graph.Initializer.Add(Int64s($"end{i}", i + 1));
                graph.Node.Add(Node("Slice", $"slice{i}", ["x", $"start{i}", $"end{i}", "axis1"]));
                graph.Node.Add(Node("Squeeze", $"input{i}", [$"slice{i}", "axis1"]));
                parts.Add($"input{i}");
            }
            graph.Node.Add(Node(node.OpType, "result", [.. parts]));
            graph.Output.Add(new ValueInfoProto { Name = "result", Type = new TypeProto { TensorType = new() { ElemType = (int)elementType } } });
            var model = new ModelProto { IrVersion = 7, Graph = graph };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = test.Model.GetOpsetVersion() });

            var stacked = new Tensor(new Shape([1, inputs.Length, .. dims]));
            for (int i = 0; i < inputs.Length; i++)
                OnnxTensor.ToTensor(inputs[i], name).Span.CopyTo(stacked.Span.Slice(i * stacked.Length / inputs.Length));
            if (elementType != DataType.Float)
            {
                var refusal = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(model.ToByteArray(), name)));
                Assert.Contains("Convolve models take FLOAT", refusal.Message);
                log.WriteLine($"{name}: refused: {refusal.Message}");
                return;
            }
            var imported = OnnxImporter.Import(OnnxModel.Parse(model.ToByteArray(), name));
            var output = imported.Forward(stacked).Clone();
            var expected = set.Outputs[0].Tensor.Clone();
            expected.Dims.Insert(0, 1);
            OnnxConformanceTests.AssertMatches(set.Outputs[0].Path, expected, output, $"{name}/{set.Name} with computed inputs");
            log.WriteLine($"{name}/{set.Name}: {inputs.Length} computed {(inputs.Length == 1 ? "input" : "inputs")} imported as " +
                $"[{string.Join(", ", imported.Layers.Select(l => l.TypeName))}], output matches");
        }
    }

    /// <summary>
    /// Both Tile vectors repeat the batch, which is refused naming the node; with its repeat set to 1
    /// each gives the expected output's first items.
    /// </summary>
    [DataTheory(TestData.OnnxVectors)]
    [InlineData("test_tile")]
    [InlineData("test_tile_precomputed")]
    public void TileVector_RepeatingTheBatch_IsRefused_AndWithoutThatRepeatMatches(string name)
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var test = OnnxTestData.Load(name);
        var set = test.DataSets[0];
        var repeats = OnnxTensor.ToInt64Array(set.Inputs[test.Node.Input[1]]);
        Assert.NotEqual(1, repeats[0]);
        var input = OnnxTensor.ToTensor(set.Inputs[test.Node.Input[0]], name);

        var refusal = Assert.Throws<OnnxImportException>(() => Import(test, repeats));
        Assert.Equal($"{name}: Tile node: repeats [{string.Join(", ", repeats)}] repeat the batch axis 0 {repeats[0]} times; " +
            "the batch is free in Convolve, so only the axes after it tile.", refusal.Message);

        var model = Import(test, [1, .. repeats[1..]]);
        var output = model.Forward(input);
        // Output item b of the vector copies input item b mod N: its first N items are the tiling of each item.
        var expected = OnnxTensor.ToTensor(set.Outputs[0].Tensor, name);
        Assert.Equal(output.Shape.ItemShape, expected.Shape.ItemShape);
        Assert.Equal(expected.Span[..output.Length].ToArray(), output.ToArray());
        log.WriteLine($"{name}: refused as written ({refusal.Message}); with repeats [1, {string.Join(", ", repeats[1..])}] " +
            $"output {output.Shape} matches the expected output's first {input.Shape[0]} items");
    }

    /// <summary>The Gather vectors along axis 0 (the batch) are refused, naming the node and the axis.</summary>
    [DataTheory(TestData.OnnxVectors)]
    [InlineData("test_gather_0")]
    [InlineData("test_gather_negative_indices")]
    public void GatherVector_AlongTheBatch_IsRefused(string name)
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var test = OnnxTestData.Load(name);
        var refusal = Assert.Throws<OnnxImportException>(() => Import(test, null));
        Assert.Equal($"{name}: Gather node: axis 0 gathers along the batch; the batch is free in Convolve, so Gather takes the axes after it.",
            refusal.Message);
    }

    // The vector's model with its first input as the model input and the second as an initializer (with other values when given).
    private static Models.Model Import(OnnxTestCase test, long[]? values)
    {
        var set = test.DataSets[0];
        var proto = test.Model.Proto.Clone();
        string constant = test.Node.Input[1];
        var initializer = set.Inputs[constant].Clone();
        initializer.Name = constant;
        if (values is not null)
        {
            initializer.Int64Data.Clear();
            initializer.RawData = ByteString.Empty;
            initializer.Int64Data.Add(values);
        }
        proto.Graph.Initializer.Add(initializer);
        var input = OnnxTensor.ToTensor(set.Inputs[test.Node.Input[0]], test.Name);
        return OnnxImporter.Import(OnnxModel.Parse(proto.ToByteArray(), test.Name), input.Shape.ItemShape);
    }

    private static TensorProto Int64s(string name, long value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        tensor.Dims.Add(1);
        tensor.Int64Data.Add(value);
        return tensor;
    }

    private static NodeProto Node(string opType, string output, string[] inputs)
    {
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }
}
