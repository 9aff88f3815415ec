using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx.Protos;
using Convolve.Onnx.Rules;
using Convolve.Tensors;

namespace Convolve.Onnx;

/// <summary>
/// The importer's work list: ONNX nodes, taken in a topological order, become steps (a layer and
/// the values it reads) with every value's shape checked on the way; <see cref="Finish"/> then
/// turns the steps into a <see cref="Sequential"/> when they form a chain, else a <see cref="Graph"/>.
/// Value 0 is the model input; step k computes value k + 1.
/// </summary>
internal sealed class ImportPlan
{
    private sealed class Step(Layer layer, int[] inputs)
    {
        public Layer Layer { get; set; } = layer;
        public int[] Inputs { get; } = inputs;
    }

    private readonly string source;
    private readonly long opset;
    private readonly Dictionary<string, TensorProto> constants;
    private readonly ConstantFolder folder;
    private readonly string output;
    private readonly long? fixedBatch;
    private readonly Dictionary<string, int> valueOf = new(StringComparer.Ordinal);
    private readonly List<Shape> shapes = [];
    private readonly List<Step> steps = [];
    // ONNX nodes reading each value name (the graph output counts as a reader too).
    private readonly Dictionary<string, List<NodeProto>> readers = new(StringComparer.Ordinal);
    private readonly HashSet<NodeProto> folded = new(ReferenceEqualityComparer.Instance);

    public ImportPlan(string source, long opset, Dictionary<string, TensorProto> constants, string input, Shape inputShape,
        IReadOnlyList<NodeProto> nodes, string output, long? fixedBatch)
    {
        this.fixedBatch = fixedBatch;
        this.source = source;
        this.opset = opset;
        this.constants = constants;
        folder = new ConstantFolder(source, constants);
        this.output = output;
        valueOf[input] = 0;
        shapes.Add(inputShape);
        foreach (var node in nodes)
            foreach (string value in node.Input)
                if (value.Length > 0) Readers(value).Add(node);
    }

    private List<NodeProto> Readers(string value)
    {
        if (!readers.TryGetValue(value, out var list)) readers[value] = list = [];
        return list;
    }

    // The one node reading value, or null when several nodes (or the graph output) read it.
    private NodeProto? SoleReader(string value) =>
        value != output && readers.TryGetValue(value, out var list) && list.Count == 1 ? list[0] : null;

    /// <summary>Maps <paramref name="proto"/> (and any node folded into it) to steps, or to nothing for a pass-through.</summary>
    public void Map(NodeProto proto)
    {
        if (folded.Contains(proto)) return;
        // A node computing on constants (or on a value's shape only) becomes a constant itself.
        if (folder.TryFold(proto, ShapeOf)) return;
        var node = Node(proto);
        for (int j = 0; j < proto.Input.Count; j++)
            if (folder.IsOpen(proto.Input[j]) && !(proto.OpType == "Reshape" && j == 1 && folder.IsReshapeTarget(proto.Input[j]))
                && !(proto.OpType == "Resize" && j == 3 && folder.IsReshapeTarget(proto.Input[j])))
                throw node.Refuse(folder.WhyOpen(proto.Input[j], j));
        if (proto.Output.Count == 0 || proto.Output[0].Length == 0) throw node.Refuse("the node has no output");
        var computed = Enumerable.Range(0, proto.Input.Count).Where(j => proto.Input[j].Length > 0 && !constants.ContainsKey(proto.Input[j])).ToList();
        if (OnnxLayers.SplitImportRule(proto.OpType) is { } split)
        {
            Split(node, computed, split);
            return;
        }
        for (int j = 1; j < proto.Output.Count; j++)
        {
            string extra = proto.Output[j];
            if (extra.Length == 0) continue;
            if (extra == output || readers.ContainsKey(extra))
                throw node.Refuse($"output {j} ('{extra}') is {(extra == output ? "the graph output" : $"read by {readers[extra][0].Describe()}")}; " +
                    "Convolve's layer computes the first output only");
        }
        if (!proto.Input.Any(i => i.Length > 0)) throw node.Refuse("the node has no inputs");
        var merge = OnnxLayers.MergeImportRule(proto.OpType);
        var single = OnnxLayers.ImportRule(proto.OpType);
        if (merge is not null && computed.Count == proto.Input.Count)
        {
            Merge(node, merge);
            return;
        }
        if (merge is not null && single is null)
        {
            int j = Enumerable.Range(0, proto.Input.Count).First(j => !computed.Contains(j));
            throw node.Refuse($"input {j} ('{proto.Input[j]}') is {(proto.Input[j].Length == 0 ? "empty" : "a constant")}; " +
                $"Convolve's {proto.OpType switch { "Concat" => "Concat joins", "Sum" => "Add sums", var op => $"{op} takes" }} computed values only");
        }
        // Add, Sub, Mul and Div (merges of computed values, or layers holding a constant) compute
        // on their other input, whichever side the constant is; Min and Max on their one computed input among constants.
        bool binary = merge is not null && single is not null && (proto.Input.Count == 2 || proto.OpType is "Min" or "Max") && computed.Count == 1;
        if (merge is not null && computed.Count > 1)
        {
            int j = Enumerable.Range(0, proto.Input.Count).First(j => !computed.Contains(j));
            throw node.Refuse($"input {j} ('{proto.Input[j]}') is a constant among {computed.Count} computed values; " +
                $"Convolve's {proto.OpType} takes computed values only, or one computed value and constants");
        }
        if (!binary) RequireOneComputedInput(node, computed);
        int from = valueOf[proto.Input[binary ? computed[0] : 0]];
        var shape = shapes[from];
        string result = proto.Output[0];
        Layer? layer = null;
        if (proto.OpType == "MatMul" && SoleReader(result) is { } add && OnnxImporter.BiasAfter(add, result, constants) is { } bias)
        {
            layer = DenseOnnx.MatMul(node, shape, OnnxTensor.ToTensor(bias, $"{source}: {add.Describe()}"));
            folded.Add(add);
            result = add.Output[0];
        }
        else if (proto.OpType == "Pad" && SoleReader(result) is { OpType: "Conv" or "AveragePool" } next && next.Input[0] == result
                 && PadOnnx.ZeroPadding(node, shape) is { } padded)
        {
            // The Conv or AveragePool takes over the zeros as its padding when it can; else the
            // Pad stays a layer of its own.
            var pooled = Node(next);
            try
            {
                RequireOneComputedInput(pooled,
                    [.. Enumerable.Range(0, next.Input.Count).Where(j => next.Input[j].Length > 0 && !constants.ContainsKey(next.Input[j]))]);
                layer = next.OpType == "Conv" ? Conv2DOnnx.Import(pooled, shape, padded) : Pool2DOnnx.AveragePool(pooled, shape, padded);
                folded.Add(next);
                node = pooled;
                result = next.Output[0];
            }
            catch (OnnxImportException) { layer = PadOnnx.Import(node, shape); }
        }
        else if (proto.OpType == "HardSigmoid" && IsHardSwish(proto, result) is { } multiply)
        {
            // x * HardSigmoid(x) with alpha 1/6, beta 1/2 is HardSwish (how opset 13 writes it).
            layer = new HardSwish();
            folded.Add(multiply);
            result = multiply.Output[0];
        }
        else if (proto.OpType == "Sigmoid" && IsTimesInput(proto, result) is { } siluMultiply)
        {
            // x * Sigmoid(x) is SiLU (exporters have no operator for it).
            layer = new SiLU();
            folded.Add(siluMultiply);
            result = siluMultiply.Output[0];
        }
        else if (proto.OpType == "Softplus" && SoleReader(result) is { OpType: "Tanh" } tanh && tanh.Input[0] == result
                 && IsTimesInput(proto, tanh.Output[0]) is { } mishMultiply)
        {
            // x * Tanh(Softplus(x)) is Mish (how opset 13 writes opset 18's Mish).
            layer = new Mish();
            folded.UnionWith([tanh, mishMultiply]);
            result = mishMultiply.Output[0];
        }
        else if (proto.OpType == "Div" && computed is [0] && GeluAfter(proto, result) is { } gelu)
        {
            // x * 0.5 * (1 + Erf(x / sqrt 2)) is GELU (how opset 13 writes opset 20's Gelu).
            layer = new GELU();
            folded.UnionWith(gelu);
            result = gelu[^1].Output[0];
        }
        else layer = OnnxLayers.Create(node, shape);

        if (layer is null) valueOf[result] = from;
        else Add(node, layer, result, [from]);
    }

    // The Mul that makes this HardSigmoid a HardSwish, or null.
    private NodeProto? IsHardSwish(NodeProto hardSigmoid, string result) =>
        hardSigmoid.GetFloat("alpha", 0.2f) == 1f / 6 && hardSigmoid.GetFloat("beta", 0.5f) == 0.5f
        && SoleReader(result) is { OpType: "Mul", Input.Count: 2 } multiply
        && multiply.Input.Contains(result) && multiply.Input.Contains(hardSigmoid.Input[0]) ? multiply : null;

    // The Mul reading value and the input x of node (x * f(x)) as its only reader, or null.
    private NodeProto? IsTimesInput(NodeProto node, string value) =>
        SoleReader(value) is { OpType: "Mul", Input.Count: 2 } multiply
        && multiply.Input.Contains(value) && multiply.Input.Contains(node.Input[0]) ? multiply : null;

    // The Erf, Add, Mul and Mul after Div(x, sqrt 2) that compute x * (1 + Erf(x / sqrt 2)) * 0.5, each the sole
    // reader of the one before, or null. The constants may stand on either side of Add and of the last Mul.
    private NodeProto[]? GeluAfter(NodeProto div, string result)
    {
        string x = div.Input[0];
        if (!IsScalar(div.Input[1], Math.Sqrt(2))
            || SoleReader(result) is not { OpType: "Erf" } erf || erf.Input[0] != result
            || SoleReader(erf.Output[0]) is not { OpType: "Add", Input.Count: 2 } add || Other(add, erf.Output[0]) is not { } one || !IsScalar(one, 1)
            || SoleReader(add.Output[0]) is not { OpType: "Mul", Input.Count: 2 } times || Other(times, add.Output[0]) != x
            || SoleReader(times.Output[0]) is not { OpType: "Mul", Input.Count: 2 } scale || Other(scale, times.Output[0]) is not { } half
            || !IsScalar(half, 0.5))
            return null;
        return [erf, add, times, scale];
    }

    // The input of a two-input node that is not value (null when both are).
    private static string? Other(NodeProto node, string value) =>
        node.Input[0] == value ? (node.Input[1] == value ? null : node.Input[1]) : node.Input[1] == value ? node.Input[0] : null;

    // Whether name is a constant of one value within float precision of expected.
    private bool IsScalar(string name, double expected)
    {
        if (!constants.TryGetValue(name, out var proto)) return false;
        try
        {
            var t = OnnxTensor.ToTensor(proto, source);
            return t.Length == 1 && Math.Abs(t[0] - expected) <= 1e-6 * Math.Abs(expected);
        }
        catch (OnnxFormatException) { return false; }
    }

    // A node whose inputs are all computed values: a merge layer, or nothing (a Sum or Concat of one value).
    private void Merge(OnnxNode node, OnnxMergeImportRule rule)
    {
        var proto = node.Proto;
        int[] values = [.. proto.Input.Select(v => valueOf[v])];
        var layer = rule(node, [.. values.Select(v => shapes[v])]);
        if (layer is null) valueOf[proto.Output[0]] = values[0];
        else Add(node, layer, proto.Output[0], values);
    }

    // A node of several outputs (Split): one step per output the graph reads.
    private void Split(OnnxNode node, List<int> computed, OnnxSplitImportRule rule)
    {
        RequireOneComputedInput(node, computed);
        var proto = node.Proto;
        int from = valueOf[proto.Input[0]];
        bool[] read = [.. proto.Output.Select(o => o.Length > 0 && (o == output || readers.ContainsKey(o)))];
        var layers = rule(node, shapes[from], read);
        for (int i = 0; i < layers.Length; i++)
            if (layers[i] is { } layer) Add(node, layer, proto.Output[i], [from]);
    }

    /// <summary>Whether <paramref name="value"/> is computed from the model's input (not folded to a constant).</summary>
    public bool Computes(string value) => valueOf.ContainsKey(value);

    // The shape of a computed value (batch first, the stand-in batch of one), or null for a constant.
    private Shape? ShapeOf(string value) => valueOf.TryGetValue(value, out int v) ? shapes[v] : null;

    private OnnxNode Node(NodeProto proto) => new(proto, source, opset, constants, symbolicBatch: true) { FixedBatch = fixedBatch };

    // A single-input layer computes on one value of the graph; its other inputs are weights.
    private static void RequireOneComputedInput(OnnxNode node, List<int> computed)
    {
        var inputs = node.Proto.Input;
        if (!computed.Contains(0))
            throw node.Refuse(inputs.Count == 0 || inputs[0].Length == 0 ? "input 0 is missing"
                : $"input 0 ('{inputs[0]}') is a constant; Convolve's layers compute on values that depend on the model input");
        foreach (int j in computed.Where(j => j > 0))
            throw node.Refuse($"input {j} ('{inputs[j]}') is computed by the graph, not a constant; Convolve's layer for {node.OpType} " +
                "takes one computed input and constants (Add, Sub, Mul, Div, Sum and Concat merge several)");
    }

    // Adds a step for layer reading the values inputs, with its output shape checked.
    private void Add(OnnxNode node, Layer layer, string result, int[] inputs)
    {
        Shape shape;
        try
        {
            shape = layer is MergeLayer merge
                ? merge.GetOutputShape([.. inputs.Select(v => shapes[v])])
                : layer.GetOutputShape(shapes[inputs[0]]);
        }
        catch (ShapeException e)
        {
            // The shapes here are for the stand-in batch of one; show them as the node's messages do (N for a dynamic batch).
            string message = e.Message;
            foreach (var v in inputs.Distinct()) message = message.Replace(shapes[v].ToString(), node.Show(shapes[v]), StringComparison.Ordinal);
            throw node.Refuse(message.TrimEnd('.'));
        }
        steps.Add(new Step(layer, inputs));
        shapes.Add(shape);
        valueOf[result] = steps.Count;
    }

    /// <summary>The built model: a <see cref="Sequential"/> for a chain of steps, else a <see cref="Graph"/>.</summary>
    public Model Finish(Shape itemShape)
    {
        int last = valueOf[output];
        if (last == 0 || steps.Count == 0)
            throw new OnnxImportException($"{source}: the graph computes nothing (no node maps to a layer); a model needs at least one layer.");

        // GlobalAveragePool read only by a Flatten at axis 1 is one GlobalAvgPool2D to [N, C]:
        // the Flatten's step goes, and whoever read it reads the pool.
        var readCount = new int[shapes.Count];
        foreach (var step in steps)
            foreach (int v in step.Inputs) readCount[v]++;
        readCount[last]++;
        var redirect = Enumerable.Range(0, shapes.Count).ToArray();
        var kept = new List<int>();
        for (int k = 0; k < steps.Count; k++)
        {
            int v = steps[k].Inputs[0];
            if (steps[k].Layer is Flatten { Axis: 1 } && v > 0 && steps[v - 1].Layer is GlobalAvgPool2D { KeepDims: true } && readCount[v] == 1)
            {
                steps[v - 1].Layer = new GlobalAvgPool2D(keepDims: false);
                redirect[k + 1] = v;
            }
            else kept.Add(k);
        }

        bool chain = true;
        for (int i = 0; i < kept.Count && chain; i++)
        {
            var step = steps[kept[i]];
            chain = step.Layer is not MergeLayer && step.Inputs.Length == 1 && redirect[step.Inputs[0]] == (i == 0 ? 0 : kept[i - 1] + 1);
        }
        Model model;
        if (chain) model = new Sequential(kept.Select(k => steps[k].Layer));
        else
        {
            var graph = new Graph();
            var nodes = new GraphNode[shapes.Count];
            nodes[0] = graph.Input;
            foreach (int k in kept)
                nodes[k + 1] = graph.Apply(steps[k].Layer, [.. steps[k].Inputs.Select(v => nodes[redirect[v]])]);
            model = graph;
        }
        // BuildShapes keeps the weights the layers hold (Build would draw new ones).
        model.BuildShapes(itemShape);
        return model;
    }
}
