using Convolve.Kernels.Cpu;
using Convolve.Layers;

namespace Convolve.Training;

/// <summary>
/// Stochastic gradient descent, with PyTorch's rules for its options. With g the gradient plus
/// <c>weightDecay * p</c>: without momentum <c>p -= lr * g</c>; with momentum <c>v = momentum * v + g</c>
/// (v starts at 0, so the first step moves by g), then <c>p -= lr * v</c>, or with Nesterov
/// <c>p -= lr * (g + momentum * v)</c>.
/// Defaults are <see cref="OptimizerSettings"/>'s: learning rate
/// <see cref="OptimizerSettings.DefaultSgdLearningRate"/> and momentum
/// <see cref="OptimizerSettings.DefaultMomentum"/> (PyTorch's is 0: pass <c>momentum: 0</c> for plain SGD).
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] velocity;

    public Sgd(IEnumerable<Parameter> parameters, float learningRate = OptimizerSettings.DefaultSgdLearningRate,
        float momentum = OptimizerSettings.DefaultMomentum,
        bool nesterov = false, float weightDecay = 0) : base(parameters, learningRate)
    {
        InvalidSettingException.RequireFraction(nameof(Momentum), "Momentum", momentum);
        InvalidSettingException.RequireNotNegative(nameof(WeightDecay), "Weight decay", weightDecay);
        if (nesterov && momentum == 0) throw new ArgumentException("Sgd: Nesterov momentum needs a momentum above 0.");
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        velocity = momentum > 0 ? NewStateBuffers() : [];
    }

    public float Momentum { get; }
    public bool Nesterov { get; }
    public float WeightDecay { get; }

    // The rule above, on every value of the tensor (Kernels.Reference.SgdReference.Update is it as a plain loop).
    protected override void Update(int index, Span<float> value, ReadOnlySpan<float> gradient)
    {
        if (gradient.Length < value.Length)
            throw new ArgumentException($"Sgd: parameter {index} has {value.Length} values but {gradient.Length} gradients.");
        var v = Momentum > 0 ? velocity[index] : default(Span<float>);
        SgdUpdate.Update(value, gradient[..value.Length], v, LearningRate, Momentum, Nesterov, WeightDecay, MaxThreads);
    }

    public override IEnumerable<(string Name, float[] Values)> State =>
        velocity.Select((v, i) => ($"velocity.{i}", v));
}
