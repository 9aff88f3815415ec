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

/// <summary>
/// The learning rate for each optimisation step of a run: the one place a step's rate comes from.
/// <see cref="Trainer"/> asks it for the rate of each step and gives that to <see cref="Optimizer.Step"/>.
/// </summary>
public sealed record LearningRateSchedule
{
    /// <summary>A schedule of <paramref name="kind"/> from <paramref name="baseRate"/> over <paramref name="totalSteps"/> steps.</summary>
    /// <param name="kind">The shape of the schedule.</param>
    /// <param name="baseRate">The rate at step 0: finite and above 0.</param>
    /// <param name="totalSteps">Steps in the whole run (epochs x batches per epoch).</param>
    public LearningRateSchedule(ScheduleKind kind, float baseRate, long totalSteps)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown schedule.");
        InvalidSettingException.RequirePositive(nameof(OptimizerSettings.LearningRate), "The learning rate", baseRate);
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        Kind = kind;
        BaseRate = baseRate;
        TotalSteps = totalSteps;
    }

    /// <summary><paramref name="rate"/> at every step.</summary>
    public static LearningRateSchedule Constant(float rate) => new(ScheduleKind.Constant, rate, 1);

    /// <summary>The shape of the schedule.</summary>
    public ScheduleKind Kind { get; }

    /// <summary>The rate at step 0.</summary>
    public float BaseRate { get; }

    /// <summary>Steps in the whole run (epochs x batches per epoch).</summary>
    public long TotalSteps { get; }

    /// <summary>The same schedule from another base rate.</summary>
    public LearningRateSchedule WithBaseRate(float baseRate) => new(Kind, baseRate, TotalSteps);

    /// <summary>The rate for step <paramref name="step"/> (from 0); past the end, the last rate.</summary>
    public float At(long step) => Kind switch
    {
        ScheduleKind.Constant => BaseRate,
        ScheduleKind.Cosine => (float)(BaseRate * (1 + Math.Cos(Math.PI * Math.Min(step, TotalSteps) / Math.Max(TotalSteps, 1))) / 2),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown schedule."),
    };
}
