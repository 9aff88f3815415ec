using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>BatchNorm2D in ONNX: BatchNormalization in inference form, both ways.</summary>
internal static class BatchNorm2DOnnx
{
    /// <summary>
    /// BatchNormalization in inference form as <see cref="BatchNorm2D"/>. ONNX's momentum weighs
    /// the old running value, Convolve's (like PyTorch's) the new batch value, so Convolve's is 1 -
    /// ONNX's. Before opset 9, spatial = 0 kept statistics per value rather than per channel,
    /// which is the same only when each channel has one value.
    /// </summary>
    [OnnxImport("BatchNormalization")]
    public static BatchNorm2D Import(OnnxNode node, Shape inputShape)
    {
        var n = node.Proto;
        if (inputShape.Rank != 4)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, C, H, W]; Convolve's BatchNorm2D normalises images");
        if (n.GetInt("training_mode", 0) != 0)
            throw node.Refuse("training_mode = 1 computes batch statistics in the graph; import models exported for inference");
        if (node.Opset < 9 && n.GetInt("spatial", 1) == 0 && inputShape[2] * inputShape[3] != 1)
            throw node.Refuse($"spatial = 0 keeps statistics per value of each {inputShape[2]}x{inputShape[3]} channel; " +
                "Convolve's BatchNorm2D keeps them per channel");
        int channels = inputShape[1];
        // Momentum is a hand-picked hyperparameter (0.1, 0.01): round away the float error of
        // 1 - m so that Convolve's 0.1 written as ONNX's 0.9 reads back as 0.1.
        float momentum = MathF.Round(1 - n.GetFloat("momentum", 0.9f), 6);
        var bn = new BatchNorm2D(channels, n.GetFloat("epsilon", 1e-5f), momentum);
        OnnxRule.CopyVector(node, 1, "scale", bn.Weight.Value);
        OnnxRule.CopyVector(node, 2, "B", bn.Bias.Value);
        OnnxRule.CopyVector(node, 3, "mean", bn.RunningMean.Value);
        OnnxRule.CopyVector(node, 4, "var", bn.RunningVar.Value);
        return bn;
    }

    /// <summary>BatchNormalization with the running statistics as initializers.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, BatchNorm2D bn, string input, Shape inputShape, string output)
    {
        string n = bn.Name;
        return graph.AddNode("BatchNormalization", n,
            [input, graph.Initializer($"{n}.weight", bn.Weight.Value), graph.Initializer($"{n}.bias", bn.Bias.Value),
             graph.Initializer($"{n}.running_mean", bn.RunningMean.Value), graph.Initializer($"{n}.running_var", bn.RunningVar.Value)],
            output,
            // ONNX's momentum weighs the running value, Convolve's the batch value.
            Float("epsilon", bn.Config.Epsilon), Float("momentum", 1 - bn.Config.Momentum));
    }
}
