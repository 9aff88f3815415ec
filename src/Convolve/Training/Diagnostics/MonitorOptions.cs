namespace Convolve.Training.Diagnostics;

/// <summary>
/// Thresholds of a <see cref="TrainingMonitor"/>. The defaults are meant to stay silent on a
/// healthy run and speak within a few dozen steps of a broken one.
/// </summary>
public sealed record MonitorOptions
{
    /// <summary>
    /// Steps between the checks that read every weight and gradient (finite values, per-layer
    /// gradient norms) and keep a copy of the weights as the last good state. The loss, one
    /// number, is checked at every step.
    /// </summary>
    public int CheckInterval { get; init; } = 20;

    /// <summary>Weight of the past in the loss's exponential moving average (fastai's lr_find uses 0.98).</summary>
    public double Smoothing { get; init; } = 0.98;

    /// <summary>
    /// Steps in a row the smoothed loss must stay above <see cref="RiseFactor"/> times its best (plus <see cref="RiseMargin"/>)
    /// to count as rising.
    /// </summary>
    public int RiseSteps { get; init; } = 20;

    /// <summary>How far above its best the smoothed loss must be, as a factor.</summary>
    public double RiseFactor { get; init; } = 1.5;

    /// <summary>How far above its best the smoothed loss must be, added to the factor, so that a tiny loss wandering from 0.01 to 0.02 is not a rise.</summary>
    public double RiseMargin { get; init; } = 0.1;

    /// <summary>Steps after which a smoothed loss still within <see cref="ChanceTolerance"/> of ln(classes) counts as stuck at chance.</summary>
    public int ChanceSteps { get; init; } = 150;

    /// <summary>Relative distance from ln(classes) that counts as chance level.</summary>
    public double ChanceTolerance { get; init; } = 0.05;

    /// <summary>Items of the validation (or training) set that each epoch's ReLU check runs.</summary>
    public int ProbeItems { get; init; } = 256;

    /// <summary>Share of a ReLU layer's units never active on the probe above which it is reported.</summary>
    public double DeadReLUShare { get; init; } = 0.5;

    /// <summary>A layer's gradient norm below this fraction of its weights' norm counts as vanished.</summary>
    public double VanishingRatio { get; init; } = 1e-7;

    /// <summary>A layer's gradient norm above this multiple of its weights' norm counts as exploding.</summary>
    public double ExplodingRatio { get; init; } = 1e3;

    /// <summary>A layer's gradient norm above this multiple of its first measured norm counts as exploding.</summary>
    public double ExplodingGrowth { get; init; } = 1e4;

    /// <summary>Inputs whose values span more than this (0..255 pixels) are reported as not normalised.</summary>
    public double InputRangeLimit { get; init; } = 20;

    /// <summary>Throws unless every threshold is usable.</summary>
    public void Validate()
    {
        if (CheckInterval < 1) throw new ArgumentException($"The check interval must be at least 1 step, got {CheckInterval}.");
        InvalidSettingException.RequireFraction(nameof(Smoothing), "The loss smoothing", Smoothing);
        if (RiseSteps < 1 || ChanceSteps < 1 || ProbeItems < 1)
            throw new ArgumentException($"Rise steps, chance steps and probe items must be at least 1, got {RiseSteps}, {ChanceSteps} and {ProbeItems}.");
    }
}
