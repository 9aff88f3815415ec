using Convolve.Kernels.Cpu;
using Convolve.Layers;

namespace Convolve.Training;

/// <summary>
/// Stochastic gradient descent, with PyTorch's rules for its options. With g the gradient plus
/// <c>weightDecay * p</c>: without momentum <c>p -= lr * g</c>; with momentum <c>v = momentum * v + g</c>
/// (v starts at 0, so the first step moves by g), then <c>p -= lr * v</c>, or with Nesterov
/// <c>p -= lr * (g + momentum * v)</c>.
/// The rate lr comes with each <see cref="Optimizer.Step"/>. The default momentum is
/// <see cref="OptimizerSettings.DefaultMomentum"/> (PyTorch's is 0: pass <c>momentum: 0</c> for plain SGD).
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] velocity;

    /// <summary>SGD over <paramref name="parameters"/>; throws an <see cref="InvalidSettingException"/> for a setting out of range.</summary>
    /// <param name="parameters">The parameters to update (frozen ones are skipped at each step).</param>
    /// <param name="momentum">The velocity's decay, in [0, 1); 0 for plain SGD.</param>
    /// <param name="nesterov">Nesterov momentum (needs a momentum above 0).</param>
    /// <param name="weightDecay">L2 weight decay, added to the gradient; 0 or more.</param>
    public Sgd(IEnumerable<Parameter> parameters, float momentum = OptimizerSettings.DefaultMomentum,
        bool nesterov = false, float weightDecay = 0) : base(parameters)
    {
        InvalidSettingException.RequireFraction(nameof(Momentum), "Momentum", momentum);
        InvalidSettingException.RequireNotNegative(nameof(WeightDecay), "Weight decay", weightDecay);
        if (nesterov && momentum == 0) throw new ArgumentException("Sgd: Nesterov momentum needs a momentum above 0.");
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        velocity = momentum > 0 ? NewStateBuffers() : [];
    }

    /// <summary>The velocity's decay, in [0, 1); 0 for plain SGD.</summary>
    public float Momentum { get; }

    /// <summary>Whether the step looks ahead along the velocity (Nesterov momentum).</summary>
    public bool Nesterov { get; }

    /// <summary>L2 weight decay, added to the gradient.</summary>
    public float WeightDecay { get; }

    // The rule above, on every value of the tensor (Kernels.Reference.SgdReference.Update is it as a plain loop).
    /// <inheritdoc />
    protected override void Update(int index, Span<float> value, ReadOnlySpan<float> gradient, OptimizerStep step)
    {
        var v = Momentum > 0 ? velocity[index] : default(Span<float>);
        SgdUpdate.Update(value, gradient, v, step.LearningRate, Momentum, Nesterov, WeightDecay, step.MaxThreads);
    }

    /// <summary>The velocity of each parameter ("velocity.3"); none without momentum.</summary>
    public override IEnumerable<(string Name, float[] Values)> State =>
        velocity.Select((v, i) => ($"velocity.{i}", v));
}
