using System.Diagnostics;
using Convolve.Data;
using Convolve.Models;
using Convolve.Training;

namespace Convolve.Experiments;

/// <summary>
/// How every model in an experiment is trained: the same epochs, batch size, optimizer and seed,
/// so that differences in the results come from the models and the data, not the training.
/// </summary>
/// <param name="Epochs">Passes over the training images.</param>
/// <param name="BatchSize">Images per optimisation step.</param>
/// <param name="Seed">Seed of initialisation, shuffling, augmentation and subsets.</param>
/// <param name="Optimizer">The optimizer; <see cref="DefaultOptimizer"/> when null.</param>
public sealed record ExperimentSettings(int Epochs = 3, int BatchSize = 64, int Seed = 0, OptimizerSettings? Optimizer = null)
{
    /// <summary>The optimizer used when none is given: SGD with <see cref="OptimizerSettings"/>'s defaults, as the <c>train</c> command.</summary>
    public static OptimizerSettings DefaultOptimizer { get; } = OptimizerSettings.Default(OptimizerKind.Sgd);

    /// <summary>The optimizer in effect.</summary>
    public OptimizerSettings OptimizerOrDefault => Optimizer ?? DefaultOptimizer;

    /// <summary>Throws when a value cannot be used.</summary>
    public void Validate()
    {
        if (Epochs <= 0) throw new ArgumentException($"Experiment: epochs must be positive, got {Epochs}.");
        if (BatchSize <= 0) throw new ArgumentException($"Experiment: batch size must be positive, got {BatchSize}.");
    }
}

/// <summary>A model trained in an experiment, with what it cost.</summary>
/// <param name="Candidate">Which network.</param>
/// <param name="Model">The trained model.</param>
/// <param name="Parameters">Its number of parameters.</param>
/// <param name="Epochs">Epochs it was trained for.</param>
/// <param name="TrainSeconds">Wall-clock time of training (without evaluation).</param>
public sealed record FittedModel(Candidate Candidate, Sequential Model, long Parameters, int Epochs, double TrainSeconds);

/// <summary>Trains candidates with a <see cref="TrainingSession"/>; shared by the experiments.</summary>
public static class ExperimentTraining
{
    /// <summary>
    /// Builds <paramref name="candidate"/> for <paramref name="train"/>'s images (initialised from
    /// the settings' seed) and trains it for <paramref name="epochs"/> (default: the settings'),
    /// with optional <paramref name="augmentation"/>.
    /// </summary>
    public static FittedModel Fit(Candidate candidate, ImageDataset train, ExperimentSettings settings,
        int? epochs = null, Augmentation? augmentation = null, CancellationToken cancellation = default)
    {
        settings.Validate();
        var model = candidate.Create(train.ImageShape[0], train.ClassCount);
        model.Build(train.ImageShape, settings.Seed);
        var options = new TrainingOptions(epochs ?? settings.Epochs, settings.BatchSize, settings.Seed, settings.OptimizerOrDefault, augmentation);
        var session = new TrainingSession(model, options);
        var clock = Stopwatch.StartNew();
        while (!session.IsFinished)
        {
            if (session.RunEpoch(train, cancellation: cancellation) is null) cancellation.ThrowIfCancellationRequested();
        }
        return new FittedModel(candidate, model, model.Summarize().TotalParameters, options.Epochs, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The fraction of <paramref name="test"/> that <paramref name="model"/> classifies right.</summary>
    public static float Accuracy(Sequential model, ImageDataset test) =>
        new Trainer(model, ExperimentSettings.DefaultOptimizer.Create([])).Evaluate(test).Accuracy;
}
