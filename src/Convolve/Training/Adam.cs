using Convolve.Layers;

namespace Convolve.Training;

/// <summary>
/// Adam (Kingma and Ba): running means of the gradient (m) and of its square (v), corrected for
/// their start at zero, give the step <c>p -= lr * m_hat / (sqrt(v_hat) + eps)</c>.
/// Weight decay is either added to the gradient (L2, Adam's original form) or, with
/// <c>decoupled</c> (AdamW, Loshchilov and Hutter), applied to the weights directly:
/// <c>p -= lr * weightDecay * p</c>.
/// Defaults are <see cref="OptimizerSettings"/>'s <c>DefaultAdam...</c>, <c>DefaultBeta...</c> and
/// <see cref="OptimizerSettings.DefaultEpsilon"/>.
/// </summary>
public class Adam : Optimizer
{
    private readonly float[][] m, v;

    public Adam(IEnumerable<Parameter> parameters, float learningRate = OptimizerSettings.DefaultAdamLearningRate,
        float beta1 = OptimizerSettings.DefaultBeta1, float beta2 = OptimizerSettings.DefaultBeta2,
        float epsilon = OptimizerSettings.DefaultEpsilon, float weightDecay = 0) : this(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: false) { }

    private protected Adam(IEnumerable<Parameter> parameters, float learningRate, float beta1, float beta2,
        float epsilon, float weightDecay, bool decoupled) : base(parameters, learningRate)
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

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    /// <summary>Whether weight decay is applied to the weights (AdamW) rather than the gradient.</summary>
    public bool Decoupled { get; }

    protected override void Update(int index, Span<float> value, ReadOnlySpan<float> gradient)
    {
        float lr = LearningRate;
        double correction1 = 1 - Math.Pow(Beta1, Steps), correction2 = 1 - Math.Pow(Beta2, Steps);
        float stepSize = (float)(lr / correction1);
        float rootCorrection2 = (float)Math.Sqrt(correction2);
        var mean = m[index];
        var square = v[index];
        for (int i = 0; i < value.Length; i++)
        {
            float g = gradient[i];
            if (Decoupled) value[i] -= lr * WeightDecay * value[i];
            else g += WeightDecay * value[i];
            mean[i] = Beta1 * mean[i] + (1 - Beta1) * g;
            square[i] = Beta2 * square[i] + (1 - Beta2) * g * g;
            value[i] -= stepSize * mean[i] / (MathF.Sqrt(square[i]) / rootCorrection2 + Epsilon);
        }
    }

    public override IEnumerable<(string Name, float[] Values)> State =>
        m.Select((x, i) => ($"m.{i}", x)).Concat(v.Select((x, i) => ($"v.{i}", x)));
}

/// <summary>Adam with decoupled weight decay (default <see cref="OptimizerSettings.DefaultAdamWWeightDecay"/>, as in PyTorch).</summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, float learningRate = OptimizerSettings.DefaultAdamLearningRate,
    float beta1 = OptimizerSettings.DefaultBeta1, float beta2 = OptimizerSettings.DefaultBeta2,
    float epsilon = OptimizerSettings.DefaultEpsilon, float weightDecay = OptimizerSettings.DefaultAdamWWeightDecay)
    : Adam(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: true);
