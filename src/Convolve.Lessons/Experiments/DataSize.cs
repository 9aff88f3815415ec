using Convolve.Data;

namespace Convolve.Experiments;

/// <summary>One (training set size, model) result.</summary>
/// <param name="PerClass">Training images per class, or null for the whole training set.</param>
/// <param name="TrainCount">Training images in all.</param>
/// <param name="Name">The candidate's name.</param>
/// <param name="Epochs">Epochs trained (more for small sets, see <see cref="DataSize.EpochsFor"/>).</param>
/// <param name="TestAccuracy">Fraction of the test images classified right.</param>
/// <param name="TrainSeconds">Wall-clock training time.</param>
public sealed record DataSizeRow(int? PerClass, int TrainCount, string Name, int Epochs, float TestAccuracy, double TrainSeconds);

/// <summary>
/// Test accuracy against the number of training images: the article's remark that CNNs need a
/// lot of data, measured for an ANN and a CNN trained on seeded, class-balanced subsets
/// (<see cref="DatasetSplit.TakePerClass"/>) and tested on the same full test set.
/// </summary>
public static class DataSize
{
    /// <summary>The subset sizes (images per class) tried by default; the whole training set is added after them.</summary>
    public static IReadOnlyList<int> DefaultSizes { get; } = [10, 30, 100, 300];

    /// <summary>
    /// Epochs for a training set of <paramref name="count"/> images: at least
    /// <paramref name="epochs"/>, and enough that training takes at least
    /// <paramref name="minSteps"/> optimisation steps. Without the second rule a set of 100
    /// images would get two steps per epoch and the comparison would measure too little
    /// training rather than too little data.
    /// </summary>
    public static int EpochsFor(int count, int batchSize, int epochs, int minSteps)
    {
        int stepsPerEpoch = (count + batchSize - 1) / batchSize;
        return Math.Max(epochs, (minSteps + stepsPerEpoch - 1) / stepsPerEpoch);
    }

    /// <summary>
    /// For each size in <paramref name="perClassSizes"/> (and the whole of <paramref name="train"/>
    /// when <paramref name="includeAll"/>), draws that many images of each class with the
    /// settings' seed, trains every candidate on them and tests it on <paramref name="test"/>.
    /// Sizes larger than the smallest class are refused.
    /// </summary>
    public static IReadOnlyList<DataSizeRow> Run(ImageDataset train, ImageDataset test, IReadOnlyList<Candidate> candidates,
        IReadOnlyList<int> perClassSizes, bool includeAll, ExperimentSettings settings, int minSteps,
        Action<DataSizeRow>? onRow = null, CancellationToken cancellation = default)
    {
        if (candidates.Count == 0) throw new ArgumentException("DataSize: no models to compare.");
        if (perClassSizes.Count == 0 && !includeAll) throw new ArgumentException("DataSize: no training set sizes given.");
        if (minSteps < 0) throw new ArgumentException($"DataSize: the minimum number of steps must not be negative, got {minSteps}.");
        int smallestClass = Enumerable.Range(0, train.ClassCount).Min(c => train.Labels.Count(l => l == c));
        foreach (int size in perClassSizes)
        {
            if (size <= 0) throw new ArgumentException($"DataSize: {size} images per class; sizes must be positive.");
            if (size > smallestClass)
                throw new ArgumentException($"DataSize: {size} images per class asked for, but the smallest class of the training set has {smallestClass}.");
        }

        var subsets = perClassSizes.Select(n => ((int?)n, DatasetSplit.TakePerClass(train, n, settings.Seed))).ToList();
        if (includeAll) subsets.Add((null, train));
        var rows = new List<DataSizeRow>();
        foreach (var (perClass, subset) in subsets)
        {
            int epochs = EpochsFor(subset.Count, settings.BatchSize, settings.Epochs, minSteps);
            foreach (var candidate in candidates)
            {
                var fitted = ExperimentTraining.Fit(candidate, subset, settings, epochs, cancellation: cancellation);
                var row = new DataSizeRow(perClass, subset.Count, candidate.Name, epochs,
                    ExperimentTraining.Accuracy(fitted.Model, test), fitted.TrainSeconds);
                rows.Add(row);
                onRow?.Invoke(row);
            }
        }
        return rows;
    }
}
