using Convolve.Data;
using Convolve.Distributed;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training.Diagnostics;

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
/// <see cref="Model.Forward"/>. Batches come from a <see cref="DataLoader"/>, which reuses its
/// buffers, so steady-state epochs allocate nothing per batch.
/// </summary>
public sealed class Trainer
{
    private readonly CrossEntropyLoss loss = new();

    /// <summary>
    /// A trainer of <paramref name="model"/> (built) by <paramref name="optimizer"/>, each step at the
    /// rate <paramref name="schedule"/> gives. Without a schedule, set <see cref="Schedule"/> before
    /// training or pass each step's rate to <see cref="TrainStep(Tensor, ReadOnlySpan{int}, float)"/>;
    /// evaluation needs none.
    /// </summary>
    public Trainer(Model model, Optimizer optimizer, LearningRateSchedule? schedule = null)
    {
        if (!model.IsBuilt) throw new InvalidOperationException("Trainer: build the model first (model.Build(inputShape, seed)).");
        Model = model;
        Optimizer = optimizer;
        Schedule = schedule;
        Monitor = new TrainingMonitor(model);
    }

    /// <summary>A trainer whose every step is at <paramref name="learningRate"/>.</summary>
    public Trainer(Model model, Optimizer optimizer, float learningRate)
        : this(model, optimizer, LearningRateSchedule.Constant(learningRate)) { }

    /// <summary>The model trained.</summary>
    public Model Model { get; }

    /// <summary>The update rule and its state; its <see cref="Optimizer.Steps"/> count the steps taken.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>
    /// The learning rate of each step: step <see cref="Optimizer.Steps"/> (from 0) runs at
    /// <c>Schedule.At(Optimizer.Steps)</c>. Null when each step is given its rate.
    /// </summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>The learning rate of the step in progress, or of the last one taken; NaN before the first.</summary>
    public float LastLearningRate { get; private set; } = float.NaN;

    /// <summary>
    /// Watches every step (see <see cref="TrainingMonitor"/>): a non-finite loss, weight or
    /// gradient stops training with a <see cref="TrainingDivergedException"/>, other trouble is
    /// raised as a warning. One with default thresholds is attached from the start; null turns
    /// the checks off.
    /// </summary>
    public TrainingMonitor? Monitor { get; set; }

    /// <summary>
    /// Data-parallel training across processes, or null for one process. With it, each step of
    /// <see cref="TrainEpoch"/> trains this rank's shard of the global batch, sums the gradients
    /// over the ranks and reports the global loss and accuracy (see <see cref="DataParallel"/>);
    /// every rank must train the same model on the same data with the same options.
    /// </summary>
    public DataParallel? Parallel { get; set; }

    private int classes;

    /// <summary>
    /// One step at the rate the <see cref="Schedule"/> gives for it: forward, loss, backward,
    /// optimizer update. Throws a <see cref="TrainingDivergedException"/> (before the update) when
    /// the <see cref="Monitor"/> finds a non-finite loss, weight or gradient.
    /// </summary>
    public StepResult TrainStep(Tensor images, ReadOnlySpan<int> labels) => TrainStep(images, labels, NextRate());

    private float NextRate() => Schedule?.At(Optimizer.Steps)
        ?? throw new InvalidOperationException("Trainer: no learning rate: give the trainer a schedule or a rate, or pass each step's rate to TrainStep.");

    /// <summary>
    /// One step at <paramref name="learningRate"/> (finite, 0 or more), whatever the <see cref="Schedule"/>:
    /// forward, loss, backward, optimizer update, as <see cref="TrainStep(Tensor, ReadOnlySpan{int})"/>.
    /// With <see cref="Parallel"/> set, <paramref name="images"/> is the global batch (the same on
    /// every rank), of which this rank trains its shard; the result is the whole batch's.
    /// </summary>
    public StepResult TrainStep(Tensor images, ReadOnlySpan<int> labels, float learningRate)
    {
        bool stop = false;
        if (Parallel is not null) return TrainShard(Parallel, images, labels, learningRate, ref stop);
        LastLearningRate = learningRate;
        Model.ZeroGradients();
        var logits = Model.ForwardLogits(images, training: true);
        float value = loss.Forward(logits, labels);
        Monitor?.AfterLoss(this, images, value, logits.Shape[1]);
        Model.BackwardParameters(loss.Backward());
        Monitor?.AfterBackward(this, images);
        Optimizer.Step(learningRate, Model.MaxThreads);
        return new StepResult(value, CountCorrect(logits, labels), labels.Length);
    }

    /// <summary>
    /// Epoch <paramref name="epoch"/> of <paramref name="loader"/>'s batches. Stops after the
    /// current batch when <paramref name="cancellation"/> fires; the result's cursor then says
    /// where, and passing it back as <paramref name="resumeFrom"/> continues the same epoch as if
    /// it had not stopped (the loader's order and augmentation depend only on seed and epoch).
    /// </summary>
    public EpochResult TrainEpoch(DataLoader loader, int epoch, Action<BatchProgress>? onBatch = null,
        CancellationToken cancellation = default, EpochCursor resumeFrom = default)
    {
        double lossSum = resumeFrom.LossSum;
        int correct = resumeFrom.Correct, seen = resumeFrom.Seen, next = resumeFrom.NextBatch;
        int batches = loader.BatchCount, total = loader.ItemsPerEpoch;
        if (Monitor is not null) Monitor.Epoch = epoch;
        foreach (var batch in loader.Epoch(epoch, firstBatch: next))
        {
            bool stop = cancellation.IsCancellationRequested;
            if (stop && Parallel is null) break;
            // Across processes a stop is agreed on in the step's figures, so every rank stops after the same step.
            var step = Parallel is null ? TrainStep(batch.Images, batch.Labels) : TrainShard(Parallel, batch.Images, batch.Labels, NextRate(), ref stop);
            lossSum += step.Loss * batch.Count;
            correct += step.Correct;
            seen += batch.Count;
            next = batch.Index + 1;
            onBatch?.Invoke(new BatchProgress(next, batches, seen, total, (float)(lossSum / seen), (float)correct / seen));
            if (stop) break;
        }
        return new EpochResult(seen == 0 ? float.NaN : (float)(lossSum / seen), seen == 0 ? 0 : (float)correct / seen, seen,
            Completed: next == batches, new EpochCursor(next, lossSum, correct, seen));
    }

    // One data-parallel step: this rank's shard forward and backward, the gradients summed over the
    // ranks, the same update everywhere. The figures returned are the whole batch's.
    private StepResult TrainShard(DataParallel parallel, Tensor images, ReadOnlySpan<int> labels, float learningRate, ref bool stop)
    {
        LastLearningRate = learningRate;
        var (start, count) = parallel.Shard(labels.Length);
        var local = count > 0 ? parallel.ShardOf(images, start, count) : images;
        var localLabels = labels.Slice(start, count);
        Model.ZeroGradients();
        double lossSum = 0;
        int correct = 0;
        if (count > 0)
        {
            var logits = Model.ForwardLogits(local, training: true);
            classes = logits.Shape[1];
            lossSum = (double)loss.Forward(logits, localLabels) * count;
            correct = CountCorrect(logits, localLabels);
        }
        var global = parallel.ReduceStep(lossSum, correct, count, stop);
        stop = global.Stop;
        float value = (float)(global.LossSum / global.Count);
        // The checks see the global loss and (below) the summed gradients, the same on every rank,
        // so a divergence stops every rank at the same step.
        Monitor?.AfterLoss(this, local, value, classes);
        parallel.BackwardAndSumGradients(Model, count > 0 ? loss.Backward(global.Count) : null);
        Monitor?.AfterBackward(this, local);
        Optimizer.Step(learningRate, Model.MaxThreads);
        return new StepResult(value, global.Correct, global.Count);
    }

    /// <summary>Loss, accuracy and predictions on <paramref name="data"/>, in evaluation mode.</summary>
    public Evaluation Evaluate(ImageDataset data, int batchSize = 256)
    {
        var predictions = new int[data.Count];
        double lossSum = 0;
        int correct = 0;
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });
        foreach (var batch in loader.Epoch(0))
        {
            var logits = Model.ForwardLogits(batch.Images, training: false);
            lossSum += loss.Forward(logits, batch.Labels) * batch.Count;
            correct += CountCorrect(logits, batch.Labels, predictions.AsSpan(batch.Index * batchSize, batch.Count));
        }
        return new Evaluation((float)(lossSum / data.Count), (float)correct / data.Count, predictions, data.Labels);
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
