using Convolve.Kernels.Cpu;
using Convolve.Layers;

namespace Convolve.Training;

/// <summary>
/// Adam (Kingma and Ba): running means of the gradient (m) and of its square (v), corrected for
/// their start at zero, give the step <c>p -= lr * m_hat / (sqrt(v_hat) + eps)</c>.
/// Weight decay is either added to the gradient (L2, Adam's original form) or, with
/// <c>decoupled</c> (AdamW, Loshchilov and Hutter), applied to the weights directly:
/// <c>p -= lr * weightDecay * p</c>. The rate lr comes with each <see cref="Optimizer.Step"/>;
/// <see cref="Kernels.Reference.AdamReference.Update"/> writes the rule out in full.
/// Defaults are <see cref="OptimizerSettings"/>'s <c>DefaultBeta...</c> and
/// <see cref="OptimizerSettings.DefaultEpsilon"/>.
/// </summary>
public class Adam : Optimizer
{
    private readonly float[][] m, v;

    /// <summary>Adam over <paramref name="parameters"/>; throws an <see cref="InvalidSettingException"/> for a setting out of range.</summary>
    /// <param name="parameters">The parameters to update (frozen ones are skipped at each step).</param>
    /// <param name="beta1">Decay of the running mean of the gradient, in [0, 1).</param>
    /// <param name="beta2">Decay of the running mean of the squared gradient, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator to keep it above 0; above 0.</param>
    /// <param name="weightDecay">L2 weight decay, added to the gradient; 0 or more.</param>
    public Adam(IEnumerable<Parameter> parameters, float beta1 = OptimizerSettings.DefaultBeta1, float beta2 = OptimizerSettings.DefaultBeta2,
        float epsilon = OptimizerSettings.DefaultEpsilon, float weightDecay = 0) : this(parameters, beta1, beta2, epsilon, weightDecay, decoupled: false) { }

    private protected Adam(IEnumerable<Parameter> parameters, float beta1, float beta2,
        float epsilon, float weightDecay, bool decoupled) : base(parameters)
    {
        InvalidSettingException.RequireFraction(nameof(Beta1), "Adam's beta1", beta1);
        InvalidSettingException.RequireFraction(nameof(Beta2), "Adam's beta2", beta2);
        InvalidSettingException.RequirePositive(nameof(Epsilon), "Adam's epsilon", epsilon);
        InvalidSettingException.RequireNotNegative(nameof(WeightDecay), "Weight decay", weightDecay);
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        Decoupled = decoupled;
        m = NewStateBuffers();
        v = NewStateBuffers();
    }

    /// <summary>Decay of the running mean of the gradient (m).</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the running mean of the squared gradient (v).</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator to keep it above 0.</summary>
    public float Epsilon { get; }

    /// <summary>Weight decay: L2 on the gradient, or on the weights with <see cref="Decoupled"/>.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether weight decay is applied to the weights (AdamW) rather than the gradient.</summary>
    public bool Decoupled { get; }

    // The rule above on every value of the tensor, the step's number giving the bias correction.
    /// <inheritdoc />
    protected override void Update(int index, Span<float> value, ReadOnlySpan<float> gradient, OptimizerStep step) =>
        AdamUpdate.Update(value, gradient, m[index], v[index], step.LearningRate, Beta1, Beta2, Epsilon, WeightDecay, Decoupled, step.Number,
            step.MaxThreads);

    /// <summary>The running means of each parameter: "m.3" of the gradient, "v.3" of its square.</summary>
    public override IEnumerable<(string Name, float[] Values)> State =>
        m.Select((x, i) => ($"m.{i}", x)).Concat(v.Select((x, i) => ($"v.{i}", x)));
}

/// <summary>Adam with decoupled weight decay (default <see cref="OptimizerSettings.DefaultAdamWWeightDecay"/>, as in PyTorch).</summary>
/// <param name="parameters">The parameters to update (frozen ones are skipped at each step).</param>
/// <param name="beta1">Decay of the running mean of the gradient, in [0, 1).</param>
/// <param name="beta2">Decay of the running mean of the squared gradient, in [0, 1).</param>
/// <param name="epsilon">Added to the denominator to keep it above 0; above 0.</param>
/// <param name="weightDecay">Decoupled weight decay, applied to the weights; 0 or more.</param>
public sealed class AdamW(IEnumerable<Parameter> parameters, float beta1 = OptimizerSettings.DefaultBeta1, float beta2 = OptimizerSettings.DefaultBeta2,
    float epsilon = OptimizerSettings.DefaultEpsilon, float weightDecay = OptimizerSettings.DefaultAdamWWeightDecay)
    : Adam(parameters, beta1, beta2, epsilon, weightDecay, decoupled: true);
