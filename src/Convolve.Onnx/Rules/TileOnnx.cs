using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx.Rules;

/// <summary>Tile in ONNX, both ways.</summary>
internal static class TileOnnx
{
    /// <summary>
    /// Tile (opset 6 on: the repeats an input) as a <see cref="Layers.Tile"/>. The repeats must be a
    /// constant (an initializer, a Constant node, or a value folded at import), one per axis, at
    /// least 1, and 1 for the batch axis, which stays free.
    /// </summary>
    [OnnxImport("Tile")]
    public static Tile Import(OnnxNode node, Shape inputShape)
    {
        if (node.Opset < 6) throw node.Refuse($"opset {node.Opset}'s Tile (tiles and axis inputs) is not read; Convolve reads Tile from opset 6");
        long[] repeats = node.Ints(1);
        string text = $"[{string.Join(", ", repeats)}]";
        if (repeats.Length != inputShape.Rank)
            throw node.Refuse($"repeats {text} have {repeats.Length} {(repeats.Length == 1 ? "entry" : "entries")} for the {inputShape.Rank} axes " +
                $"of input {node.Show(inputShape)}");
        if (repeats[0] != 1)
            throw node.Refuse($"repeats {text} repeat the batch axis 0 {repeats[0]} times; the batch is free in Convolve, so only the axes after it tile");
        if (repeats.Any(r => r < 1))
            throw node.Refuse($"repeats {text} hold {repeats.First(r => r < 1)}, which would leave the output empty; Convolve's values are never empty");
        if (repeats.Any(r => r > int.MaxValue)) throw node.Refuse($"repeats {text} are too large");
        return OnnxRule.Construct(node, () => new Tile([.. repeats.Select(r => (int)r)]));
    }

    /// <summary>Tile with the repeats as an INT64 initializer (NAME.repeats).</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Tile tile, string input, Shape inputShape, string output) =>
        graph.AddNode("Tile", tile.Name, [input, graph.Int64Initializer($"{tile.Name}.repeats", [.. tile.Repeats.Select(r => (long)r)])], output);
}
