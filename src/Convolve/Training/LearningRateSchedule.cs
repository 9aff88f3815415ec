namespace Convolve.Training;

/// <summary>How the learning rate changes over a run.</summary>
public enum ScheduleKind
{
    /// <summary>The base learning rate throughout.</summary>
    Constant,

    /// <summary>
    /// Cosine annealing (Loshchilov and Hutter) from the base rate down to 0 over the run:
    /// <c>lr(t) = base * (1 + cos(pi * t / T)) / 2</c> for step t of T. Large steps early, fine ones
    /// at the end, with no other setting to tune.
    /// </summary>
    Cosine,
}

/// <summary>The learning rate for each optimisation step of a run.</summary>
/// <param name="Kind">The shape of the schedule.</param>
/// <param name="BaseRate">The rate at step 0.</param>
/// <param name="TotalSteps">Steps in the whole run (epochs x batches per epoch).</param>
public sealed record LearningRateSchedule(ScheduleKind Kind, float BaseRate, long TotalSteps)
{
    /// <summary>The rate for step <paramref name="step"/> (from 0); past the end, the last rate.</summary>
    public float At(long step) => Kind switch
    {
        ScheduleKind.Constant => BaseRate,
        ScheduleKind.Cosine => (float)(BaseRate * (1 + Math.Cos(Math.PI * Math.Min(step, TotalSteps) / Math.Max(TotalSteps, 1))) / 2),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown schedule."),
    };
}
