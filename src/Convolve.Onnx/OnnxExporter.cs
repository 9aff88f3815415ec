using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx.Protos;
using Convolve.Serialization;
using Convolve.Tensors;
using Google.Protobuf;
using AttributeType = Convolve.Onnx.Protos.AttributeProto.Types.AttributeType;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx;

/// <summary>
/// Writes a built Convolve model, <see cref="Sequential"/> or <see cref="Graph"/>, as an ONNX
/// model (operator set 13, IR version 7): one input
/// named "input" of [N, ...item shape] and one output named "output", N a symbolic batch
/// dimension, each parameter an initializer named by its model-file key ("conv2d_1.weight").
/// Layers export in inference form (BatchNorm2D with its running statistics, Dropout as an
/// inference-mode Dropout node, which passes its input through).
/// </summary>
public static class OnnxExporter
{
    /// <summary>The standard operator-set version the exported nodes are written for.</summary>
    public const int Opset = 13;

    /// <summary>The IR version that goes with <see cref="Opset"/> (ONNX 1.8: IR 7, opset 13).</summary>
    public const int IrVersion = 7;

    /// <summary>The name of the exported graph's input.</summary>
    public const string InputName = "input";

    /// <summary>The name of the exported graph's output.</summary>
    public const string OutputName = "output";

    /// <summary>The symbolic name of the batch dimension.</summary>
    public const string BatchDimension = "N";

    /// <summary>
    /// The ONNX model of <paramref name="model"/>. Throws <see cref="NotSupportedException"/> naming
    /// the layer when a layer has no ONNX form.
    /// </summary>
    internal static ModelProto Export(Model model, string graphName = "convolve")
    {
        if (!model.IsBuilt) throw new InvalidOperationException("OnnxExporter: the model is not built; build it (or load it) first.");
        var graph = new OnnxGraphBuilder(graphName);
        var shape = model.InputShape.Prepend(1);
        graph.AddInput(InputName, shape);
        switch (model)
        {
            case Sequential:
                {
                    string current = InputName;
                    var layers = model.Layers;
                    for (int i = 0; i < layers.Count; i++)
                    {
                        current = graph.AddLayer(layers[i], current, shape, i == layers.Count - 1 ? OutputName : layers[i].Name);
                        shape = layers[i].GetOutputShape(shape);
                    }
                    break;
                }
            case Graph dag:
                {
                    // Nodes were added in a topological order, which ONNX asks of a file's nodes;
                    // each value is named after the layer computing it.
                    var names = new string[dag.Nodes.Count];
                    var shapes = new Shape[dag.Nodes.Count];
                    names[0] = InputName;
                    shapes[0] = shape;
                    foreach (var node in dag.Nodes.Skip(1))
                    {
                        string name = node == dag.Output ? OutputName : node.Name;
                        if (node.Layer is MergeLayer merge)
                        {
                            names[node.Index] = graph.AddMerge(merge, [.. node.Inputs.Select(n => names[n.Index])], name);
                            shapes[node.Index] = merge.GetOutputShape([.. node.Inputs.Select(n => shapes[n.Index])]);
                        }
                        else
                        {
                            var from = node.Inputs[0].Index;
                            names[node.Index] = graph.AddLayer(node.Layer!, names[from], shapes[from], name);
                            shapes[node.Index] = node.Layer!.GetOutputShape(shapes[from]);
                        }
                    }
                    shape = shapes[dag.Output.Index];
                    break;
                }
            default:
                throw new NotSupportedException($"OnnxExporter: {model.GetType().Name} models cannot be exported; Sequential and Graph models can.");
        }
        graph.AddOutput(OutputName, shape);
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Convolve",
            ProducerVersion = typeof(Model).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph.Graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return proto;
    }

    /// <summary>The serialized ONNX model of <paramref name="model"/>.</summary>
    public static byte[] ToBytes(Model model) => Export(model).ToByteArray();

    /// <summary>Writes the ONNX model of <paramref name="model"/> to <paramref name="path"/> atomically (all or nothing).</summary>
    public static void Save(Model model, string path) => AtomicFile.Write(path, ToBytes(model));
}

/// <summary>
/// Builds an ONNX graph layer by layer: nodes, initializers, inputs and outputs. A sequential
/// model chains <see cref="AddLayer"/> calls; a graph model adds its layers in a topological
/// order, naming each input, and its merges (Add, Concat) with <see cref="AddMerge"/>. Each
/// layer's nodes come from its export rule in <see cref="OnnxLayers"/>.
/// </summary>
internal sealed class OnnxGraphBuilder(string name)
{
    /// <summary>The graph built so far.</summary>
    public GraphProto Graph { get; } = new() { Name = name };

    /// <summary>Declares a graph input of <paramref name="shape"/> with a symbolic batch dimension.</summary>
    public void AddInput(string valueName, Shape shape) => Graph.Input.Add(ValueInfo(valueName, shape));

    /// <summary>Declares a graph output of <paramref name="shape"/> with a symbolic batch dimension.</summary>
    public void AddOutput(string valueName, Shape shape) => Graph.Output.Add(ValueInfo(valueName, shape));

    /// <summary>
    /// Adds the nodes computing <paramref name="layer"/> on <paramref name="input"/> (of
    /// <paramref name="inputShape"/>, batch first) and returns the name of their output, which is
    /// <paramref name="output"/>. Throws <see cref="NotSupportedException"/> naming the layer when
    /// it has no ONNX form.
    /// </summary>
    public string AddLayer(Layer layer, string input, Shape inputShape, string output)
    {
        var rule = OnnxLayers.ExportRule(layer)
            ?? throw new NotSupportedException($"OnnxExporter: layer '{layer.Name}' ({layer}) has no ONNX export; exportable layers are " +
                $"{OnnxLayers.List(OnnxLayers.ExportedLayers)}.");
        return rule(this, layer, input, inputShape, output);
    }

    /// <summary>
    /// Adds the node computing the merge <paramref name="layer"/> of the values
    /// <paramref name="inputs"/> (Add for two inputs, Sum for more; Concat along its axis; ...).
    /// </summary>
    public string AddMerge(MergeLayer layer, IReadOnlyList<string> inputs, string output)
    {
        var rule = OnnxLayers.MergeExportRule(layer)
            ?? throw new NotSupportedException($"OnnxExporter: merge layer '{layer.Name}' ({layer}) has no ONNX export; exportable merges are " +
                $"{OnnxLayers.List(OnnxLayers.ExportedMerges)}.");
        return rule(this, layer, inputs, output);
    }

    /// <summary>Adds a node of the standard operator set and returns its (single) output's name.</summary>
    public string AddNode(string opType, string nodeName, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a FLOAT initializer holding <paramref name="value"/>'s values and returns its name.</summary>
    public string Initializer(string valueName, Tensor value, bool scalar = false)
    {
        var tensor = OnnxTensor.FromTensor(value, valueName);
        if (scalar) tensor.Dims.Clear();
        Graph.Initializer.Add(tensor);
        return valueName;
    }

    /// <summary>Adds a 1-D INT64 initializer (shapes, pads, axes) and returns its name.</summary>
    public string Int64Initializer(string valueName, long[] values)
    {
        var tensor = new TensorProto { Name = valueName, DataType = (int)DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        Graph.Initializer.Add(tensor);
        return valueName;
    }

    private static ValueInfoProto ValueInfo(string valueName, Shape shape)
    {
        var tensorShape = new TensorShapeProto();
        tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = OnnxExporter.BatchDimension });
        for (int d = 1; d < shape.Rank; d++) tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = shape[d] });
        return new ValueInfoProto
        {
            Name = valueName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = tensorShape } },
        };
    }

    /// <summary>An INT attribute.</summary>
    public static AttributeProto Int(string attribute, long value) => new() { Name = attribute, Type = AttributeType.Int, I = value };

    /// <summary>A STRING attribute (UTF-8).</summary>
    public static AttributeProto String(string attribute, string value) =>
        new() { Name = attribute, Type = AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A FLOAT attribute.</summary>
    public static AttributeProto Float(string attribute, float value) => new() { Name = attribute, Type = AttributeType.Float, F = value };

    /// <summary>An INTS attribute.</summary>
    public static AttributeProto Ints(string attribute, params long[] values)
    {
        var a = new AttributeProto { Name = attribute, Type = AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }
}
