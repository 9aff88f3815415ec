using Convolve.Layers;

namespace Convolve.Training;

/// <summary>
/// Updates trainable parameters from their gradients by one rule (SGD, Adam, ...). The rule's
/// settings (momentum, betas, weight decay) are fixed at construction; what changes from step to
/// step, the learning rate and the thread cap, is given to each <see cref="Step"/>, so a schedule
/// drives the optimizer and nothing is written back into it. Frozen parameters
/// (<see cref="Parameter.Trainable"/> false) are skipped at each step, so freezing and
/// unfreezing work on an existing optimizer. State (momentum, moments) is kept per parameter
/// in buffers made once.
/// </summary>
public abstract class Optimizer
{
    /// <summary>An optimizer over <paramref name="parameters"/>, trainable or not (the list is copied).</summary>
    protected Optimizer(IEnumerable<Parameter> parameters) => Parameters = [.. parameters];

    /// <summary>The parameters this optimizer may update, trainable or not.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Number of steps taken; the next <see cref="Step"/> is step <c>Steps + 1</c>.</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// Applies one update to every trainable parameter from its current gradient.
    /// </summary>
    /// <param name="learningRate">The step size of this step (a schedule's rate), finite and 0 or more
    /// (a cosine schedule ends at 0).</param>
    /// <param name="maxThreads">The most threads the update uses: 0 means one per core, and no more than
    /// the cores are used (<see cref="Kernels.Cpu.ThreadCount.Resolve"/>).</param>
    public void Step(float learningRate, int maxThreads = 0)
    {
        // A comparison, not a call: this runs before every step.
        if (!(learningRate >= 0 && learningRate <= float.MaxValue))
            InvalidSettingException.RequireNotNegative("LearningRate", "The learning rate", learningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(maxThreads);
        Steps++;
        var step = new OptimizerStep(Steps, learningRate, maxThreads);
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Trainable) Update(i, p.Value.Span, p.Gradient.Span, step);
        }
    }

    /// <summary>
    /// Updates parameter number <paramref name="index"/> (of <see cref="Parameters"/>) in place from
    /// <paramref name="gradient"/>, which holds at least as many values.
    /// </summary>
    protected abstract void Update(int index, Span<float> value, ReadOnlySpan<float> gradient, OptimizerStep step);

    /// <summary>Named state tensors (for checkpoints), e.g. ("velocity.3", buffer).</summary>
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

/// <summary>What one <see cref="Optimizer.Step"/> gives the update of every parameter.</summary>
/// <param name="Number">The step's number, from 1 (Adam's bias correction uses it).</param>
/// <param name="LearningRate">The step size, 0 or more.</param>
/// <param name="MaxThreads">The most threads an update uses (0: one per core).</param>
public readonly record struct OptimizerStep(long Number, float LearningRate, int MaxThreads);
