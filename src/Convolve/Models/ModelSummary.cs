using System.Text;
using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Models;

/// <summary>One row of a <see cref="ModelSummary"/>: a layer, its output shape for one item and its parameter counts.</summary>
/// <param name="Weights">Elements of parameters named "weight".</param>
/// <param name="Biases">Elements of parameters named "bias".</param>
/// <param name="Other">Elements of all other parameters (e.g. batch-norm running statistics).</param>
/// <param name="Name">The layer's name in the model.</param>
/// <param name="Description">The layer and its options, e.g. "Conv2D(1 -> 32, 3x3)".</param>
/// <param name="OutputShape">The layer's output for one item (no batch dimension).</param>
/// <param name="Trainable">Elements of the parameters the optimizer updates.</param>
public sealed record LayerSummary(string Name, string Description, Shape OutputShape, long Weights, long Biases, long Other, long Trainable)
{
    /// <summary>All parameter elements of the layer.</summary>
    public long Total => Weights + Biases + Other;
}

/// <summary>
/// What <see cref="Model.Summarize"/> returns: the input shape, a row per layer, and totals.
/// <see cref="ToString"/> renders it as a text table in the manner of Keras' model.summary(),
/// with shapes written as the article writes them (H x W x C, or a vector length).
/// </summary>
public sealed record ModelSummary(Shape InputShape, IReadOnlyList<LayerSummary> Rows)
{
    /// <summary>All parameter elements of the model.</summary>
    public long TotalParameters => Rows.Sum(r => r.Total);
    /// <summary>Parameter elements the optimizer updates.</summary>
    public long TrainableParameters => Rows.Sum(r => r.Trainable);
    /// <summary>Parameter elements saved but not trained (batch-norm running statistics, frozen layers).</summary>
    public long NonTrainableParameters => TotalParameters - TrainableParameters;
    /// <summary>Elements of all parameters named "weight".</summary>
    public long TotalWeights => Rows.Sum(r => r.Weights);
    /// <summary>Elements of all parameters named "bias".</summary>
    public long TotalBiases => Rows.Sum(r => r.Biases);

    /// <summary>The shapes from input to output: "6x6x1 -> 4x4x1 -> 2x2x1 -> 4 -> 2".</summary>
    public string ShapeFlow()
    {
        var shapes = new List<string> { InputShape.ToImageString() };
        foreach (var row in Rows)
        {
            string s = row.OutputShape.ToImageString();
            if (s != shapes[^1]) shapes.Add(s);
        }
        return string.Join(" -> ", shapes);
    }

    internal static ModelSummary Of(Model model)
    {
        var shapes = model.LayerOutputShapes();
        var rows = new List<LayerSummary>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            long weights = 0, biases = 0, other = 0, trainable = 0;
            foreach (var p in layer.Parameters)
            {
                long n = p.Value.Length;
                if (p.Name == "weight") weights += n;
                else if (p.Name == "bias") biases += n;
                else other += n;
                if (p.Trainable) trainable += n;
            }
            rows.Add(new LayerSummary(layer.Name, layer.ToString(), shapes[i], weights, biases, other, trainable));
        }
        return new ModelSummary(model.InputShape, rows);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        string[] header = ["Layer", "Type", "Output shape", "Weights", "Biases", "Params"];
        var table = new List<string[]> { header, new[] { "input", "", InputShape.ToImageString(), "", "", "" } };
        foreach (var r in Rows)
            table.Add([r.Name, r.Description, r.OutputShape.ToImageString(), $"{r.Weights:N0}", $"{r.Biases:N0}", $"{r.Total:N0}"]);
        int[] widths = Enumerable.Range(0, header.Length).Select(c => table.Max(row => row[c].Length)).ToArray();
        var sb = new StringBuilder();
        string rule = new('-', widths.Sum() + 2 * (widths.Length - 1));
        for (int i = 0; i < table.Count; i++)
        {
            var row = table[i];
            sb.AppendLine(string.Join("  ", row.Select((cell, c) => c >= 3 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
            if (i == 0) sb.AppendLine(rule);
        }
        sb.AppendLine(rule);
        sb.AppendLine($"Total params: {TotalParameters:N0} ({TotalWeights:N0} weights, {TotalBiases:N0} biases" +
            (TotalParameters - TotalWeights - TotalBiases > 0 ? $", {TotalParameters - TotalWeights - TotalBiases:N0} other" : "") + ")");
        sb.AppendLine($"Trainable params: {TrainableParameters:N0}");
        sb.AppendLine($"Non-trainable params: {NonTrainableParameters:N0}");
        return sb.ToString();
    }
}
