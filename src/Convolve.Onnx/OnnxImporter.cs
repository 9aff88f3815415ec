using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx;

/// <summary>
/// Turns an ONNX model whose graph is a chain into a built <see cref="Sequential"/> holding its
/// weights, ready for inference or fine-tuning. A chain: one graph input, one graph output, and
/// each node taking the previous node's output plus constants (initializers or Constant nodes).
/// MatMul followed by Add of a constant becomes one Dense layer; a zero Pad before a Conv or
/// AveragePool becomes that layer's padding; GlobalAveragePool then Flatten becomes one
/// GlobalAvgPool2D; Identity becomes nothing.
/// <para>
/// The whole graph is checked and mapped before anything runs: an operator, attribute value or
/// graph shape Convolve cannot express throws <see cref="OnnxImportException"/> naming the node
/// and why; a file that is not a readable model throws <see cref="OnnxFormatException"/>.
/// </para>
/// </summary>
public static class OnnxImporter
{
    /// <summary>Reads and imports the model file at <paramref name="path"/>; see <see cref="Import"/>.</summary>
    public static Sequential Load(string path, Shape? itemShape = null) => Import(OnnxModel.Load(path), itemShape);

    /// <summary>
    /// The Convolve model of <paramref name="model"/>, built for input items of
    /// <paramref name="itemShape"/> (e.g. [C, H, W]); when null, the graph input's dimensions after
    /// the batch, which must then be fixed numbers.
    /// </summary>
    public static Sequential Import(OnnxModel model, Shape? itemShape = null)
    {
        string source = model.Source;
        long opset = model.GetOpsetVersion();
        var graph = model.Graph;
        var input = SingleInput(model);
        var item = ResolveItemShape(model, input, itemShape);
        if (graph.Output.Count != 1)
            throw new OnnxImportException($"{source}: the graph has {graph.Output.Count} outputs ({Names(graph.Output)}); Convolve imports models with one output.");

        // Constants first: a Constant node's value does not depend on the input, wherever it stands.
        var constants = new Dictionary<string, TensorProto>(model.Initializers, StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => n.OpType == "Constant"))
            constants[node.Output[0]] = ConstantValue(node, source);
        var nodes = graph.Node.Where(n => n.OpType != "Constant").ToList();

        var layers = new List<Layer>();
        string current = input.Name;
        var shape = item.Prepend(1);
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = new OnnxNode(nodes[i], source, opset, constants, symbolicBatch: true);
            RequireChainLink(node, current, constants);
            Layer? layer;
            if (node.OpType == "MatMul" && i + 1 < nodes.Count && BiasAfter(nodes[i + 1], node.Proto.Output[0], constants) is { } bias)
            {
                layer = OnnxLayers.MatMul(node, shape, OnnxTensor.ToTensor(bias, $"{source}: {nodes[i + 1].Describe()}"));
                node = new OnnxNode(nodes[++i], source, opset, constants, symbolicBatch: true);
            }
            else if (node.OpType == "Pad" && i + 1 < nodes.Count && nodes[i + 1].OpType is "Conv" or "AveragePool")
            {
                var padded = OnnxLayers.ZeroPadding(node, shape);
                var next = new OnnxNode(nodes[++i], source, opset, constants, symbolicBatch: true);
                RequireChainLink(next, node.Proto.Output[0], constants);
                layer = next.OpType == "Conv" ? OnnxLayers.Conv(next, shape, padded) : OnnxLayers.AveragePool(next, shape, padded);
                node = next;
            }
            else if (node.OpType == "Add")
                throw node.Refuse("Add of a constant is imported only as the bias right after a MatMul (together a Dense layer); Convolve has no element-wise Add layer");
            else layer = OnnxLayers.Create(node, shape);

            if (layer is not null)
            {
                try { shape = layer.GetOutputShape(shape); }
                catch (ShapeException e) { throw node.Refuse(e.Message.TrimEnd('.')); }
                layers.Add(layer);
            }
            if (node.Proto.Output.Count == 0 || node.Proto.Output[0].Length == 0)
                throw node.Refuse("the node has no output");
            current = node.Proto.Output[0];
        }

        if (graph.Output[0].Name != current)
            throw new OnnxImportException($"{source}: the graph output '{graph.Output[0].Name}' is not the last node's output ('{current}'); Convolve imports chains (Sequential models).");
        if (layers.Count == 0)
            throw new OnnxImportException($"{source}: the graph computes nothing (no node maps to a layer); a Sequential model needs at least one layer.");
        var sequential = new Sequential(MergeGlobalPoolAndFlatten(layers));
        // BuildShapes keeps the weights the layers hold (Build would draw new ones).
        sequential.BuildShapes(item);
        return sequential;
    }

    // GlobalAveragePool then Flatten (or a Reshape to [N, C]) is Convolve's GlobalAvgPool2D to [N, C].
    private static List<Layer> MergeGlobalPoolAndFlatten(List<Layer> layers)
    {
        var merged = new List<Layer>();
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is GlobalAvgPool2D { KeepDims: true } && i + 1 < layers.Count && layers[i + 1] is Flatten { Axis: 1 })
            {
                merged.Add(new GlobalAvgPool2D(keepDims: false));
                i++;
            }
            else merged.Add(layers[i]);
        }
        return merged;
    }

    /// <summary>
    /// The graph input's dimensions after the batch when they are all fixed numbers, else null
    /// (the caller must then give the item shape).
    /// </summary>
    public static Shape? DeclaredItemShape(OnnxModel model)
    {
        var dims = InputDims(SingleInput(model));
        if (dims is not { Length: >= 2 } || !dims[1..].All(d => d is > 0)) return null;
        return new Shape([.. dims[1..].Select(d => (int)d!.Value)]);
    }

    private static ValueInfoProto SingleInput(OnnxModel model)
    {
        var inputs = model.RuntimeInputs;
        if (inputs.Count != 1)
            throw new OnnxImportException($"{model.Source}: the graph has {inputs.Count} inputs ({Names(inputs)}); Convolve imports models with one input.");
        return inputs[0];
    }

    // The declared dimensions of an input (null for a symbolic or unknown one), or null without a shape.
    private static long?[]? InputDims(ValueInfoProto input)
    {
        if (input.Type?.TensorType?.Shape is not { } shape) return null;
        return [.. shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : (long?)null)];
    }

    private static Shape ResolveItemShape(OnnxModel model, ValueInfoProto input, Shape? given)
    {
        string source = model.Source;
        int elementType = input.Type?.TensorType?.ElemType ?? 0;
        if (elementType != 0 && elementType != (int)DataType.Float)
            throw new OnnxImportException($"{source}: input '{input.Name}' has element type {OnnxTensor.DataTypeName(elementType)}; Convolve models take FLOAT (1).");
        var dims = InputDims(input);
        string declared = dims is null ? "no declared shape" : $"declared shape [{string.Join(", ", dims.Select(d => d?.ToString() ?? "?"))}]";
        if (given is { } shape)
        {
            if (dims is not null && (dims.Length != shape.Rank + 1 || dims.Skip(1).Zip(shape.Dims.ToArray()).Any(p => p.First is { } d && d != p.Second)))
                throw new OnnxImportException($"{source}: input '{input.Name}' has {declared}, which does not fit items of {shape}.");
            return shape;
        }
        return DeclaredItemShape(model)
            ?? throw new OnnxImportException($"{source}: input '{input.Name}' has {declared}; the dimensions after the batch must be fixed numbers, or the item shape given (e.g. --input-shape C,H,W).");
    }

    // Each node must take the previous node's output as its first input, and constants otherwise.
    private static void RequireChainLink(OnnxNode node, string current, Dictionary<string, TensorProto> constants)
    {
        var inputs = node.Proto.Input;
        if (inputs.Count == 0 || inputs[0] != current)
            throw node.Refuse($"input 0 ('{(inputs.Count > 0 ? inputs[0] : "")}') is not the previous node's output ('{current}'); Convolve imports chains (Sequential models)");
        for (int j = 1; j < inputs.Count; j++)
            if (inputs[j].Length > 0 && !constants.ContainsKey(inputs[j]))
                throw node.Refuse($"input {j} ('{inputs[j]}') is computed by the graph, not a constant; Convolve imports chains (Sequential models) where each node takes the previous node's output and constants");
    }

    // The constant an Add right after a MatMul adds to the MatMul's output (in either order), or null.
    private static TensorProto? BiasAfter(NodeProto next, string matMulOutput, Dictionary<string, TensorProto> constants)
    {
        if (next.OpType != "Add" || next.Input.Count != 2) return null;
        string other = next.Input[0] == matMulOutput ? next.Input[1] : next.Input[1] == matMulOutput ? next.Input[0] : "";
        return constants.GetValueOrDefault(other);
    }

    /// <summary>The tensor a Constant node outputs: its value attribute, or value_float(s) / value_int(s).</summary>
    private static TensorProto ConstantValue(NodeProto node, string source)
    {
        if (node.Output.Count != 1)
            throw new OnnxFormatException($"{source}: {node.Describe()} has {node.Output.Count} outputs; a Constant has one.");
        if (node.Attribute.Count != 1)
            throw new OnnxFormatException($"{source}: {node.Describe()} has {node.Attribute.Count} attributes; a Constant has exactly one value.");
        var a = node.Attribute[0];
        var tensor = new TensorProto { Name = node.Output[0] };
        switch (a.Name)
        {
            case "value":
                return node.GetTensor("value")!;
            case "value_float":
                tensor.DataType = (int)DataType.Float;
                tensor.FloatData.Add(node.GetFloat("value_float", 0));
                return tensor;
            case "value_floats":
                tensor.DataType = (int)DataType.Float;
                tensor.Dims.Add(a.Floats.Count);
                tensor.FloatData.Add(node.GetFloats("value_floats")!);
                return tensor;
            case "value_int":
                tensor.DataType = (int)DataType.Int64;
                tensor.Int64Data.Add(node.GetInt("value_int", 0));
                return tensor;
            case "value_ints":
                tensor.DataType = (int)DataType.Int64;
                tensor.Dims.Add(a.Ints.Count);
                tensor.Int64Data.Add(node.GetInts("value_ints")!);
                return tensor;
            default:
                throw new OnnxImportException($"{source}: {node.Describe()}: a Constant's {a.Name} ({a.Type.ToString().ToUpperInvariant()}) has no Convolve value; Convolve reads value, value_float(s) and value_int(s).");
        }
    }

    private static string Names(IEnumerable<ValueInfoProto> values) => string.Join(", ", values.Select(v => $"'{v.Name}'"));
}
