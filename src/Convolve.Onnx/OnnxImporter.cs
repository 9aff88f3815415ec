using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx;

/// <summary>
/// Turns an ONNX model into a built Convolve model holding its weights, ready for inference or
/// fine-tuning: a <see cref="Sequential"/> when the graph is a chain, else a <see cref="Graph"/>.
/// The graph has one input and one output; each node takes one computed value plus constants
/// (initializers or Constant nodes), except the merges: Add (or Sum) of computed values of one
/// shape becomes an <see cref="Add"/> layer, Concat of computed values along the channels a
/// <see cref="Concat"/>. Nodes may be listed in any order that has no cycle; a value may be read
/// by several nodes; nodes the output does not depend on are dropped.
/// <para>
/// Some nodes fold into one layer: MatMul whose only reader is an Add of a constant becomes one
/// Dense layer; a zero Pad read only by a Conv or AveragePool becomes that layer's padding;
/// GlobalAveragePool read only by a Flatten becomes one GlobalAvgPool2D; Identity becomes nothing.
/// </para>
/// <para>
/// The whole graph is checked and mapped before anything runs: an operator, attribute value or
/// graph shape Convolve cannot express throws <see cref="OnnxImportException"/> naming the node
/// and why; a file that is not a readable model (including an input nothing computes, or a
/// cycle) throws <see cref="OnnxFormatException"/>.
/// </para>
/// </summary>
public static class OnnxImporter
{
    /// <summary>
    /// The newest version of the standard operator set whose definitions of the operators mapped
    /// here were checked (Split's num_outputs and Pad's axes input are opset 18). A newer model
    /// imports, with a warning, since an operator may have changed meaning since.
    /// </summary>
    public const long NewestCheckedOpset = 18;

    /// <summary>Reads and imports the model file at <paramref name="path"/>; see <see cref="Import"/>.</summary>
    public static Model Load(string path, Shape? itemShape = null, Action<string>? onWarning = null) =>
        Import(OnnxModel.Load(path), itemShape, onWarning);

    /// <summary>
    /// What about <paramref name="model"/> may make the import differ from what its author meant
    /// without stopping it, one sentence each: an operator set newer than <see cref="NewestCheckedOpset"/>.
    /// </summary>
    public static IReadOnlyList<string> Warnings(OnnxModel model)
    {
        var warnings = new List<string>();
        long opset = model.GetOpsetVersion();
        if (opset > NewestCheckedOpset)
            warnings.Add($"{model.Source}: opset {opset} is newer than the newest checked, {NewestCheckedOpset}; " +
                "operators may have changed meaning, so compare the imported model's outputs with the original's.");
        return warnings;
    }

    /// <summary>
    /// The Convolve model of <paramref name="model"/>, built for input items of
    /// <paramref name="itemShape"/> (e.g. [C, H, W]); when null, the graph input's dimensions after
    /// the batch, which must then be fixed numbers. A chain of layers gives a <see cref="Sequential"/>,
    /// anything else a <see cref="Graph"/>.
    /// </summary>
    /// <param name="onWarning">Receives each of <see cref="Warnings"/> before the import starts.</param>
    /// <param name="model">The parsed ONNX model.</param>
    /// <param name="itemShape">The shape of one input item, without the batch; null to read it from the graph.</param>
    /// <exception cref="OnnxImportException">The graph uses an operator, attribute or shape Convolve cannot import; the message names the node.</exception>
    /// <exception cref="OnnxFormatException">The graph is malformed (a value nothing computes, a cycle).</exception>
    public static Model Import(OnnxModel model, Shape? itemShape = null, Action<string>? onWarning = null)
    {
        string source = model.Source;
        long opset = model.GetOpsetVersion();
        if (onWarning is not null)
            foreach (var warning in Warnings(model)) onWarning(warning);
        var graph = model.Graph;
        var input = SingleInput(model);
        var item = ResolveItemShape(model, input, itemShape);
        if (graph.Output.Count != 1)
            throw new OnnxImportException($"{source}: the graph has {graph.Output.Count} outputs ({Names(graph.Output)}); " +
                "Convolve imports models with one output.");
        string output = graph.Output[0].Name;

        // Constants first: a Constant node's value does not depend on the input, wherever it stands.
        var constants = new Dictionary<string, TensorProto>(model.Initializers, StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => n.OpType == "Constant"))
            constants[node.Output[0]] = ConstantValue(node, source);
        if (constants.ContainsKey(output))
            throw new OnnxImportException($"{source}: the graph output '{output}' is a constant; a model's output must depend on its input.");
        if (output != input.Name && !graph.Node.Any(n => n.Output.Contains(output)))
            throw new OnnxFormatException($"{source}: the graph output '{output}' is neither the graph input nor any node's output.");
        var nodes = OnnxGraphOrder.Sort([.. graph.Node.Where(n => n.OpType != "Constant")], input.Name, constants, output, source);

        long? fixedBatch = InputDims(input) is [{ } batch, ..] ? batch : null;
        var plan = new ImportPlan(source, opset, constants, input.Name, item.Prepend(1), nodes, output, fixedBatch);
        foreach (var node in nodes) plan.Map(node);
        if (!plan.Computes(output))
            throw new OnnxImportException($"{source}: the graph output '{output}' is computed from constants alone; " +
                "a model's output must depend on its input.");
        return plan.Finish(item);
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
            throw new OnnxImportException($"{source}: input '{input.Name}' has element type {OnnxTensor.DataTypeName(elementType)}; " +
                "Convolve models take FLOAT (1).");
        var dims = InputDims(input);
        string declared = dims is null ? "no declared shape" : $"declared shape [{string.Join(", ", dims.Select(d => d?.ToString() ?? "?"))}]";
        if (given is { } shape)
        {
            if (dims is not null && (dims.Length != shape.Rank + 1 || dims.Skip(1).Zip(shape.Dims.ToArray()).Any(p => p.First is { } d && d != p.Second)))
                throw new OnnxImportException($"{source}: input '{input.Name}' has {declared}, which does not fit items of {shape}.");
            return shape;
        }
        return DeclaredItemShape(model)
            ?? throw new OnnxImportException($"{source}: input '{input.Name}' has {declared}; " +
                "the dimensions after the batch must be fixed numbers, or the item shape given (e.g. --input-shape C,H,W).");
    }

    // The constant an Add adds to a MatMul's output (in either order), or null.
    internal static TensorProto? BiasAfter(NodeProto next, string matMulOutput, IReadOnlyDictionary<string, TensorProto> constants)
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
                throw new OnnxImportException($"{source}: {node.Describe()}: a Constant's {a.Name} ({a.Type.ToString().ToUpperInvariant()}) " +
                    "has no Convolve value; Convolve reads value, value_float(s) and value_int(s).");
        }
    }

    internal static string Names(IEnumerable<ValueInfoProto> values) => string.Join(", ", values.Select(v => $"'{v.Name}'"));
}
