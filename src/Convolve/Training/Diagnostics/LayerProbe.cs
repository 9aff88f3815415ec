using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Training.Diagnostics;

/// <summary>
/// Runs a model one layer at a time, without the fused kernels, and shows each layer its input
/// and output: how the diagnostics find the first layer whose output is not finite and look at
/// what each ReLU lets through. Outputs belong to the layers (see <see cref="Layer.Forward"/>);
/// a visitor that keeps one must copy it.
/// </summary>
internal static class LayerProbe
{
    /// <summary>Called for each layer in forward order; return false to stop.</summary>
    public delegate bool Visitor(Layer layer, Tensor input, Tensor output);

    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="input"/> up to its logits, visiting every
    /// layer. Returns false when the model is of a kind it cannot walk (nothing is visited then).
    /// </summary>
    public static bool Run(Model model, Tensor input, bool training, Visitor visit)
    {
        switch (model)
        {
            case Sequential sequential:
                {
                    var x = input;
                    var layers = sequential.Layers;
                    int count = layers[^1] is Softmax ? layers.Count - 1 : layers.Count;
                    for (int i = 0; i < count; i++)
                    {
                        var output = layers[i].Forward(x, training);
                        if (!visit(layers[i], x, output)) return true;
                        x = output;
                    }
                    return true;
                }
            case Graph graph:
                {
                    var nodes = graph.Nodes;
                    var values = new Tensor[nodes.Count];
                    values[0] = input;
                    int last = graph.Output.Layer is Softmax ? graph.Output.Index - 1 : graph.Output.Index;
                    for (int i = 1; i <= last; i++)
                    {
                        var node = nodes[i];
                        var first = values[node.Inputs[0].Index];
                        values[i] = node.Layer is MergeLayer merge
                            ? merge.Forward([.. node.Inputs.Select(n => values[n.Index])], training)
                            : node.Layer!.Forward(first, training);
                        if (!visit(node.Layer!, first, values[i])) return true;
                    }
                    return true;
                }
            case IChainedModel chain:
                {
                    var x = input;
                    var parts = chain.Parts;
                    for (int i = 0; i < parts.Count; i++)
                    {
                        var (part, evaluationOnly) = parts[i];
                        bool partTraining = training && !evaluationOnly;
                        x = x.Reshape(part.InputShape.Prepend(x.Shape[0]));
                        bool goOn = true;
                        if (!Run(part, x, partTraining, (layer, partInput, output) => goOn = visit(layer, partInput, output))) return false;
                        if (!goOn || i == parts.Count - 1) return true;
                        // Forward, not the walk's last output: a softmax ending a part is part of what the next one reads.
                        x = part.Forward(x, partTraining);
                    }
                    return true;
                }
            default:
                return false;
        }
    }
}
