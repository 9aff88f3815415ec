using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Models;

/// <summary>A value in a <see cref="Graph"/>: the model's input or the output of one layer.</summary>
public sealed class GraphNode
{
    internal GraphNode(Graph graph, int index, Layer? layer, GraphNode[] inputs)
    {
        Graph = graph;
        Index = index;
        Layer = layer;
        Inputs = inputs;
    }

    internal Graph Graph { get; }

    /// <summary>Position in the graph; nodes are numbered in the order they were added (0 is the input).</summary>
    public int Index { get; }

    /// <summary>The layer that computes this node, or null for the input.</summary>
    public Layer? Layer { get; }

    /// <summary>The nodes this node's layer reads.</summary>
    public IReadOnlyList<GraphNode> Inputs { get; }

    /// <summary>The layer's name, or "input".</summary>
    public string Name => Layer?.Name ?? "input";
}

/// <summary>
/// A model whose layers form a directed acyclic graph: branches and merges such as a residual
/// block. Layers are applied to nodes in the order they are added, which is therefore a
/// topological order:
/// <code>
/// var graph = new Graph();
/// var x = graph.Apply(new Conv2D(1, 8, 3, padding: 1), graph.Input);
/// x = graph.Apply(new ReLU(), x);
/// var branch = graph.Apply(new Conv2D(8, 8, 3, padding: 1), x);
/// x = graph.Apply(new ReLU(), graph.Apply(new Add(), x, branch));   // x + f(x)
/// graph.Apply(new Dense(10), graph.Apply(new Flatten(), x));        // the last node is the output
/// graph.Build(new Shape(1, 28, 28), seed: 0);
/// </code>
/// The backward pass visits the nodes in reverse and sums the gradients of a node read by
/// several layers. Runs on the executor <see cref="Sequential"/> uses; a convolution fuses with
/// the layers after it only where each value in between has that one reader (see <see cref="FusionPlanner"/>).
/// </summary>
public sealed class Graph : Model
{
    private readonly List<GraphNode> nodes = [];
    private readonly List<Layer> layers = [];
    private Executor? executor;

    /// <summary>An empty graph: only its input node; add layers with <see cref="Apply"/>.</summary>
    public Graph() => nodes.Add(new GraphNode(this, 0, null, []));

    /// <summary>The model's input.</summary>
    public GraphNode Input => nodes[0];

    /// <summary>The model's output: the last node added unless set.</summary>
    public GraphNode Output
    {
        get => output ?? nodes[^1];
        set => output = value.Graph == this ? value : throw new ArgumentException("Graph: that node belongs to another graph.");
    }
    private GraphNode? output;

    /// <summary>All nodes, the input first.</summary>
    public IReadOnlyList<GraphNode> Nodes => nodes;

    /// <inheritdoc />
    public override IReadOnlyList<Layer> Layers => layers;

    /// <summary>
    /// Applies <paramref name="layer"/> to <paramref name="inputs"/> (several only for a <see cref="MergeLayer"/>)
    /// and returns its output node.
    /// </summary>
    public GraphNode Apply(Layer layer, params GraphNode[] inputs)
    {
        if (IsBuilt) throw new InvalidOperationException("Graph: the model is built; layers cannot be added any more.");
        if (layers.Contains(layer))
            throw new ArgumentException($"Graph: {layer} is in the graph already; a layer is applied once (create another for a second use).");
        if (inputs.Length == 0) throw new ArgumentException($"Graph: {layer} needs an input node.");
        if (inputs.Length > 1 && layer is not MergeLayer)
            throw new ArgumentException($"Graph: {layer} takes one input, got {inputs.Length}; " +
                "merge branches with a merge layer (Add, Subtract, Multiply, Divide, Concat).");
        foreach (var input in inputs)
            if (input.Graph != this) throw new ArgumentException($"Graph: an input of {layer} belongs to another graph.");
        var node = new GraphNode(this, nodes.Count, layer, inputs);
        nodes.Add(node);
        layers.Add(layer);
        return node;
    }

    /// <inheritdoc />
    protected override Shape BuildLayers(Shape inputShape)
    {
        if (nodes.Count == 1) throw new InvalidOperationException("Graph: a model needs at least one layer.");
        var used = new bool[nodes.Count];
        used[Output.Index] = true;
        for (int i = Output.Index; i > 0; i--)
            if (used[i]) foreach (var input in nodes[i].Inputs) used[input.Index] = true;
        var unused = nodes.Skip(1).FirstOrDefault(n => !used[n.Index]);
        if (unused is not null) throw new InvalidOperationException($"Graph: {unused.Layer} ({unused.Name}) does not lead to the output.");
        if (Output.Index != nodes.Count - 1) throw new InvalidOperationException("Graph: the output must be the last node added.");

        var shapes = NodeShapes(inputShape, build: true, standInBatch: true);
        // Node i is step i - 1 of the plan and computes its value i.
        executor = new Executor(layers, [.. nodes.Skip(1).Select(node => node.Inputs.Select(input => input.Index).ToArray())], HasTrainableParameters);
        return shapes[^1];
    }

    /// <inheritdoc />
    public override Shape GetOutputShape(Shape inputShape) => NodeShapes(inputShape, build: false, standInBatch: false)[^1];

    /// <inheritdoc />
    public override IReadOnlyList<Shape> LayerOutputShapes()
    {
        RequireBuilt();
        return [.. NodeShapes(InputShape.Prepend(1), build: false, standInBatch: true).Skip(1).Select(s => s.ItemShape)];
    }

    /// <inheritdoc />
    public override IReadOnlyList<Shape> LayerInputShapes(int batch)
    {
        RequireBuilt();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        var shapes = NodeShapes(InputShape.Prepend(batch), build: false, standInBatch: false);
        return [.. nodes.Skip(1).Select(node => shapes[node.Inputs[0].Index])];
    }

    // Every node's output shape for a batch of inputShape; with build, each layer is built on the
    // way. standInBatch: inputShape's batch is the one Build checks with, not one the user gave.
    private Shape[] NodeShapes(Shape inputShape, bool build, bool standInBatch)
    {
        var shapes = new Shape[nodes.Count];
        shapes[0] = inputShape;
        for (int i = 1; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var inputs = node.Inputs.Select(n => shapes[n.Index]).ToArray();
            try
            {
                shapes[i] = node.Layer is MergeLayer merge ? merge.GetOutputShape(inputs)
                    : build ? node.Layer!.Build(inputs[0]) : node.Layer!.GetOutputShape(inputs[0]);
            }
            catch (ShapeException e)
            {
                throw ShapeException.InLayer(e, node.Layer!.Name, node.Layer.ToString(), inputs, standInBatch);
            }
        }
        return shapes;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training = false)
    {
        RequireInput(input);
        return executor!.Forward(input, training, logits: false);
    }

    /// <inheritdoc />
    public override Tensor ForwardLogits(Tensor input, bool training = false)
    {
        RequireInput(input);
        return executor!.Forward(input, training, logits: true);
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor dOutput)
    {
        RequireBuilt();
        return executor!.Backward(dOutput);
    }

    /// <inheritdoc />
    public override void BackwardParameters(Tensor dOutput)
    {
        RequireBuilt();
        executor!.BackwardParameters(dOutput);
    }

    /// <summary>The plan the model runs by, made by <see cref="Model.Build"/>; null before.</summary>
    internal Executor? Executor => executor;

    /// <inheritdoc />
    public override string ToString() =>
        $"Graph({string.Join(", ", nodes.Skip(1).Select(n => $"{n.Layer}<-[{string.Join(", ", n.Inputs.Select(i => i.Name))}]"))})";
}
