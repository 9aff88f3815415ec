using System.Runtime.InteropServices;
using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Models;

/// <summary>
/// Steps of an execution plan that run as one: a convolution, then optionally a batch
/// normalisation folded into it (inference only), a ReLU computed by the convolution's kernel,
/// and a 2x2 max pooling computed by the same kernel without writing the convolution's output
/// (inference only, where this CPU has a kernel for the geometry).
/// </summary>
internal sealed class FusedBlock
{
    public FusedBlock(Conv2D conv, BatchNorm2D? norm, ReLU? relu, MaxPool2D? pool)
    {
        Conv = conv;
        Norm = norm;
        ReLU = relu;
        Pool = pool;
        Folded = norm is null ? null : new FoldedConvolution(conv, norm);
    }

    public Conv2D Conv { get; }
    public BatchNorm2D? Norm { get; }
    public ReLU? ReLU { get; }
    public MaxPool2D? Pool { get; }

    /// <summary>The convolution's weights with <see cref="Norm"/> folded in; null without a batch normalisation.</summary>
    public FoldedConvolution? Folded { get; }

    /// <summary>
    /// Whether folding the normalisation saves time for a batch of <paramref name="inputShape"/>:
    /// checking the parameters for a change reads two values per weight, the fold saves the
    /// normalisation's pass over the output, so it pays when each filter has at least as many
    /// output positions (N * H_out * W_out) as weights (C/groups * kH * kW). Deep layers of a
    /// network at batch 1 (few positions, many weights) run unfolded.
    /// </summary>
    public bool FoldPays(Shape inputShape)
    {
        var g = Conv.GetGeometry(inputShape);
        return (long)g.Batch * g.OutH * g.OutW >= (long)g.InChannelsPerGroup * g.KernelH * g.KernelW;
    }

    /// <summary>How many steps the block covers.</summary>
    public int Length => 1 + (Norm is null ? 0 : 1) + (ReLU is null ? 0 : 1) + (Pool is null ? 0 : 1);

    /// <summary>Whether the block's forward pass leaves the layers without what a backward pass needs.</summary>
    public bool InferenceOnly => Norm is not null || Pool is not null;

    /// <summary>The layers' names joined by " + ", e.g. "conv2d_1 + batchnorm2d_1 + relu_1".</summary>
    public override string ToString() =>
        string.Join(" + ", new Layer?[] { Conv, Norm, ReLU, Pool }.Where(l => l is not null).Select(l => l!.Name));
}

/// <summary>
/// A convolution's weights and bias with the batch normalisation after it folded in
/// (<see cref="BatchNorm2D.Fold"/>), recomputed only when one of the six parameters they come
/// from has changed: each inference pass compares them with a copy of what was folded (a read of
/// the weights, cheaper than folding again, and right however the parameters were written).
/// </summary>
internal sealed class FoldedConvolution(Conv2D conv, BatchNorm2D norm)
{
    private float[] weight = [], bias = [], source = [];

    /// <summary>The folded weights, [K, C/groups, kH, kW], as of the last <see cref="Update"/>.</summary>
    public ReadOnlySpan<float> Weight => weight;

    /// <summary>The folded bias, [K], as of the last <see cref="Update"/>.</summary>
    public ReadOnlySpan<float> Bias => bias;

    /// <summary>Folds again if a parameter of either layer changed since the last call.</summary>
    public void Update()
    {
        var convWeight = conv.Weight.Value.Span;
        var convBias = conv.Bias is null ? default : conv.Bias.Value.Span;
        int length = convWeight.Length + convBias.Length + 4 * norm.Config.Channels;
        if (source.Length == length && Unchanged(convWeight, convBias)) return;
        if (source.Length != length)
        {
            source = new float[length];
            weight = new float[convWeight.Length];
            bias = new float[norm.Config.Channels];
        }
        norm.Fold(convWeight, convBias, weight, bias);
        var to = source.AsSpan();
        foreach (var part in new[] { conv.Weight.Value, conv.Bias?.Value, norm.Weight.Value, norm.Bias.Value, norm.RunningMean.Value, norm.RunningVar.Value })
        {
            if (part is null) continue;
            part.Span.CopyTo(to);
            to = to[part.Length..];
        }
    }

    // Bitwise, so that a NaN written into a parameter counts as a change too.
    private bool Unchanged(ReadOnlySpan<float> convWeight, ReadOnlySpan<float> convBias)
    {
        var from = source.AsSpan();
        return Same(convWeight, ref from) && Same(convBias, ref from) && Same(norm.Weight.Value.Span, ref from)
            && Same(norm.Bias.Value.Span, ref from) && Same(norm.RunningMean.Value.Span, ref from) && Same(norm.RunningVar.Value.Span, ref from);
    }

    private static bool Same(ReadOnlySpan<float> values, ref Span<float> from)
    {
        bool same = MemoryMarshal.AsBytes(values).SequenceEqual(MemoryMarshal.AsBytes(from[..values.Length]));
        from = from[values.Length..];
        return same;
    }
}

/// <summary>
/// Decides which steps of a model run as one (<see cref="FusedBlock"/>), once, when the model is
/// built. A step joins the block before it only if it reads nothing but the value the block's
/// last step computes, and nothing else reads that value (nor is it the model's output): a fused
/// block never computes the values inside it as the layers would.
/// </summary>
internal static class FusionPlanner
{
    /// <summary>
    /// The blocks for training and for inference, indexed by the step each begins at (null where
    /// none begins). In training only a convolution and its ReLU fuse (the kernel also applies the
    /// ReLU's gradient); inference also folds batch normalisations and fuses 2x2 max pooling.
    /// </summary>
    /// <param name="layers">The steps' layers, in order.</param>
    /// <param name="inputs">The values each step reads; step k computes value k + 1, value 0 is the model's input.</param>
    /// <param name="readers">How many steps read each value, plus one for the model's output.</param>
    public static (FusedBlock?[] Training, FusedBlock?[] Inference) Plan(IReadOnlyList<Layer> layers, int[][] inputs, int[] readers)
    {
        var training = new FusedBlock?[layers.Count];
        var inference = new FusedBlock?[layers.Count];
        for (int k = 0; k < layers.Count; k++)
        {
            if (layers[k] is not Conv2D conv) continue;
            // Step j continues the block if it reads only value j (step j - 1's) and is its only reader.
            bool Follows(int j) => j < layers.Count && inputs[j].Length == 1 && inputs[j][0] == j && readers[j] == 1;

            if (Follows(k + 1) && layers[k + 1] is ReLU trainingReLU)
                training[k] = new FusedBlock(conv, null, trainingReLU, null);

            int next = k + 1;
            var norm = Follows(next) && layers[next] is BatchNorm2D n ? n : null;
            if (norm is not null) next++;
            var relu = Follows(next) && layers[next] is ReLU r ? r : null;
            if (relu is not null) next++;
            var pool = relu is not null && Follows(next) && layers[next] is MaxPool2D { IsTwoByTwo: true, CeilMode: false } p ? p : null;
            if (norm is not null || relu is not null)
                inference[k] = new FusedBlock(conv, norm, relu, pool);
        }
        return (training, inference);
    }
}
