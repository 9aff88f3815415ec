using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Training;

/// <summary>
/// Cross-entropy of class labels given logits (unnormalised scores), averaged over the batch:
/// <c>loss = mean over n of (logsumexp(z_n) - z_n[label_n])</c>. Softmax and log are fused:
/// subtracting the row maximum keeps every exponent at most 0, so no score overflows.
/// Backward: <c>dz = (softmax(z) - onehot(label)) / N</c>.
/// </summary>
public sealed class CrossEntropyLoss
{
    private Tensor? probabilities, dLogits;
    private int[] labels = [];
    private int count;

    /// <summary>The class probabilities of the last <see cref="Forward"/> call, [N, classes].</summary>
    public Tensor Probabilities => probabilities ?? throw new InvalidOperationException("CrossEntropyLoss: Forward has not been called.");

    /// <summary>Mean loss of a batch of logits [N, classes] against labels in [0, classes).</summary>
    public float Forward(Tensor logits, ReadOnlySpan<int> labels)
    {
        if (logits.Shape.Rank != 2)
            throw new ShapeException($"CrossEntropyLoss: expected logits [N, classes], got {logits.Shape}.");
        int n = logits.Shape[0], classes = logits.Shape[1];
        if (labels.Length != n)
            throw new ShapeException($"CrossEntropyLoss: {n} rows of logits but {labels.Length} labels.");
        var p = Tensor.Reuse(ref probabilities, logits.Shape);
        if (this.labels.Length != n) this.labels = new int[n];
        labels.CopyTo(this.labels);
        count = n;
        double total = 0;
        var z = logits.Span;
        var probs = p.Span;
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)classes)
                throw new ArgumentException($"CrossEntropyLoss: label {label} of row {i} is outside [0, {classes}).");
            var row = z.Slice(i * classes, classes);
            float max = TensorPrimitives.Max(row);
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += Math.Exp(row[j] - max);
            double logSumExp = max + Math.Log(sum);
            total += logSumExp - row[label];
            for (int j = 0; j < classes; j++) probs[i * classes + j] = (float)Math.Exp(row[j] - logSumExp);
        }
        return (float)(total / n);
    }

    /// <summary>Gradient of the mean loss with respect to the logits of the last Forward call.</summary>
    public Tensor Backward() => Backward(count);

    /// <summary>
    /// The gradient of the loss summed over the last Forward call's rows and divided by
    /// <paramref name="divisor"/>: a data-parallel rank's share of the mean over a global batch.
    /// </summary>
    internal Tensor Backward(int divisor)
    {
        var p = Probabilities;
        var d = Tensor.Reuse(ref dLogits, p.Shape);
        int classes = p.Shape[1];
        float scale = 1f / divisor;
        TensorPrimitives.Multiply(p.Span, scale, d.Span);
        var span = d.Span;
        for (int i = 0; i < count; i++) span[i * classes + labels[i]] -= scale;
        return d;
    }
}
