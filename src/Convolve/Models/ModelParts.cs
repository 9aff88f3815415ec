using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Models;

/// <summary>
/// Cutting a model in two and joining models end to end, sharing the layer objects (and so
/// the weights): for transfer learning, where a pre-trained network's front is run once and its
/// back is fine-tuned, and for saving a backbone with a new head as one model.
/// <para>
/// The parts are built models of their own: building one gathers the parameters of its layers
/// into its own buffers (see <see cref="Model.ParameterValues"/>), so after a split or a join the
/// original model's <see cref="Model.ParameterValues"/> no longer holds its parameters; its
/// <see cref="Model.Parameters"/> still do (they are the same objects).
/// </para>
/// </summary>
public static class ModelParts
{
    /// <summary>
    /// The places where <paramref name="model"/> can be cut into a front and a back with one
    /// tensor between them: a number <c>k</c> (1 to layers - 1) means the first <c>k</c> layers,
    /// in <see cref="Model.Layers"/> order, form the front. Every position of a
    /// <see cref="Sequential"/>; for a <see cref="Graph"/>, the positions after which no later
    /// layer reads any node but the <c>k</c>-th (between the blocks of a residual network, not
    /// inside one).
    /// </summary>
    public static IReadOnlyList<int> CutPoints(Model model)
    {
        RequireBuilt(model);
        int count = model.Layers.Count;
        if (model is Sequential) return [.. Enumerable.Range(1, count - 1)];
        if (model is not Graph graph) throw NotSupported(model, "cut");
        var nodes = graph.Nodes;
        var cuts = new List<int>();
        for (int k = 1; k < nodes.Count - 1; k++)
            if (OnlyReads(nodes, k)) cuts.Add(k);
        return cuts;
    }

    // Whether the nodes after k read no node before k (of the nodes up to k, only k itself).
    private static bool OnlyReads(IReadOnlyList<GraphNode> nodes, int k)
    {
        for (int j = k + 1; j < nodes.Count; j++)
            foreach (var input in nodes[j].Inputs)
                if (input.Index < k) return false;
        return true;
    }

    /// <summary>
    /// Cuts <paramref name="model"/> after its first <paramref name="frontLayers"/> layers (one of
    /// <see cref="CutPoints"/>) into two built models: the front takes the model's input, the back
    /// takes the front's output. Running one after the other equals running the model.
    /// </summary>
    /// <exception cref="ArgumentException">Not a cut point; the message lists the cut points.</exception>
    public static (Model Front, Model Back) Split(Model model, int frontLayers)
    {
        var cuts = CutPoints(model);
        if (!cuts.Contains(frontLayers))
            throw new ArgumentException($"ModelParts.Split: the model cannot be cut after {frontLayers} layers; it can after {Describe(cuts)}.");
        Model front, back;
        if (model is Sequential)
        {
            front = new Sequential(model.Layers.Take(frontLayers));
            back = new Sequential(model.Layers.Skip(frontLayers));
        }
        else
        {
            var nodes = ((Graph)model).Nodes;
            front = CopyNodes(nodes, 0, frontLayers);
            back = CopyNodes(nodes, frontLayers, nodes.Count - 1);
        }
        front.BuildShapes(model.InputShape);
        back.BuildShapes(front.GetOutputShape(model.InputShape.Prepend(1)).ItemShape);
        return (front, back);
    }

    /// <summary>
    /// One built model that runs <paramref name="parts"/> one after the other (each part's output
    /// is the next one's input), with their layers and weights: a <see cref="Sequential"/> when
    /// every part is one, else a <see cref="Graph"/>. Layer names must be unique across the parts.
    /// </summary>
    public static Model Concatenate(params IReadOnlyList<Model> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("ModelParts.Concatenate: no models given.");
        foreach (var part in parts) RequireBuilt(part);
        for (int i = 1; i < parts.Count; i++)
        {
            var output = parts[i - 1].GetOutputShape(parts[i - 1].InputShape.Prepend(1)).ItemShape;
            if (output != parts[i].InputShape)
                throw new ShapeException($"ModelParts.Concatenate: part {i} outputs items of {output}, but part {i + 1} takes {parts[i].InputShape}.");
        }
        var duplicate = parts.SelectMany(p => p.Layers).GroupBy(l => l.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"ModelParts.Concatenate: two layers are named '{duplicate.Key}'; rename one before joining.");

        Model joined;
        if (parts.All(p => p is Sequential)) joined = new Sequential(parts.SelectMany(p => p.Layers));
        else
        {
            var graph = new Graph();
            var last = graph.Input;
            foreach (var part in parts)
            {
                if (part is Sequential)
                {
                    foreach (var layer in part.Layers) last = graph.Apply(layer, last);
                }
                else if (part is Graph g)
                {
                    var map = new GraphNode[g.Nodes.Count];
                    map[0] = last;
                    for (int i = 1; i < g.Nodes.Count; i++)
                        map[i] = graph.Apply(g.Nodes[i].Layer!, [.. g.Nodes[i].Inputs.Select(n => map[n.Index])]);
                    last = map[^1];
                }
                else throw NotSupported(part, "join");
            }
            joined = graph;
        }
        joined.BuildShapes(parts[0].InputShape);
        return joined;
    }

    // A graph of nodes (from, to]: node `from` becomes the input.
    private static Graph CopyNodes(IReadOnlyList<GraphNode> nodes, int from, int to)
    {
        var graph = new Graph();
        var map = new Dictionary<int, GraphNode> { [from] = graph.Input };
        for (int i = from + 1; i <= to; i++)
            map[i] = graph.Apply(nodes[i].Layer!, [.. nodes[i].Inputs.Select(n => map[n.Index])]);
        return graph;
    }

    private static string Describe(IReadOnlyList<int> cuts) =>
        cuts.Count == 0 ? "no position (it has no single-tensor cut)"
        : cuts.Count <= 12 ? string.Join(", ", cuts)
        : $"{string.Join(", ", cuts.Take(6))}, ..., {string.Join(", ", cuts.TakeLast(6))} ({cuts.Count} positions)";

    private static void RequireBuilt(Model model)
    {
        if (!model.IsBuilt) throw new InvalidOperationException("ModelParts: the model is not built yet: call Build(inputShape, seed) first.");
    }

    private static NotSupportedException NotSupported(Model model, string what) =>
        new($"ModelParts: a {model.GetType().Name} cannot be {(what == "cut" ? "cut" : "joined")}; only Sequential and Graph models can.");

    /// <summary>The number of layers of <paramref name="model"/> that hold parameters (trainable or not).</summary>
    public static int CountLayersWithParameters(Model model) => model.Layers.Count(l => l.Parameters.Count > 0);

    /// <summary>
    /// The latest cut point (or 0, the model's input) after which at least the last
    /// <paramref name="layersWithParameters"/> layers holding parameters lie: the front to run once
    /// when those layers are to be trained.
    /// </summary>
    public static int CutBefore(Model model, int layersWithParameters)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layersWithParameters);
        var layers = model.Layers;
        int seen = 0, firstTrained = 0;
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            if (layers[i].Parameters.Count == 0) continue;
            firstTrained = i;
            if (++seen == layersWithParameters) break;
        }
        if (seen < layersWithParameters) return 0;
        return CutPoints(model).LastOrDefault(k => k <= firstTrained);
    }
}
