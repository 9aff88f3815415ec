using Google.Protobuf;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx.Protos;
using Convolve.Serialization;
using Convolve.Tensors;
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
    public static ModelProto Export(Model model, string graphName = "convolve")
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
/// order, naming each input, and its merges (Add, Concat) with <see cref="AddMerge"/>.
/// </summary>
public sealed class OnnxGraphBuilder(string name)
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
        string n = layer.Name;
        switch (layer)
        {
            case Conv2D conv:
            {
                var g = conv.GetGeometry(inputShape);
                var inputs = new List<string> { input, Initializer($"{n}.weight", conv.Weight.Value) };
                if (conv.Bias is { } bias) inputs.Add(Initializer($"{n}.bias", bias.Value));
                AddNode("Conv", n, inputs, output,
                    Ints("kernel_shape", g.KernelH, g.KernelW), Ints("strides", g.StrideH, g.StrideW),
                    Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight),
                    Ints("dilations", g.DilationH, g.DilationW), Int("group", g.Groups));
                break;
            }
            case MaxPool2D pool:
            {
                var g = pool.GetGeometry(inputShape);
                AddNode("MaxPool", n, [input], output,
                    Ints("kernel_shape", g.KernelH, g.KernelW), Ints("strides", g.StrideH, g.StrideW),
                    Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight),
                    Ints("dilations", g.DilationH, g.DilationW), Int("ceil_mode", g.CeilMode ? 1 : 0));
                break;
            }
            case AvgPool2D pool:
            {
                var g = pool.GetGeometry(inputShape);
                AddNode("AveragePool", n, [input], output,
                    Ints("kernel_shape", g.KernelH, g.KernelW), Ints("strides", g.StrideH, g.StrideW),
                    Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight),
                    Int("ceil_mode", g.CeilMode ? 1 : 0), Int("count_include_pad", pool.CountIncludePad ? 1 : 0));
                break;
            }
            case GlobalAvgPool2D pool when pool.KeepDims:
                AddNode("GlobalAveragePool", n, [input], output);
                break;
            case GlobalAvgPool2D:
                // ONNX's GlobalAveragePool keeps [N, C, 1, 1]; flatten to Convolve's [N, C].
                AddNode("Flatten", $"{n}/flatten", [AddNode("GlobalAveragePool", n, [input], $"{n}/pooled")], output, Int("axis", 1));
                break;
            case ReLU:
                AddNode("Relu", n, [input], output);
                break;
            case LeakyReLU leaky:
                AddNode("LeakyRelu", n, [input], output, Float("alpha", leaky.Alpha));
                break;
            case Sigmoid:
                AddNode("Sigmoid", n, [input], output);
                break;
            case Tanh:
                AddNode("Tanh", n, [input], output);
                break;
            case Softmax softmax:
                // Opset 13's Softmax normalises along one axis, as Convolve's does.
                AddNode("Softmax", n, [input], output, Int("axis", softmax.Axis));
                break;
            case Flatten flatten:
                AddNode("Flatten", n, [input], output, Int("axis", flatten.Axis));
                break;
            case Dense dense:
            {
                // Gemm: Y = X W^T + b with W stored as Convolve keeps it, [out, in] (transB = 1).
                var inputs = new List<string> { input, Initializer($"{n}.weight", dense.Weight.Value) };
                if (dense.Bias is { } bias) inputs.Add(Initializer($"{n}.bias", bias.Value));
                AddNode("Gemm", n, inputs, output, Int("transB", 1));
                break;
            }
            case Dropout dropout:
                // Without a training_mode input, Dropout is the identity; the ratio stays in the
                // file so that an importer can restore the layer for fine-tuning.
                AddNode("Dropout", n, [input, Initializer($"{n}.ratio", Tensor.FromArray([dropout.Rate]), scalar: true)], output);
                break;
            case BatchNorm2D bn:
                AddNode("BatchNormalization", n,
                    [input, Initializer($"{n}.weight", bn.Weight.Value), Initializer($"{n}.bias", bn.Bias.Value),
                     Initializer($"{n}.running_mean", bn.RunningMean.Value), Initializer($"{n}.running_var", bn.RunningVar.Value)],
                    output,
                    // ONNX's momentum weighs the running value, Convolve's the batch value.
                    Float("epsilon", bn.Config.Epsilon), Float("momentum", 1 - bn.Config.Momentum));
                break;
            case Clip clip:
            {
                // Opset 11 on: the bounds are optional scalar inputs; an infinite one is left out.
                var inputs = new List<string> { input };
                inputs.Add(float.IsNegativeInfinity(clip.Min) ? "" : Initializer($"{n}.min", Tensor.FromArray([clip.Min]), scalar: true));
                if (!float.IsPositiveInfinity(clip.Max)) inputs.Add(Initializer($"{n}.max", Tensor.FromArray([clip.Max]), scalar: true));
                while (inputs[^1] == "") inputs.RemoveAt(inputs.Count - 1);
                AddNode("Clip", n, inputs, output);
                break;
            }
            case HardSigmoid hard:
                AddNode("HardSigmoid", n, [input], output, Float("alpha", hard.Alpha), Float("beta", hard.Beta));
                break;
            case HardSwish:
                // HardSwish is opset 14; in opset 13 it is x * HardSigmoid(x) with alpha 1/6 and
                // beta 1/2, which the importer reads back as one HardSwish.
                AddNode("Mul", n, [input, AddNode("HardSigmoid", $"{n}/hardsigmoid", [input], $"{n}/hardsigmoid", Float("alpha", 1f / 6), Float("beta", 0.5f))], output);
                break;
            case ElementwiseConstant elementwise:
            {
                string constant = Initializer($"{n}.constant", elementwise.Constant.Value);
                AddNode(BinaryOperator(elementwise.Operation), n, elementwise.ConstantOnLeft ? [constant, input] : [input, constant], output);
                break;
            }
            case Reshape reshape:
                // The batch is copied (0); the item entries keep their meaning (0 copies, -1 infers).
                AddNode("Reshape", n, [input, Int64Initializer($"{n}.shape", [0, .. reshape.TargetShape.Select(d => (long)d)])], output);
                break;
            case Transpose transpose:
                AddNode("Transpose", n, [input], output, Ints("perm", [.. transpose.Permutation.Select(a => (long)a)]));
                break;
            case Slice slice:
                AddNode("Slice", n,
                    [input, Int64Initializer($"{n}.starts", [slice.Start]), Int64Initializer($"{n}.ends", [slice.End]), Int64Initializer($"{n}.axes", [slice.Axis])],
                    output);
                break;
            case Pad pad:
            {
                // ONNX pads every axis, the batch by nothing: [0, begins..., 0, ends...].
                int r = pad.Pads.Count / 2;
                long[] pads = [0, .. pad.Pads.Take(r).Select(p => (long)p), 0, .. pad.Pads.Skip(r).Select(p => (long)p)];
                var inputs = new List<string> { input, Int64Initializer($"{n}.pads", pads) };
                if (pad.Mode == PadMode.Constant && pad.Value != 0) inputs.Add(Initializer($"{n}.value", Tensor.FromArray([pad.Value]), scalar: true));
                AddNode("Pad", n, inputs, output, String("mode", pad.Mode.ToString().ToLowerInvariant()));
                break;
            }
            default:
                throw new NotSupportedException($"OnnxExporter: layer '{n}' ({layer}) has no ONNX export; exportable layers are " +
                    "Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, ReLU, LeakyReLU, Sigmoid, Tanh, Clip, HardSigmoid, HardSwish, Softmax, " +
                    "Flatten, Reshape, Transpose, Slice, Pad, Dense, Dropout, BatchNorm2D and ElementwiseConstant.");
        }
        return output;
    }

    /// <summary>
    /// Adds the node computing the merge <paramref name="layer"/> of the values
    /// <paramref name="inputs"/>: Add for two inputs (Sum for more), Concat along axis 1.
    /// </summary>
    public string AddMerge(MergeLayer layer, IReadOnlyList<string> inputs, string output) => layer switch
    {
        Add when inputs.Count == 2 => AddNode("Add", layer.Name, inputs, output),
        Add => AddNode("Sum", layer.Name, inputs, output),
        BinaryMerge binary => AddNode(BinaryOperator(binary.Operation), layer.Name, inputs, output),
        Concat concat => AddNode("Concat", layer.Name, inputs, output, Int("axis", concat.Axis)),
        _ => throw new NotSupportedException($"OnnxExporter: merge layer '{layer.Name}' ({layer}) has no ONNX export; exportable merges are Add, Subtract, Multiply, Divide and Concat."),
    };

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

    private static string BinaryOperator(BinaryOperation operation) => operation switch
    {
        BinaryOperation.Add => "Add",
        BinaryOperation.Subtract => "Sub",
        BinaryOperation.Multiply => "Mul",
        _ => "Div",
    };

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

    private static AttributeProto Int(string attribute, long value) => new() { Name = attribute, Type = AttributeType.Int, I = value };

    private static AttributeProto String(string attribute, string value) =>
        new() { Name = attribute, Type = AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static AttributeProto Float(string attribute, float value) => new() { Name = attribute, Type = AttributeType.Float, F = value };

    private static AttributeProto Ints(string attribute, params long[] values)
    {
        var a = new AttributeProto { Name = attribute, Type = AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }
}
