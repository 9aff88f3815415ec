using Convolve.Data;

namespace Convolve.Experiments;

/// <summary>One model's line in the ANN-versus-CNN comparison.</summary>
/// <param name="Name">The candidate's name.</param>
/// <param name="Parameters">Number of parameters.</param>
/// <param name="TestAccuracy">Fraction of the test images classified right.</param>
/// <param name="TrainSeconds">Wall-clock training time.</param>
/// <param name="ImagesPerSecond">Training images processed per second (epochs x images / time).</param>
public sealed record AnnVsCnnRow(string Name, long Parameters, float TestAccuracy, double TrainSeconds, double ImagesPerSecond);

/// <summary>
/// The article's first comparison, measured: a fully connected network against a CNN, trained the
/// same way on the same images and tested on the same test set.
/// </summary>
public static class AnnVsCnn
{
    /// <summary>The candidates compared when none are named: the <c>mlp</c> ANN and the <c>seed</c> CNN.</summary>
    public static IReadOnlyList<Candidate> DefaultCandidates { get; } = [Candidate.Mlp, Candidate.DenseHeadCnn];

    /// <summary>
    /// Trains each of <paramref name="candidates"/> on <paramref name="train"/> with
    /// <paramref name="settings"/> and tests it on <paramref name="test"/>. <paramref name="onRow"/>
    /// is called as each row is finished.
    /// </summary>
    public static IReadOnlyList<AnnVsCnnRow> Run(ImageDataset train, ImageDataset test, IReadOnlyList<Candidate> candidates,
        ExperimentSettings settings, Action<AnnVsCnnRow>? onRow = null, CancellationToken cancellation = default)
    {
        if (candidates.Count == 0) throw new ArgumentException("AnnVsCnn: no models to compare.");
        var rows = new List<AnnVsCnnRow>();
        foreach (var candidate in candidates)
        {
            var fitted = ExperimentTraining.Fit(candidate, train, settings, cancellation: cancellation);
            float accuracy = ExperimentTraining.Accuracy(fitted.Model, test);
            var row = new AnnVsCnnRow(candidate.Name, fitted.Parameters, accuracy, fitted.TrainSeconds,
                (double)fitted.Epochs * train.Count / Math.Max(fitted.TrainSeconds, 1e-9));
            rows.Add(row);
            onRow?.Invoke(row);
        }
        return rows;
    }
}
