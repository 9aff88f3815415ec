namespace Convolve.Training.Diagnostics;

/// <summary>
/// Training stopped because the loss, a weight or a gradient became infinite or NaN. The model
/// holds the last weights that were checked finite and gave a finite loss (those of
/// <see cref="LastGoodStep"/>), not the broken ones; the optimizer's state is left as it was, so
/// continue, if at all, with a new optimizer (and a smaller learning rate).
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>The error <paramref name="diagnostic"/> found after the step <paramref name="lastGoodStep"/>.</summary>
    /// <param name="diagnostic">The error: its message, layer, step and suggestion.</param>
    /// <param name="lastGoodStep">The last step whose weights were finite, which the model now holds.</param>
    /// <param name="kept">What was kept, in words, put between the message and the suggestion; null for the diagnostic's own text.</param>
    public TrainingDivergedException(Diagnostic diagnostic, long lastGoodStep, string? kept = null)
        : base(kept is null ? diagnostic.ToString() : $"{diagnostic.Message} {kept} {diagnostic.Suggestion}")
    {
        Diagnostic = diagnostic;
        LastGoodStep = lastGoodStep;
    }

    /// <summary>The error found: message, layer, step and suggestion.</summary>
    public Diagnostic Diagnostic { get; }

    /// <summary>The layer where non-finite values first appeared (its name in the model), or null when it could not be told.</summary>
    public string? Layer => Diagnostic.Layer;

    /// <summary>The step (from 0) at which the non-finite value was found.</summary>
    public long Step => Diagnostic.Step;

    /// <summary>The step whose weights the model was put back to (-1 when none had been checked yet and the weights were left as they were).</summary>
    public long LastGoodStep { get; }
}
