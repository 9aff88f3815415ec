using Convolve.Layers;

namespace Convolve.Training;

/// <summary>
/// Updates trainable parameters from their gradients. Frozen parameters
/// (<see cref="Parameter.Trainable"/> false) are skipped at each step, so freezing and
/// unfreezing work on an existing optimizer. State (momentum, moments) is kept per parameter
/// in buffers made once.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(IEnumerable<Parameter> parameters, float learningRate)
    {
        InvalidSettingException.RequirePositive("LearningRate", "The learning rate", learningRate);
        Parameters = [.. parameters];
        LearningRate = learningRate;
    }

    /// <summary>The parameters this optimizer may update, trainable or not.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Step size; may be changed between steps (learning-rate schedules, which may end at 0), to
    /// a finite value of 0 or more.
    /// </summary>
    public float LearningRate
    {
        get => learningRate;
        set
        {
            // A comparison, not a call: schedules set this before every step.
            if (!(value >= 0 && value <= float.MaxValue)) InvalidSettingException.RequireNotNegative("LearningRate", "The learning rate", value);
            learningRate = value;
        }
    }

    private float learningRate;

    /// <summary>Number of steps taken.</summary>
    public long Steps { get; protected set; }

    /// <summary>
    /// The most threads an update uses, resolved by <see cref="Kernels.Cpu.ThreadCount.Resolve"/>: 0 (the
    /// default) means one per core, and no more than the cores are used. <see cref="Trainer"/>
    /// sets it to the model's cap (<see cref="Models.Model.SetMaxThreads"/>) before each step.
    /// </summary>
    public int MaxThreads
    {
        get => maxThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            maxThreads = value;
        }
    }

    private int maxThreads;

    /// <summary>Applies one update to every trainable parameter from its current gradient.</summary>
    public void Step()
    {
        Steps++;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Trainable) Update(i, p.Value.Span, p.Gradient.Span);
        }
    }

    /// <summary>Updates parameter number <paramref name="index"/> in place.</summary>
    protected abstract void Update(int index, Span<float> value, ReadOnlySpan<float> gradient);

    /// <summary>Named state tensors (for checkpoints), e.g. ("momentum.3", buffer).</summary>
    public abstract IEnumerable<(string Name, float[] Values)> State { get; }

    /// <summary>
    /// Restores state saved from <see cref="State"/> and <see cref="Steps"/> of an optimizer of the
    /// same kind over parameters of the same shapes.
    /// </summary>
    public void LoadState(long steps, IReadOnlyDictionary<string, float[]> state)
    {
        foreach (var (name, values) in State)
        {
            if (!state.TryGetValue(name, out var saved))
                throw new ArgumentException($"{GetType().Name}: the saved state has no '{name}'.");
            if (saved.Length != values.Length)
                throw new ArgumentException($"{GetType().Name}: saved state '{name}' has {saved.Length} values, expected {values.Length}.");
            saved.CopyTo(values, 0);
        }
        Steps = steps;
    }

    /// <summary>Zero-filled state buffers, one per parameter.</summary>
    protected float[][] NewStateBuffers() => [.. Parameters.Select(p => new float[p.Value.Length])];
}
