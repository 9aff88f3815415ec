using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;
using AttributeType = Convolve.Onnx.Protos.AttributeProto.Types.AttributeType;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx.Tests;

/// <summary>
/// Writes small ONNX graphs by hand for the importer tests: one input "x" with a symbolic batch,
/// nodes whose output is named after the node, weights drawn at random as initializers or
/// Constant nodes.
/// </summary>
internal sealed class TestGraph
{
    private readonly OnnxGraphBuilder builder = new("test");
    private readonly Random random = new(5);
    private readonly long opset;

    public TestGraph(long opset, params int[] itemShape)
    {
        this.opset = opset;
        builder.AddInput("x", new Shape([1, .. itemShape]));
    }

    public GraphProto Graph => builder.Graph;

    /// <summary>Adds a node and returns its output, named <paramref name="name"/>.</summary>
    public string Node(string opType, string name, string[] inputs, params AttributeProto[] attributes) =>
        builder.AddNode(opType, name, inputs, name, attributes);

    /// <summary>A random initializer of <paramref name="dims"/>, values in [-1, 1) (or [0.5, 1.5) when <paramref name="positive"/>).</summary>
    public string Weight(string name, int[] dims, bool positive = false) => builder.Initializer(name, Random(dims, positive));

    /// <summary>A random constant of <paramref name="dims"/> given by a Constant node (value attribute).</summary>
    public string ConstantNode(string name, int[] dims) => ConstantNode(name, Random(dims, false));

    /// <summary>A Constant node holding <paramref name="value"/> (a scalar when it has one value).</summary>
    public string ConstantNode(string name, Tensor value)
    {
        var tensor = OnnxTensor.FromTensor(value, name);
        if (value.Length == 1) tensor.Dims.Clear();
        return Node("Constant", name, [], new AttributeProto { Name = "value", Type = AttributeType.Tensor, T = tensor });
    }

    /// <summary>An INT64 initializer (shapes).</summary>
    public string Int64s(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        Graph.Initializer.Add(tensor);
        return name;
    }

    private Tensor Random(int[] dims, bool positive)
    {
        var t = new Tensor(new Shape(dims));
        foreach (ref float v in t.Span) v = (float)(positive ? 0.5 + random.NextDouble() : 2 * random.NextDouble() - 1);
        return t;
    }

    /// <summary>The model with <paramref name="output"/> as its graph output (type only, no shape).</summary>
    public byte[] Finish(string output)
    {
        Graph.Output.Add(new ValueInfoProto
        {
            Name = output,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
        });
        var model = new ModelProto { IrVersion = opset >= 13 ? 7 : 4, Graph = Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model.ToByteArray();
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }
}
