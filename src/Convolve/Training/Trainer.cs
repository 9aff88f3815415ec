using Convolve.Data;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Training;

/// <summary>The outcome of one optimisation step: the batch's mean loss and how many it classified right.</summary>
public readonly record struct StepResult(float Loss, int Correct, int Count);

/// <summary>Progress within an epoch, reported after each batch.</summary>
public readonly record struct BatchProgress(int Batch, int BatchCount, int Seen, int Total, float MeanLoss, float Accuracy);

/// <summary>
/// Where an epoch stands: the next batch to train and the running sums so far. An interrupted
/// epoch returns it, and <see cref="Trainer.TrainEpoch"/> can continue from it.
/// </summary>
public readonly record struct EpochCursor(int NextBatch, double LossSum, int Correct, int Seen);

/// <summary>Mean loss and accuracy over one pass (or the part of it done, when <see cref="Completed"/> is false).</summary>
public readonly record struct EpochResult(float Loss, float Accuracy, int Count, bool Completed, EpochCursor Cursor);

/// <summary>Loss, accuracy and the predicted class of every image of a data set.</summary>
public sealed record Evaluation(float Loss, float Accuracy, int[] Predictions, int[] Labels);

/// <summary>
/// Trains a classifier with cross-entropy on its logits: a trailing <c>Softmax</c> layer is
/// skipped in training and evaluation loss (the loss applies it, fused and stable) and kept for
/// <see cref="Model.Forward"/>. Batches are copied into tensors the trainer keeps, so steady-state
/// epochs allocate nothing per batch.
/// </summary>
public sealed class Trainer
{
    private readonly CrossEntropyLoss loss = new();
    private Tensor? batch;
    private int[] batchLabels = [];
    private int[] order = [];

    public Trainer(Model model, Optimizer optimizer)
    {
        if (!model.IsBuilt) throw new InvalidOperationException("Trainer: build the model first (model.Build(inputShape, seed)).");
        Model = model;
        Optimizer = optimizer;
    }

    public Model Model { get; }
    public Optimizer Optimizer { get; }

    /// <summary>One step: forward, loss, backward, optimizer update.</summary>
    public StepResult TrainStep(Tensor images, ReadOnlySpan<int> labels)
    {
        Model.ZeroGradients();
        var logits = Model.ForwardLogits(images, training: true);
        float value = loss.Forward(logits, labels);
        Model.Backward(loss.Backward());
        Optimizer.Step();
        return new StepResult(value, CountCorrect(logits, labels), labels.Length);
    }

    /// <summary>
    /// One pass over <paramref name="data"/> in an order shuffled by <paramref name="random"/>,
    /// in batches of <paramref name="batchSize"/> (the last may be smaller). Stops after the
    /// current batch when <paramref name="cancellation"/> fires; the result's cursor then says
    /// where, and passing it back as <paramref name="resumeFrom"/> with a random source in the
    /// same state continues the same epoch as if it had not stopped.
    /// </summary>
    public EpochResult TrainEpoch(ImageDataset data, int batchSize, Random random,
        Action<BatchProgress>? onBatch = null, CancellationToken cancellation = default, EpochCursor resumeFrom = default)
    {
        if (batchSize <= 0) throw new ArgumentException($"Trainer: batch size must be positive, got {batchSize}.");
        if (order.Length != data.Count) order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        random.Shuffle(order);
        double lossSum = resumeFrom.LossSum;
        int correct = resumeFrom.Correct, seen = resumeFrom.Seen, batches = (data.Count + batchSize - 1) / batchSize;
        int b = resumeFrom.NextBatch;
        for (; b < batches && !cancellation.IsCancellationRequested; b++)
        {
            int start = b * batchSize, count = Math.Min(batchSize, data.Count - start);
            var (images, labels) = Fill(data, order.AsSpan(start, count));
            var step = TrainStep(images, labels);
            lossSum += step.Loss * count;
            correct += step.Correct;
            seen += count;
            onBatch?.Invoke(new BatchProgress(b + 1, batches, seen, data.Count, (float)(lossSum / seen), (float)correct / seen));
        }
        return new EpochResult(seen == 0 ? float.NaN : (float)(lossSum / seen), seen == 0 ? 0 : (float)correct / seen, seen,
            Completed: b == batches, new EpochCursor(b, lossSum, correct, seen));
    }

    /// <summary>Loss, accuracy and predictions on <paramref name="data"/>, in evaluation mode.</summary>
    public Evaluation Evaluate(ImageDataset data, int batchSize = 256)
    {
        var predictions = new int[data.Count];
        double lossSum = 0;
        int correct = 0;
        if (order.Length != data.Count) order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - start);
            var (images, labels) = Fill(data, order.AsSpan(start, count));
            var logits = Model.ForwardLogits(images, training: false);
            lossSum += loss.Forward(logits, labels) * count;
            correct += CountCorrect(logits, labels, predictions.AsSpan(start, count));
        }
        return new Evaluation((float)(lossSum / data.Count), (float)correct / data.Count, predictions, data.Labels);
    }

    private (Tensor Images, int[] Labels) Fill(ImageDataset data, ReadOnlySpan<int> indices)
    {
        var images = Tensor.Reuse(ref batch, data.ImageShape.Prepend(indices.Length));
        if (batchLabels.Length != indices.Length) batchLabels = new int[indices.Length];
        data.CopyBatch(indices, images, batchLabels);
        return (images, batchLabels);
    }

    /// <summary>Index of the largest value in each row of [N, classes] (first on ties).</summary>
    public static void ArgMax(Tensor scores, Span<int> classes)
    {
        int width = scores.Shape[1];
        var s = scores.Span;
        for (int i = 0; i < classes.Length; i++)
            classes[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(s.Slice(i * width, width));
    }

    private static int CountCorrect(Tensor logits, ReadOnlySpan<int> labels, Span<int> predictions = default)
    {
        int width = logits.Shape[1], correct = 0;
        var s = logits.Span;
        for (int i = 0; i < labels.Length; i++)
        {
            int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(s.Slice(i * width, width));
            if (!predictions.IsEmpty) predictions[i] = predicted;
            if (predicted == labels[i]) correct++;
        }
        return correct;
    }
}
