namespace Convolve.Training;

/// <summary>
/// Accuracy, per-class precision and recall, and the confusion matrix of a classifier's
/// predictions. <c>Confusion[actual, predicted]</c> counts images of class <c>actual</c> that were
/// predicted as <c>predicted</c>; precision of class c = Confusion[c, c] / column c's sum,
/// recall = Confusion[c, c] / row c's sum (0 when the sum is 0).
/// </summary>
public sealed class ClassificationReport
{
    private ClassificationReport(IReadOnlyList<string> classNames, int[,] confusion)
    {
        ClassNames = classNames;
        Confusion = confusion;
        int classes = classNames.Count;
        Precision = new double[classes];
        Recall = new double[classes];
        Support = new int[classes];
        long correct = 0, total = 0;
        for (int c = 0; c < classes; c++)
        {
            int rowSum = 0, columnSum = 0;
            for (int other = 0; other < classes; other++)
            {
                rowSum += confusion[c, other];
                columnSum += confusion[other, c];
            }
            Support[c] = rowSum;
            Precision[c] = columnSum == 0 ? 0 : (double)confusion[c, c] / columnSum;
            Recall[c] = rowSum == 0 ? 0 : (double)confusion[c, c] / rowSum;
            correct += confusion[c, c];
            total += rowSum;
        }
        Accuracy = total == 0 ? 0 : (double)correct / total;
        Count = (int)total;
    }

    /// <summary>The name of each class, by index.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Counts [true class, predicted class]: row c holds where the images of class c went.</summary>
    public int[,] Confusion { get; }
    /// <summary>The fraction of images predicted right, 0 to 1 (0 for no images).</summary>
    public double Accuracy { get; }
    /// <summary>For each class, the fraction of the images predicted as it that are it (0 when none were).</summary>
    public double[] Precision { get; }
    /// <summary>For each class, the fraction of its images predicted as it (0 when it has none).</summary>
    public double[] Recall { get; }

    /// <summary>Number of images of each class.</summary>
    public int[] Support { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>F1 score of class <paramref name="c"/>: the harmonic mean of its precision and recall.</summary>
    public double F1(int c) => Precision[c] + Recall[c] == 0 ? 0 : 2 * Precision[c] * Recall[c] / (Precision[c] + Recall[c]);

    /// <summary>Builds the report from predicted and true class indices.</summary>
    public static ClassificationReport From(ReadOnlySpan<int> predictions, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames)
    {
        if (predictions.Length != labels.Length)
            throw new ArgumentException($"ClassificationReport: {predictions.Length} predictions but {labels.Length} labels.");
        int classes = classNames.Count;
        var confusion = new int[classes, classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes || (uint)predictions[i] >= (uint)classes)
                throw new ArgumentException($"ClassificationReport: item {i} has label {labels[i]} and prediction {predictions[i]}; " +
                    $"classes are 0 to {classes - 1}.");
            confusion[labels[i], predictions[i]]++;
        }
        return new ClassificationReport(classNames, confusion);
    }

    /// <summary>From an <see cref="Evaluation"/>.</summary>
    public static ClassificationReport From(Evaluation evaluation, IReadOnlyList<string> classNames) =>
        From(evaluation.Predictions, evaluation.Labels, classNames);
}
