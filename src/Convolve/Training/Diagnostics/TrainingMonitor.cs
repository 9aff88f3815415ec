using System.Globalization;
using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Training.Diagnostics;

/// <summary>
/// Watches a training run and says when it goes wrong, what happened and what to try, as
/// <see cref="Diagnostic"/> records raised through <see cref="Raised"/> (and kept in
/// <see cref="Diagnostics"/>). A <see cref="Trainer"/> has one from the start.
/// <list type="bullet">
/// <item>Every step, the loss (one number): a non-finite loss stops training at once with a
/// <see cref="TrainingDivergedException"/> naming the layer where the non-finite values first
/// appeared, and the model is put back to the last good weights. An exponential moving average
/// of the loss is compared with its best so far (rising) and with ln(classes) (stuck at chance).</item>
/// <item>Every <see cref="MonitorOptions.CheckInterval"/> steps, every weight and gradient: non-finite
/// values stop training as above; per-layer gradient norms against the weights' norms show
/// vanishing or exploding gradients; finite weights are copied as the last good state.</item>
/// <item>The first batch: inputs far from 0..1 or mean 0, deviation 1 (0..255 pixels).</item>
/// <item>After each epoch (<see cref="CheckEpoch"/>): ReLU layers whose units are never active on
/// a validation batch, and accuracy no better than always answering the most common class.</item>
/// </list>
/// Each warning is raised once per run and layer. Per step the monitor does O(1) work and
/// allocates nothing; the checks over all parameters cost about one optimizer update every
/// <see cref="MonitorOptions.CheckInterval"/> steps.
/// </summary>
public sealed class TrainingMonitor
{
    private readonly Model model;
    private readonly Layer[] layers;
    private readonly Parameter[][] trainable;
    private readonly double[] firstGradientNorm, weightNorms, gradientNorms;
    private readonly List<Diagnostic> diagnostics = [];
    private readonly HashSet<(DiagnosticCode, string?, DiagnosticSeverity)> reported = [];
    private float[]? goodWeights;
    private long goodStep = -1;
    private long seen;
    private bool checkThisStep, inputsChecked;
    private double average, smoothingPower = 1, best = double.PositiveInfinity, first = double.NaN;
    private int rising;

    /// <summary>A monitor for <paramref name="model"/> (built) with <paramref name="options"/> (defaults when null).</summary>
    public TrainingMonitor(Model model, MonitorOptions? options = null)
    {
        if (!model.IsBuilt) throw new InvalidOperationException("TrainingMonitor: build the model first.");
        Options = options ?? new MonitorOptions();
        Options.Validate();
        this.model = model;
        layers = [.. model.Layers.Where(l => l.Parameters.Any(p => p.Trainable))];
        trainable = [.. layers.Select(l => l.Parameters.Where(p => p.Trainable).ToArray())];
        firstGradientNorm = new double[layers.Length];
        weightNorms = new double[layers.Length];
        gradientNorms = new double[layers.Length];
    }

    /// <summary>The thresholds in use.</summary>
    public MonitorOptions Options { get; }

    /// <summary>Raised for each new finding, as it is found (on the training thread).</summary>
    public event Action<Diagnostic>? Raised;

    /// <summary>Every finding so far, in order.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics => diagnostics;

    /// <summary>
    /// A learning rate to recommend (from <see cref="LearningRateFinder"/>), quoted by the
    /// suggestions; null to suggest a tenth of the current rate and a range test.
    /// </summary>
    public float? SuggestedLearningRate { get; set; }

    /// <summary>The epoch (from 0) being trained; set by <see cref="Trainer.TrainEpoch"/>.</summary>
    public int Epoch { get; set; }

    /// <summary>The loss's exponential moving average, corrected for its start at 0 (NaN before the first step).</summary>
    public double SmoothedLoss => seen == 0 ? double.NaN : average / (1 - smoothingPower);

    /// <summary>The lowest <see cref="SmoothedLoss"/> so far.</summary>
    public double BestSmoothedLoss => best;

    /// <summary>Whether the smoothed loss has risen well above its best, now or earlier in the run.</summary>
    public bool LossRose { get; private set; }

    /// <summary>The error found by the last <see cref="CheckEpoch"/> (a model no better than the class prior after the loss rose), or null.</summary>
    public Diagnostic? EpochVerdict { get; private set; }

    /// <summary>The step whose weights are kept as the last good state (-1 before the first check).</summary>
    public long LastGoodStep => goodStep;

    /// <summary>Called by the trainer once the batch's loss is known, before the backward pass.</summary>
    internal void AfterLoss(Trainer trainer, Tensor images, float loss, int classes)
    {
        long step = trainer.Optimizer.Steps;
        if (!inputsChecked)
        {
            inputsChecked = true;
            CheckInputs(images, step);
        }
        if (!float.IsFinite(loss)) Diverge(trainer, images, step, $"The loss became {Word(loss)} at step {step + 1}");
        checkThisStep = seen % Options.CheckInterval == 0;
        seen++;

        double beta = Options.Smoothing;
        average = beta * average + (1 - beta) * loss;
        smoothingPower *= beta;
        double smoothed = average / (1 - smoothingPower);
        if (seen == 1) first = smoothed;
        if (smoothed < best)
        {
            best = smoothed;
            rising = 0;
        }
        else if (smoothed > best * Options.RiseFactor + Options.RiseMargin && ++rising == Options.RiseSteps)
        {
            LossRose = true;
            Raise(DiagnosticSeverity.Warning, DiagnosticCode.LossRising, null, step,
                Invariant($"The loss has risen for {rising} steps: smoothed {smoothed:G3}, against {best:G3} at best."),
                "The learning rate (" + Rate(BaseRate(trainer)) + ") is probably too large. " + RateAdvice(trainer, smaller: true));
        }
        if (seen == Options.ChanceSteps && classes > 1)
        {
            double chance = Math.Log(classes);
            if (Math.Abs(smoothed - chance) <= Options.ChanceTolerance * chance)
                Raise(DiagnosticSeverity.Warning, DiagnosticCode.LossAtChance, null, step,
                    Invariant($"After {seen} steps the loss ({smoothed:G3}) is still at the level of guessing among {classes} classes ") +
                    Invariant($"(ln {classes} = {chance:G3}): the network is not learning."),
                    "The learning rate (" + Rate(BaseRate(trainer)) + ") may be too large (the network diverged and settled) or too small. "
                    + RateAdvice(trainer, smaller: null));
        }
    }

    /// <summary>Called by the trainer after the backward pass, before the optimizer's update.</summary>
    internal void AfterBackward(Trainer trainer, Tensor images)
    {
        if (!checkThisStep) return;
        long step = trainer.Optimizer.Steps;
        // One pass over each tensor: a norm is NaN or infinite when a value is.
        for (int i = 0; i < layers.Length; i++)
        {
            weightNorms[i] = Norm(trainable[i], gradients: false);
            gradientNorms[i] = Norm(trainable[i], gradients: true);
        }
        // Weights in forward order, then gradients from the output back: where non-finite values started.
        for (int i = 0; i < layers.Length; i++)
            if (!double.IsFinite(weightNorms[i]))
                Diverge(trainer, images, step, $"The weights of {layers[i].Name} became infinite or NaN at step {step + 1}", layers[i]);
        for (int i = layers.Length - 1; i >= 0; i--)
            if (!double.IsFinite(gradientNorms[i]))
                Diverge(trainer, images, step, $"The gradient of {layers[i].Name} became infinite or NaN at step {step + 1} (in the backward pass)", layers[i]);

        for (int i = 0; i < layers.Length; i++)
        {
            double weightNorm = weightNorms[i], gradientNorm = gradientNorms[i];
            if (firstGradientNorm[i] == 0) firstGradientNorm[i] = gradientNorm;
            string name = layers[i].Name;
            if (weightNorm > 0 && gradientNorm < Options.VanishingRatio * weightNorm)
                Raise(DiagnosticSeverity.Warning, DiagnosticCode.VanishingGradient, name, step,
                    Invariant($"The gradient of {name} has vanished: its norm is {gradientNorm:G2}, against {weightNorm:G3} for its weights, ") +
                    "so the layer no longer learns.",
                    "ReLUs that never fire above it, or saturated activations, cause this. " + RateAdvice(trainer, smaller: true));
            else if (gradientNorm > Options.ExplodingRatio * Math.Max(weightNorm, 1e-3)
                || (firstGradientNorm[i] > 0 && gradientNorm > Options.ExplodingGrowth * firstGradientNorm[i]))
                Raise(DiagnosticSeverity.Warning, DiagnosticCode.ExplodingGradient, name, step,
                    Invariant($"The gradient of {name} is exploding: its norm is {gradientNorm:G3} ") +
                    Invariant($"(it was {firstGradientNorm[i]:G3} at the first check), against {weightNorm:G3} for its weights."),
                    RateAdvice(trainer, smaller: true));
        }

        goodWeights ??= new float[model.ParameterValues.Length];
        model.ParameterValues.CopyTo(goodWeights);
        goodStep = step;
    }

    /// <summary>
    /// Checks every parameter (trainable or not) for infinite or NaN values: what
    /// <see cref="TrainingSession"/> does at the end of each epoch, stopped or not, so that a
    /// checkpoint or a saved model never holds them even when the last steps went unchecked (the
    /// last update of an epoch is read by no loss). Throws a <see cref="TrainingDivergedException"/>
    /// naming the first such layer, with the last good weights put back.
    /// </summary>
    public void VerifyWeights(Trainer trainer)
    {
        if (IsFinite(model.ParameterValues)) return;
        long step = trainer.Optimizer.Steps;
        foreach (var layer in model.Layers)
            foreach (var p in layer.Parameters)
                if (!IsFinite(p.Value.Span))
                    Diverge(trainer, null, step, $"The weights of {layer.Name} became infinite or NaN by step {step}", layer);
    }

    /// <summary>
    /// The checks after an epoch: ReLU layers most of whose units never fire on the first
    /// <see cref="MonitorOptions.ProbeItems"/> items of <paramref name="validation"/> (or of
    /// <paramref name="train"/> without one), and an accuracy no better than always answering the
    /// most common class. <paramref name="accuracy"/> is the epoch's validation accuracy, or its
    /// training accuracy without validation data.
    /// </summary>
    public void CheckEpoch(int epoch, float accuracy, ImageDataset train, ImageDataset? validation, float learningRate)
    {
        var data = validation ?? train;
        string which = validation is null ? "training" : "validation";
        long step = -1;
        EpochVerdict = null;
        if (data.Count == 0) return;
        // Validation data has just been evaluated whole, so a batch of it costs at most that
        // again; training data may be large, so only a slice of it.
        CheckReLUs(data, which, epoch, validation is null ? Math.Max(64, data.Count / 8) : data.Count);

        if (data.ClassCount < 2) return;
        var counts = new int[data.ClassCount];
        foreach (int label in data.Labels) counts[label]++;
        int common = Array.IndexOf(counts, counts.Max());
        double prior = (double)counts[common] / data.Count;
        if (accuracy > prior + 0.5 / data.Count) return;
        bool rose = LossRose || (seen > 0 && SmoothedLoss > first * Options.RiseFactor + Options.RiseMargin);
        var severity = rose ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
        var found = Raise(severity, DiagnosticCode.BelowClassPrior, null, step,
            Invariant($"After epoch {epoch + 1} the {which} accuracy ({accuracy * 100:F1}%) is no better than always answering ") +
            Invariant($"the most common class, '{data.ClassNames[common]}' ({prior * 100:F1}% of the {which} images)") +
            (rose ? Invariant($", and the loss rose (smoothed {SmoothedLoss:G3}, against {best:G3} at best): training diverged.") : "."),
            rose ? "The learning rate (" + Rate(learningRate) + ") is too large. " + RateAdvice(null, smaller: true, current: learningRate)
                 : "Train for more epochs, check the learning rate (" + Rate(learningRate) + "), and check that the labels belong to the images.",
            epoch);
        if (rose) EpochVerdict = found;
    }

    private void CheckReLUs(ImageDataset data, string which, int epoch, int most)
    {
        if (!model.Layers.Any(l => l is ReLU)) return;
        int count = Math.Min(Math.Min(Options.ProbeItems, most), data.Count);
        var item = data.ImageShape;
        var batch = new Tensor(item.Prepend(count), data.Images.Buffer, data.Images.Offset);
        var findings = new List<(Layer Layer, int Dead, int Units)>();
        LayerProbe.Run(model, batch, training: false, (layer, _, output) =>
        {
            if (layer is ReLU) findings.Add((layer, DeadUnits(output, out int units), units));
            return true;
        });
        foreach (var (layer, dead, units) in findings)
            if (units > 0 && (double)dead / units > Options.DeadReLUShare)
                Raise(DiagnosticSeverity.Warning, DiagnosticCode.DeadReLUs, layer.Name, -1,
                    Invariant($"{dead} of {units} units of {layer.Name} ({100.0 * dead / units:F0}%) were never active on {count} {which} images: ") +
                    "they pass no gradient and no longer learn.",
                    "A learning rate that is too large often kills ReLUs; try a smaller one, or LeakyReLU.", epoch);
    }

    // Units of a ReLU's output that are 0 for every item (and every position of a map): a channel
    // of [N, C, H, W], a feature of [N, F].
    private static int DeadUnits(Tensor output, out int units)
    {
        var shape = output.Shape;
        int n = shape[0];
        units = shape.Rank > 1 ? shape[1] : 0;
        if (units == 0) return 0;
        int inner = shape.Size / (n * units);
        var values = output.Span;
        int dead = 0;
        for (int u = 0; u < units; u++)
        {
            bool active = false;
            for (int b = 0; b < n && !active; b++)
                active = TensorPrimitives.Max(values.Slice((b * units + u) * inner, inner)) > 0;
            if (!active) dead++;
        }
        return dead;
    }

    private void CheckInputs(Tensor images, long step)
    {
        var values = images.Span;
        if (values.IsEmpty) return;
        float min = TensorPrimitives.Min(values), max = TensorPrimitives.Max(values);
        if (!float.IsFinite(min) || !float.IsFinite(max)) return; // the loss check names the input
        double mean = TensorPrimitives.Sum(values) / (double)values.Length;
        double deviation = Math.Sqrt(Math.Max(0, TensorPrimitives.SumOfSquares(values) / (double)values.Length - mean * mean));
        if (max - min > Options.InputRangeLimit || Math.Abs(mean) > Options.InputRangeLimit / 2)
            Raise(DiagnosticSeverity.Warning, DiagnosticCode.InputsNotNormalised, null, step,
                Invariant($"The inputs are not normalised: the first batch's values range from {min:G4} to {max:G4} ") +
                Invariant($"(mean {mean:G3}, deviation {deviation:G3})."),
                max > 200 && min >= 0
                    ? "Pixels of 0..255 train poorly: divide them by 255 (or subtract the mean and divide by the deviation)."
                    : "Scale them to about 0..1, or subtract the mean and divide by the deviation.");
    }

    // Stops training: finds where the non-finite values started, puts the last good weights
    // back, reports the error and throws.
    private void Diverge(Trainer trainer, Tensor? images, long step, string what, Layer? layer = null)
    {
        string where = "";
        if (layer is null && images is not null)
        {
            if (!IsFinite(images.Span)) where = ": the input batch itself has infinite or NaN values";
            else
            {
                for (int i = 0; i < layers.Length && layer is null; i++)
                    if (!AllFinite(trainable[i], gradients: false))
                    {
                        layer = layers[i];
                        where = $": the weights of {layer.Name} are no longer finite";
                    }
                if (layer is null)
                    LayerProbe.Run(model, images, training: true, (l, input, output) =>
                    {
                        if (IsFinite(output.Span)) return true;
                        layer = l;
                        where = Invariant($": the output of {l.Name} ({l}) was the first to overflow, ") +
                            Invariant($"from an input reaching {TensorPrimitives.MaxMagnitude(input.Span):G3} and weights reaching {MaxWeight(l):G3}");
                        return false;
                    });
            }
        }
        if (goodWeights is not null) goodWeights.CopyTo(model.ParameterValues);
        string kept = goodWeights is null
            ? " The weights were not checked before it, so the model holds the broken ones."
            : Invariant($" The model holds the weights of step {goodStep + 1}, the last checked good.");
        var diagnostic = Raise(DiagnosticSeverity.Error, DiagnosticCode.NonFinite, layer?.Name, step, what + where + ".",
            "Training diverged: the learning rate (" + Rate(BaseRate(trainer)) + ") is too large. " + RateAdvice(trainer, smaller: true), force: true);
        throw new TrainingDivergedException(diagnostic, goodStep, kept.TrimStart());
    }

    private static float MaxWeight(Layer layer)
    {
        float max = 0;
        foreach (var p in layer.Parameters) max = MathF.Max(max, TensorPrimitives.MaxMagnitude(p.Value.Span));
        return max;
    }

    // The rate the user chose: a schedule's base rate, or without a schedule the rate given to the step.
    private static float BaseRate(Trainer trainer) => trainer.Schedule?.BaseRate ?? trainer.LastLearningRate;

    private string RateAdvice(Trainer? trainer, bool? smaller, float? current = null)
    {
        float lr = current ?? (trainer is null ? float.NaN : BaseRate(trainer));
        return SuggestedLearningRate is { } s
            ? $"Try a learning rate near {Rate(s)} (a range test's suggestion)."
            : smaller == true && lr is > 0 and <= 1
                ? $"Try a smaller learning rate, e.g. {Rate(lr / 10)}, or run a learning-rate range test to choose one."
                : smaller == true && lr > 1
                    ? "Rates above 1 rarely work; run a learning-rate range test to choose one."
                    : "Run a learning-rate range test to choose one.";
    }

    private Diagnostic Raise(DiagnosticSeverity severity, DiagnosticCode code, string? layer, long step, string message,
        string? suggestion, int? epoch = null, bool force = false)
    {
        var diagnostic = new Diagnostic(severity, code, message, suggestion, layer, step, epoch ?? Epoch);
        if (!reported.Add((code, layer, severity)) && !force) return diagnostic;
        diagnostics.Add(diagnostic);
        Raised?.Invoke(diagnostic);
        return diagnostic;
    }

    private static bool AllFinite(Parameter[] parameters, bool gradients)
    {
        foreach (var p in parameters)
            if (!IsFinite((gradients ? p.Gradient : p.Value).Span)) return false;
        return true;
    }

    // MaxMagnitude is NaN when any value is NaN and infinite when any is: one vectorised pass.
    private static bool IsFinite(ReadOnlySpan<float> values) => values.IsEmpty || float.IsFinite(TensorPrimitives.MaxMagnitude(values));

    private static double Norm(Parameter[] parameters, bool gradients)
    {
        double sum = 0;
        foreach (var p in parameters)
        {
            var values = (gradients ? p.Gradient : p.Value).Span;
            // A float sum of squares overflows long before the values do: then again in double
            // (infinite or NaN there only when a value is).
            float norm = TensorPrimitives.Norm(values);
            sum += float.IsFinite(norm) ? (double)norm * norm : Squares(values);
        }
        return Math.Sqrt(sum);
    }

    private static double Squares(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values) sum += (double)v * v;
        return sum;
    }

    private static string Word(float value) => float.IsNaN(value) ? "NaN" : "infinite";

    private static string Rate(double rate) => Number(rate);

    /// <summary>A figure in 3 significant digits, exponents in lower case ("1e+30", "0.00559").</summary>
    internal static string Number(double value, string format = "G3") =>
        value.ToString(format, CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);

    // Invariant culture, with G formats as Number writes them.
    private static string Invariant(FormattableString text) => string.Format(NumberFormat.Instance, text.Format, text.GetArguments());

    private sealed class NumberFormat : IFormatProvider, ICustomFormatter
    {
        public static readonly NumberFormat Instance = new();

        public object? GetFormat(Type? formatType) => formatType == typeof(ICustomFormatter) ? this : null;

        public string Format(string? format, object? arg, IFormatProvider? formatProvider) => arg switch
        {
            double d when format is not null && format.StartsWith('G') => Number(d, format),
            float f when format is not null && format.StartsWith('G') => Number(f, format),
            IFormattable x => x.ToString(format, CultureInfo.InvariantCulture),
            _ => arg?.ToString() ?? "",
        };
    }
}
