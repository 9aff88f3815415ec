using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Transfer;

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
            case BodyWithHead both:
                {
                    // The body runs in evaluation mode, as BodyWithHead runs it.
                    var bodyInput = input.Reshape(both.Body.InputShape.Prepend(input.Shape[0]));
                    bool goOn = true;
                    if (!Run(both.Body, bodyInput, training: false, (layer, x, output) => goOn = visit(layer, x, output))) return false;
                    if (!goOn) return true;
                    // Forward, not the walk's last output: a softmax ending the body is part of what the head reads.
                    return Run(both.Head, both.Body.Forward(bodyInput, training: false), training, visit);
                }
            default:
                return false;
        }
    }
}
