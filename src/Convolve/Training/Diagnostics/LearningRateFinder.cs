using Convolve.Data;
using Convolve.Models;

namespace Convolve.Training.Diagnostics;

/// <summary>Options of a <see cref="LearningRateFinder"/> run.</summary>
public sealed record LearningRateFinderOptions
{
    /// <summary>The learning rate of the first step.</summary>
    public float MinRate { get; init; } = 1e-6f;

    /// <summary>The learning rate of the last step.</summary>
    public float MaxRate { get; init; } = 10f;

    /// <summary>Steps from <see cref="MinRate"/> to <see cref="MaxRate"/>, the rate growing by the same factor at each.</summary>
    public int Steps { get; init; } = 100;

    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed of the batches' order.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Weight of the past in the loss's moving average. fastai's 0.98 averages over about 50
    /// steps, which over a 100-step test spanning 7 decades shifts the curve by more than 3
    /// decades towards large rates; 0.9 (about 10 steps) smooths the batch noise with a lag of
    /// under one decade.
    /// </summary>
    public double Smoothing { get; init; } = 0.9;

    /// <summary>The test stops early once the smoothed loss exceeds its best by this factor (it has diverged).</summary>
    public double StopFactor { get; init; } = 4;

    /// <summary>Throws naming the first option that cannot work.</summary>
    public void Validate()
    {
        InvalidSettingException.RequirePositive(nameof(MinRate), "The smallest learning rate", MinRate);
        InvalidSettingException.RequirePositive(nameof(MaxRate), "The largest learning rate", MaxRate);
        if (!(MaxRate > MinRate)) throw new ArgumentException($"The largest learning rate ({MaxRate}) must be above the smallest ({MinRate}).");
        if (Steps < 5) throw new ArgumentException($"A range test needs at least 5 steps, got {Steps}.");
        if (BatchSize < 1) throw new ArgumentException($"The batch size must be at least 1, got {BatchSize}.");
        InvalidSettingException.RequireFraction(nameof(Smoothing), "The loss smoothing", Smoothing);
        if (!(StopFactor > 1)) throw new ArgumentException($"The stop factor must be above 1, got {StopFactor}.");
    }
}

/// <summary>One step of a range test: the rate it used, the batch's loss and the moving average up to it.</summary>
public readonly record struct LearningRatePoint(float Rate, float Loss, float SmoothedLoss);

/// <summary>
/// What a range test measured and the rate it suggests.
/// </summary>
/// <param name="Points">One per step taken, the rate growing.</param>
/// <param name="Suggested">The suggested learning rate (see <see cref="LearningRateFinder"/>).</param>
/// <param name="Steepest">The rate where the smoothed loss fell fastest.</param>
/// <param name="MinimumLoss">The rate with the lowest smoothed loss.</param>
/// <param name="Diverged">Whether the loss blew up before the largest rate (the test then stopped early).</param>
public sealed record LearningRateRange(IReadOnlyList<LearningRatePoint> Points, float Suggested, float Steepest, float MinimumLoss, bool Diverged)
{
    /// <summary>The curve as CSV: step, learning_rate, loss, smoothed_loss.</summary>
    public string ToCsv()
    {
        var csv = new System.Text.StringBuilder("step,learning_rate,loss,smoothed_loss\n");
        for (int i = 0; i < Points.Count; i++)
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i + 1},{Points[i].Rate:R},{Points[i].Loss:R},{Points[i].SmoothedLoss:R}\n");
        return csv.ToString();
    }
}

/// <summary>
/// The learning-rate range test (Leslie Smith, "Cyclical learning rates", 2017; fastai's
/// <c>lr_find</c>): a short run whose learning rate grows exponentially at every step, from far
/// too small to far too large, recording the loss. The loss stays flat while the rate is too
/// small, falls once it is large enough and blows up when it is too large; a good rate lies on
/// the falling part. The model's weights (and the layers' random state) are put back exactly
/// afterwards: nothing is learned.
/// <para>
/// Two rules are common: the rate where the smoothed loss falls fastest against log(rate) (Smith;
/// fastai's "steep"), which tends to be cautious because the curve lags the rate, and a tenth of
/// the rate of the lowest loss (fastai's "minimum / 10"), which tends to be bold because the
/// earlier steps have already trained the model. The suggestion is their geometric mean, or a
/// tenth of the minimum's rate when the steepest point lies above it.
/// </para>
/// </summary>
public static class LearningRateFinder
{
    /// <summary>
    /// Runs the test on <paramref name="model"/> (built) with batches of <paramref name="data"/>,
    /// an optimizer of <paramref name="optimizer"/>'s kind and settings (its learning rate is not
    /// used: each step runs at the test's rate; SGD with momentum 0.9 when null).
    /// </summary>
    public static LearningRateRange Run(Model model, ImageDataset data, OptimizerSettings? optimizer = null,
        LearningRateFinderOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new LearningRateFinderOptions();
        options.Validate();
        if (!model.IsBuilt) throw new InvalidOperationException("LearningRateFinder: build the model first.");
        if (data.Count == 0) throw new ArgumentException("LearningRateFinder: the data set is empty.");
        var settings = (optimizer ?? new OptimizerSettings()) with { LearningRate = options.MinRate };

        var weights = model.ParameterValues.ToArray();
        var randomStates = model.Layers.Select(l => l.RandomState).ToArray();
        try
        {
            var trainer = new Trainer(model, settings.Create(model.Parameters)) { Monitor = null };
            var loader = new DataLoader(data, new DataLoaderOptions
            {
                BatchSize = Math.Min(options.BatchSize, data.Count),
                Seed = options.Seed,
                // A last small batch is a noisy point on the curve.
                LastBatch = LastBatch.Drop,
            });
            var points = new List<LearningRatePoint>(options.Steps);
            double growth = Math.Pow(options.MaxRate / (double)options.MinRate, 1.0 / (options.Steps - 1));
            double average = 0, power = 1, best = double.PositiveInfinity;
            bool diverged = false;
            for (int epoch = 0; points.Count < options.Steps && !diverged; epoch++)
                foreach (var batch in loader.Epoch(epoch))
                {
                    if (points.Count == options.Steps || cancellation.IsCancellationRequested) break;
                    float rate = (float)(options.MinRate * Math.Pow(growth, points.Count));
                    float loss = trainer.TrainStep(batch.Images, batch.Labels, rate).Loss;
                    if (!float.IsFinite(loss))
                    {
                        diverged = true;
                        break;
                    }
                    average = options.Smoothing * average + (1 - options.Smoothing) * loss;
                    power *= options.Smoothing;
                    double smoothed = average / (1 - power);
                    points.Add(new LearningRatePoint(rate, loss, (float)smoothed));
                    best = Math.Min(best, smoothed);
                    if (points.Count > 5 && smoothed > options.StopFactor * best)
                    {
                        diverged = true;
                        break;
                    }
                }
            cancellation.ThrowIfCancellationRequested();
            return Suggest(points, diverged);
        }
        finally
        {
            weights.CopyTo(model.ParameterValues);
            for (int i = 0; i < randomStates.Length; i++)
                if (randomStates[i] is { } state) model.Layers[i].RandomState = state;
        }
    }

    /// <summary>The suggestion for a measured curve (see the class's remarks).</summary>
    public static LearningRateRange Suggest(IReadOnlyList<LearningRatePoint> points, bool diverged)
    {
        if (points.Count < 3)
            throw new ArgumentException($"The range test diverged after {Words.Plural(points.Count, "step")}: start it at a smaller learning rate.");
        int minimum = 0;
        for (int i = 1; i < points.Count; i++)
            if (points[i].SmoothedLoss < points[minimum].SmoothedLoss) minimum = i;
        // Slope of the smoothed loss against log(rate) by central differences over a few points
        // either side; the rate grows by a constant factor, so the slope is proportional to the
        // difference.
        // difference. The first tenth is skipped: there the average is still settling, and a
        // first batch's loss above the next ones looks like a steep fall.
        int steepest = -1, k = Math.Max(1, points.Count / 20);
        float steepestSlope = 0;
        for (int i = Math.Max(k, points.Count / 10); i < Math.Min(minimum, points.Count - k); i++)
        {
            float slope = points[i + k].SmoothedLoss - points[i - k].SmoothedLoss;
            if (slope < steepestSlope)
            {
                steepestSlope = slope;
                steepest = i;
            }
        }
        float minimumRate = points[minimum].Rate;
        float steepestRate = steepest >= 0 ? points[steepest].Rate : minimumRate / 10;
        float suggested = steepestRate < minimumRate / 10 ? MathF.Sqrt(steepestRate * (minimumRate / 10)) : minimumRate / 10;
        return new LearningRateRange(points, suggested, steepestRate, minimumRate, diverged);
    }
}
