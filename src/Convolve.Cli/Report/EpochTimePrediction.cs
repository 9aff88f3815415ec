using System.Diagnostics;
using System.Globalization;
using Convolve.Data;
using Convolve.Models;
using Convolve.Training;

namespace Convolve.Cli.Report;

/// <summary>
/// How long one epoch should take, predicted before training from a short calibration: a few
/// training steps (forward, loss, backward, optimizer update, with the run's batches and
/// augmentation) and a validation pass over a few images, timed after a warm-up.
/// </summary>
/// <param name="Seconds">The predicted time of one epoch: training steps plus validation.</param>
/// <param name="SecondsPerImage">Training time per image, from the timed steps.</param>
/// <param name="ValidationSecondsPerImage">Validation time per image; 0 when the run holds none out.</param>
/// <param name="Batches">Training steps of the run's batch size timed (after one untimed).</param>
/// <param name="WarmupSteps">Small training steps run first and not timed (see <see cref="MinWarmupSteps"/>).</param>
/// <param name="CalibrationSeconds">How long the whole calibration took, warm-up included.</param>
internal sealed record EpochTimePrediction(double Seconds, double SecondsPerImage, double ValidationSecondsPerImage, int Batches, int WarmupSteps,
    double CalibrationSeconds)
{
    /// <summary>Images in each warm-up step: small, so that the warm-up is cheap whatever the model.</summary>
    public const int WarmupBatchSize = 8;

    /// <summary>
    /// Warm-up steps at least: .NET first runs each method as quickly compiled code and optimises
    /// it once it has been called 30 times, so a step timed before that is several times slower
    /// than the steps of a long run.
    /// </summary>
    public const int MinWarmupSteps = 200;

    /// <summary>Warm-up time at least (the optimising compiler waits for the program to stop compiling new methods for 100 ms).</summary>
    public static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(1);

    /// <summary>Warm-up time at most: a large model stops warming up after this, however few steps it took.</summary>
    public static readonly TimeSpan WarmupLimit = TimeSpan.FromSeconds(3);

    /// <summary>The most steps timed; fewer (but at least 3) when they already took <see cref="TimedBudget"/>.</summary>
    public const int MaxBatches = 8;

    /// <summary>Enough timing for a prediction.</summary>
    public static readonly TimeSpan TimedBudget = TimeSpan.FromSeconds(3);

    /// <summary>Validation images timed at most (after one untimed batch).</summary>
    public const int ValidationImages = 512;

    private const string Key = "train-epoch-prediction";

    /// <summary>
    /// Times <paramref name="session"/>'s training on a twin of its model: the same architecture
    /// with the session's current weights copied in, its own optimizer, and data loaders of its
    /// own over <paramref name="train"/>. The session's model, optimizer, loader, random state and
    /// step count are never touched, so a calibrated run trains exactly as an uncalibrated one.
    /// A warm-up of small steps comes first; the prediction takes the median time per image of
    /// the timed steps, since a step that another program on the machine slowed down says little
    /// about the thousands to come. The twin trains at the run's base rate; the result is null
    /// when its steps diverge (the run itself will then say so).
    /// </summary>
    public static EpochTimePrediction? Calibrate(Model twin, TrainingSession session, ImageDataset train, ImageDataset? validation)
    {
        var total = Stopwatch.StartNew();
        using (var from = session.Model.Parameters.GetEnumerator())
            foreach (var parameter in twin.Parameters)
            {
                if (!from.MoveNext() || from.Current.Value.Shape != parameter.Value.Shape)
                    throw new InvalidOperationException("EpochTimePrediction: the twin's parameters differ from the model's.");
                from.Current.Value.Span.CopyTo(parameter.Value.Span);
            }
        twin.SetMaxThreads(session.Model.MaxThreads);
        var options = session.Options;
        var trainer = new Trainer(twin, options.OptimizerOrDefault.Create(twin.Parameters),
            LearningRateSchedule.Constant(options.OptimizerOrDefault.LearningRate));
        DataLoader Loader(int batchSize) =>
            new(train, new DataLoaderOptions { BatchSize = batchSize, Seed = options.Seed, Augmentation = options.Augmentation });
        var loader = Loader(options.BatchSize);
        var perImage = new List<double>();
        int warmSteps = 0;
        try
        {
            var warm = Stopwatch.StartNew();
            foreach (var batch in Endless(Loader(Math.Min(WarmupBatchSize, options.BatchSize)), session.CompletedEpochs))
            {
                trainer.TrainStep(batch.Images, batch.Labels);
                warmSteps++;
                if ((warmSteps >= MinWarmupSteps && warm.Elapsed >= WarmupTime) || warm.Elapsed >= WarmupLimit) break;
            }

            int steps = 0;
            var clock = new Stopwatch();
            var timed = Stopwatch.StartNew();
            foreach (var batch in Endless(loader, session.CompletedEpochs))
            {
                clock.Restart(); // the first full-size step is not counted: the buffers grow to the run's batch size
                trainer.TrainStep(batch.Images, batch.Labels);
                clock.Stop();
                if (steps++ > 0) perImage.Add(clock.Elapsed.TotalSeconds / batch.Count);
                if (perImage.Count >= MaxBatches || (perImage.Count >= 3 && timed.Elapsed >= TimedBudget)) break;
            }
        }
        catch (Training.Diagnostics.TrainingDivergedException) { return null; }

        double validationPerImage = 0;
        if (validation is not null)
        {
            int first = Math.Min(256, validation.Count), count = Math.Min(ValidationImages, validation.Count);
            trainer.Evaluate(validation.Subset([.. Enumerable.Range(0, first)])); // warm-up
            var part = validation.Subset([.. Enumerable.Range(0, count)]);
            var evaluation = Stopwatch.StartNew();
            trainer.Evaluate(part);
            validationPerImage = evaluation.Elapsed.TotalSeconds / count;
        }
        double trainPerImage = Median(perImage);
        double seconds = trainPerImage * loader.ItemsPerEpoch + validationPerImage * (validation?.Count ?? 0);
        return new EpochTimePrediction(seconds, trainPerImage, validationPerImage, perImage.Count, warmSteps, total.Elapsed.TotalSeconds);
    }

    // The batches of epochs `first`, `first + 1`, ... in order: a tiny data set has fewer batches than the calibration takes.
    private static IEnumerable<Batch> Endless(DataLoader loader, int first)
    {
        for (int epoch = first; ; epoch++)
            foreach (var batch in loader.Epoch(epoch)) yield return batch;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /// <summary>The console line: "Predicted: about 4.1 s per epoch (from 8 calibration batches)".</summary>
    public string Summary => $"Predicted: about {Duration(Seconds)} per epoch (from {Terminal.Plural(Batches, "calibration batch", "calibration batches")})";

    /// <summary>A duration as people say it: "0.42 s", "4.1 s", "95 s", "12.5 min".</summary>
    public static string Duration(double seconds) => seconds switch
    {
        < 1 => seconds.ToString("0.##", CultureInfo.InvariantCulture) + " s",
        < 10 => seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
        < 120 => seconds.ToString("0", CultureInfo.InvariantCulture) + " s",
        _ => (seconds / 60).ToString("0.0", CultureInfo.InvariantCulture) + " min",
    };

    /// <summary>Adds this prediction to a checkpoint's metadata, so that <c>convolve report</c> can show it.</summary>
    public void WriteTo(IDictionary<string, string> metadata) => metadata[Key] = string.Join(";",
        new[] { Seconds, SecondsPerImage, ValidationSecondsPerImage, Batches, WarmupSteps, CalibrationSeconds }
            .Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>The prediction a checkpoint's metadata holds, or null when it holds none (or one this version cannot read).</summary>
    public static EpochTimePrediction? From(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || !metadata.TryGetValue(Key, out var text)) return null;
        var parts = text.Split(';');
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]) || values[i] < 0)
                return null;
        return values.Length == 6 ? new EpochTimePrediction(values[0], values[1], values[2], (int)values[3], (int)values[4], values[5]) : null;
    }
}
