namespace Convolve.Training.Diagnostics;

/// <summary>How serious a <see cref="Diagnostic"/> is.</summary>
public enum DiagnosticSeverity
{
    /// <summary>Training goes on, but something looks wrong and probably wastes the run.</summary>
    Warning,

    /// <summary>The run failed: it stopped (non-finite values) or ended with a model that learned nothing.</summary>
    Error,
}

/// <summary>What a <see cref="Diagnostic"/> is about.</summary>
public enum DiagnosticCode
{
    /// <summary>The loss, a weight or a gradient became infinite or NaN; training stopped.</summary>
    NonFinite,

    /// <summary>The smoothed loss has stayed well above its best for many steps.</summary>
    LossRising,

    /// <summary>The smoothed loss has stayed at the level of guessing (ln of the number of classes).</summary>
    LossAtChance,

    /// <summary>The inputs are far from the usual ranges (0..1, or mean 0 and deviation 1): 0..255 pixels, for instance.</summary>
    InputsNotNormalised,

    /// <summary>Most units of a ReLU layer are never active on a validation batch.</summary>
    DeadReLUs,

    /// <summary>A layer's gradient is vanishingly small next to its weights: it no longer learns.</summary>
    VanishingGradient,

    /// <summary>A layer's gradient is huge next to its weights, or has grown by orders of magnitude.</summary>
    ExplodingGradient,

    /// <summary>After an epoch, the accuracy is no better than always answering the most common class.</summary>
    BelowClassPrior,
}

/// <summary>
/// One finding of a <see cref="TrainingMonitor"/>: what happened, where, and what to try.
/// </summary>
/// <param name="Severity">Warning (training goes on) or error (the run failed).</param>
/// <param name="Code">What it is about.</param>
/// <param name="Message">What happened, in one sentence with the figures observed.</param>
/// <param name="Suggestion">What to try, or null.</param>
/// <param name="Layer">The layer concerned, by its name in the model ("conv2d_1", as in the summary), or null.</param>
/// <param name="Step">The optimisation step (from 0) at which it was found; -1 for the checks after an epoch.</param>
/// <param name="Epoch">The epoch (from 0) in which it was found.</param>
public sealed record Diagnostic(DiagnosticSeverity Severity, DiagnosticCode Code, string Message, string? Suggestion,
    string? Layer, long Step, int Epoch)
{
    /// <summary>The message and suggestion on one line.</summary>
    public override string ToString() => Suggestion is null ? Message : $"{Message} {Suggestion}";
}
