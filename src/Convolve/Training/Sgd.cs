using Convolve.Layers;

namespace Convolve.Training;

/// <summary>
/// Stochastic gradient descent, with PyTorch's rules for its options. With g the gradient plus
/// <c>weightDecay * p</c>: without momentum <c>p -= lr * g</c>; with momentum <c>v = momentum * v + g</c>
/// (v starts at 0, so the first step moves by g), then <c>p -= lr * v</c>, or with Nesterov
/// <c>p -= lr * (g + momentum * v)</c>.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] velocity;

    public Sgd(IEnumerable<Parameter> parameters, float learningRate = 0.01f, float momentum = 0,
        bool nesterov = false, float weightDecay = 0) : base(parameters, learningRate)
    {
        if (momentum < 0 || weightDecay < 0) throw new ArgumentException($"Sgd: momentum ({momentum}) and weight decay ({weightDecay}) must not be negative.");
        if (nesterov && momentum == 0) throw new ArgumentException("Sgd: Nesterov momentum needs a momentum above 0.");
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        velocity = momentum > 0 ? NewStateBuffers() : [];
    }

    public float Momentum { get; }
    public bool Nesterov { get; }
    public float WeightDecay { get; }

    protected override void Update(int index, Span<float> value, ReadOnlySpan<float> gradient)
    {
        float lr = LearningRate;
        if (Momentum == 0)
        {
            for (int i = 0; i < value.Length; i++) value[i] -= lr * (gradient[i] + WeightDecay * value[i]);
            return;
        }
        var v = velocity[index];
        for (int i = 0; i < value.Length; i++)
        {
            float g = gradient[i] + WeightDecay * value[i];
            v[i] = Momentum * v[i] + g;
            value[i] -= lr * (Nesterov ? g + Momentum * v[i] : v[i]);
        }
    }

    public override IEnumerable<(string Name, float[] Values)> State =>
        velocity.Select((v, i) => ($"velocity.{i}", v));
}
