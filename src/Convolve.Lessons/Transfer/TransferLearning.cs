using System.Diagnostics;
using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Transfer;

/// <summary>How the models of a transfer-learning comparison are trained; the same for all of them.</summary>
/// <param name="Epochs">Passes over the training items.</param>
/// <param name="BatchSize">Items per optimisation step.</param>
/// <param name="Seed">Seed of initialisation and shuffling.</param>
/// <param name="Optimizer">Optimizer and learning rate (default Adam with <see cref="OptimizerSettings"/>'s defaults).</param>
/// <param name="Hidden">Units of a hidden ReLU layer in the head; 0 for none (a linear classifier).</param>
public sealed record TransferOptions(int Epochs = TransferOptions.DefaultEpochs, int BatchSize = TransferOptions.DefaultBatchSize, int Seed = 0,
    OptimizerSettings? Optimizer = null, int Hidden = 0)
{
    /// <summary>
    /// SGD's learning rate in a transfer comparison when none is given, lower than
    /// <see cref="OptimizerSettings.DefaultSgdLearningRate"/>: the heads here see features or raw
    /// pixels of small data sets and fine-tuning starts from pre-trained weights, where the train
    /// command's larger step is too large.
    /// </summary>
    public const float DefaultSgdLearningRate = 0.01f;

    /// <summary>The default number of epochs: small heads on small data sets converge in about this many.</summary>
    public const int DefaultEpochs = 20;

    /// <summary>The default batch size.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>The learning rate of <paramref name="kind"/> in a transfer comparison when none is given.</summary>
    public static float DefaultLearningRate(OptimizerKind kind) =>
        kind == OptimizerKind.Sgd ? DefaultSgdLearningRate : OptimizerSettings.DefaultLearningRate(kind);

    /// <summary>The optimizer settings, Adam with <see cref="OptimizerSettings"/>'s defaults when none are given.</summary>
    public OptimizerSettings OptimizerOrDefault => Optimizer ?? OptimizerSettings.Default(OptimizerKind.Adam);

    /// <summary>The options of <see cref="TrainingSession"/> (constant learning rate, no augmentation).</summary>
    public TrainingOptions Training(OptimizerSettings? optimizer = null) =>
        new(Epochs, BatchSize, Seed, optimizer ?? OptimizerOrDefault);
}

/// <summary>One trained model of a comparison and how it did on the held-out items.</summary>
/// <param name="Method">What was trained, e.g. "backbone features + new head".</param>
/// <param name="Input">What it read, e.g. "512 features" or "25x25x1 pixels".</param>
/// <param name="Accuracy">Fraction of held-out items classified right.</param>
/// <param name="Correct">Held-out items classified right.</param>
/// <param name="Tested">Held-out items.</param>
/// <param name="TrainedParameters">Parameters the optimizer updated.</param>
/// <param name="FrozenParameters">Parameters used but left as they were (the backbone's).</param>
/// <param name="Seconds">Training time (not counting features computed beforehand).</param>
public sealed record TransferResult(string Method, string Input, float Accuracy, int Correct, int Tested,
    long TrainedParameters, long FrozenParameters, double Seconds, Model Model);

/// <summary>
/// Transfer learning with a frozen pre-trained backbone: a new classification head trained on the
/// backbone's features, models trained from scratch on the same images for comparison, and
/// fine-tuning of the backbone's last layers together with the head.
/// </summary>
public static class TransferLearning
{
    /// <summary>
    /// A new classification head for features of <paramref name="featureShape"/>: Flatten, then
    /// (with <paramref name="hidden"/> &gt; 0) Dense(hidden) and ReLU, then Dense(classes) and Softmax.
    /// Its layers are named <c>head_*</c> so that they do not clash with a backbone's.
    /// </summary>
    public static Sequential CreateHead(Shape featureShape, int classes, int hidden, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        if (classes < 2) throw new ArgumentException($"A classifier needs at least 2 classes, got {classes}.");
        var layers = new List<Layer> { new Flatten { Name = "head_flatten" } };
        if (hidden > 0)
        {
            layers.Add(new Dense(hidden) { Name = "head_dense_1" });
            layers.Add(new ReLU { Name = "head_relu" });
        }
        layers.Add(new Dense(classes) { Name = hidden > 0 ? "head_dense_2" : "head_dense" });
        layers.Add(new Softmax { Name = "head_softmax" });
        var head = new Sequential(layers);
        head.Build(featureShape, seed);
        return head;
    }

    /// <summary>
    /// A new head with the layers (made from their configs), names and weights of
    /// <paramref name="head"/>, built for items of <paramref name="inputShape"/> (which must flatten
    /// to the same size: e.g. [F] for a head trained on [F, 1, 1]).
    /// </summary>
    public static Sequential CopyHead(Sequential head, Shape inputShape)
    {
        var copy = new Sequential(head.Layers.Select(l =>
        {
            var layer = l.GetConfig().CreateLayer();
            layer.Name = l.Name;
            return layer;
        }));
        copy.BuildShapes(inputShape);
        foreach (var (to, from) in copy.Parameters.Zip(head.Parameters)) from.Value.Span.CopyTo(to.Value.Span);
        return copy;
    }

    /// <summary>
    /// Trains <paramref name="model"/> (built for the items of <paramref name="train"/>) for
    /// <see cref="TransferOptions.Epochs"/> epochs, then tests it on <paramref name="test"/>.
    /// <paramref name="frozenParameters"/> is reported as such (parameters that feed the model's
    /// inputs, e.g. a backbone that computed them). <paramref name="onEpoch"/> gets each epoch's record.
    /// </summary>
    public static TransferResult TrainAndTest(string method, string input, Model model, ImageDataset train, ImageDataset test,
        TrainingOptions options, long frozenParameters = 0, Action<EpochRecord>? onEpoch = null)
    {
        var clock = Stopwatch.StartNew();
        var session = new TrainingSession(model, options);
        while (!session.IsFinished)
        {
            var record = session.RunEpoch(train)!;
            onEpoch?.Invoke(record);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var evaluation = session.Trainer.Evaluate(test);
        int correct = evaluation.Predictions.Zip(evaluation.Labels).Count(p => p.First == p.Second);
        long trained = model.Parameters.Where(p => p.Trainable).Sum(p => (long)p.Value.Length);
        long frozen = frozenParameters + model.Parameters.Where(p => !p.Trainable).Sum(p => (long)p.Value.Length);
        return new TransferResult(method, input, evaluation.Accuracy, correct, test.Count, trained, frozen, seconds, model);
    }

    /// <summary>
    /// Freezes every parameter of <paramref name="backbone"/> except those of its last
    /// <paramref name="layers"/> layers that hold parameters (which keep their own flag: batch
    /// normalisation's running statistics stay frozen). Returns the previous flags, for
    /// <see cref="RestoreTrainable"/>.
    /// </summary>
    public static Dictionary<Parameter, bool> FreezeAllButLast(Model backbone, int layers)
    {
        var saved = backbone.Parameters.ToDictionary(p => p, p => p.Trainable);
        var unfrozen = backbone.Layers.Where(l => l.Parameters.Count > 0).TakeLast(layers).SelectMany(l => l.Parameters).ToHashSet();
        foreach (var p in backbone.Parameters) p.Trainable = unfrozen.Contains(p) && saved[p];
        return saved;
    }

    /// <summary>Sets the flags saved by <see cref="FreezeAllButLast"/> back.</summary>
    public static void RestoreTrainable(Dictionary<Parameter, bool> saved)
    {
        foreach (var (p, trainable) in saved) p.Trainable = trainable;
    }

    /// <summary>What <see cref="FineTune"/> needs and gives beyond <see cref="TrainAndTest"/>.</summary>
    /// <param name="Front">The part of the backbone run once (null when the whole backbone is trained).</param>
    /// <param name="Back">The part of the backbone trained with the head (its earlier layers frozen).</param>
    /// <param name="FrontLayers">How many of the backbone's layers the front holds.</param>
    public sealed record FineTuneParts(Model? Front, Model Back, int FrontLayers);

    /// <summary>
    /// Cuts <paramref name="backbone"/> so that its last <paramref name="layers"/> layers holding
    /// parameters are in the back part (see <see cref="ModelParts.CutBefore"/>); the front, run
    /// once, computes the back's inputs. The backbone's layers are shared with the parts.
    /// </summary>
    public static FineTuneParts Cut(Model backbone, int layers)
    {
        int cut = ModelParts.CutBefore(backbone, layers);
        if (cut == 0) return new FineTuneParts(null, backbone, 0);
        var (front, back) = ModelParts.Split(backbone, cut);
        return new FineTuneParts(front, back, cut);
    }

    /// <summary>
    /// Fine-tunes the back of a backbone with a copy of <paramref name="trainedHead"/>: only the
    /// last <paramref name="layers"/> layers with parameters and the head are trained; the rest of
    /// the backbone is frozen (and restored to its flags afterwards). <paramref name="train"/> and
    /// <paramref name="test"/> hold the back part's inputs (the front's outputs, as images).
    /// </summary>
    public static TransferResult FineTune(FineTuneParts parts, int layers, Sequential trainedHead, ImageDataset train, ImageDataset test,
        TrainingOptions options, long frontParameters, Action<EpochRecord>? onEpoch = null)
    {
        // A copy, so that the head-only result stays as it was trained.
        var head = CopyHead(trainedHead, parts.Back.GetOutputShape(parts.Back.InputShape.Prepend(1)).ItemShape);
        var saved = FreezeAllButLast(parts.Back, layers);
        try
        {
            var model = new BodyWithHead(parts.Back, head);
            model.BuildShapes(BackboneInput.AsImageShape(parts.Back.InputShape));
            string input = parts.Front is null ? "images" : $"layer {parts.FrontLayers} outputs";
            return TrainAndTest($"fine-tuned last {layers} + head", input, model, train, test, options, frontParameters, onEpoch);
        }
        finally
        {
            RestoreTrainable(saved);
        }
    }
}
