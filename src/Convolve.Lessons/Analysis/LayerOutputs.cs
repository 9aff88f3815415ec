using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Analysis;

/// <summary>What one layer produced for one input item.</summary>
/// <param name="Name">The layer's name in the model ("conv2d_1").</param>
/// <param name="Description">The layer with its options ("Conv2D(1->32, 3x3)").</param>
/// <param name="Output">A copy of its output for the item, without the batch dimension ([C, H, W] for maps, [F] for vectors).</param>
public sealed record LayerOutput(string Name, string Description, Tensor Output)
{
    /// <summary>Whether the output is a stack of 2-D maps [C, H, W] (convolution, pooling, activations on maps).</summary>
    public bool IsMaps => Output.Shape.Rank == 3;
}

/// <summary>
/// The inside of a trained network, for looking at: the first layer's filters and every layer's
/// output for one image (feature maps).
/// </summary>
public static class LayerOutputs
{
    /// <summary>
    /// Runs <paramref name="model"/> on one item <paramref name="image"/> ([C, H, W] or [1, C, H, W])
    /// in evaluation mode, layer by layer, and returns a copy of every layer's output in order.
    /// </summary>
    public static IReadOnlyList<LayerOutput> Collect(Sequential model, Tensor image)
    {
        if (!model.IsBuilt) throw new InvalidOperationException("LayerOutputs: the model is not built.");
        bool oneItem = image.Shape == model.InputShape || image.Shape == model.InputShape.Prepend(1);
        if (!oneItem)
            throw new ShapeException($"LayerOutputs: the model takes one item of [{string.Join(", ", model.InputShape)}], got {image.Shape}.");
        var input = image.Shape.Rank == model.InputShape.Rank ? image.Reshape(model.InputShape.Prepend(1)) : image;
        var outputs = new List<LayerOutput>();
        var x = input;
        foreach (var layer in model.Layers)
        {
            x = layer.Forward(x, training: false);
            outputs.Add(new LayerOutput(layer.Name, layer.ToString(), x.Clone().Reshape(x.Shape.ItemShape)));
        }
        return outputs;
    }

    /// <summary>The first <see cref="Conv2D"/> layer of <paramref name="model"/>, or null when it has none.</summary>
    public static Conv2D? FirstConvolution(Model model) => model.Layers.OfType<Conv2D>().FirstOrDefault();
}
