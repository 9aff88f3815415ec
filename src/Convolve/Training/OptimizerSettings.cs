using Convolve.Layers;

namespace Convolve.Training;

/// <summary>The kinds of optimizer Convolve has.</summary>
public enum OptimizerKind { Sgd, Adam, AdamW }

/// <summary>
/// An optimizer's kind and hyperparameters as data: what a checkpoint stores and a command line
/// gives, turned into an <see cref="Optimizer"/> by <see cref="Create"/>. Fields an optimizer
/// does not use are ignored (momentum by Adam, betas by SGD).
/// </summary>
public sealed record OptimizerSettings(
    OptimizerKind Kind = OptimizerKind.Sgd, float LearningRate = 0.01f, float Momentum = 0.9f, bool Nesterov = false,
    float WeightDecay = 0, float Beta1 = 0.9f, float Beta2 = 0.999f, float Epsilon = 1e-8f)
{
    /// <summary>A new optimizer of this kind for <paramref name="parameters"/>.</summary>
    public Optimizer Create(IEnumerable<Parameter> parameters) => Kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, LearningRate, Momentum, Nesterov, WeightDecay),
        OptimizerKind.Adam => new Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay),
        OptimizerKind.AdamW => new AdamW(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown optimizer."),
    };

    /// <summary>Short description, e.g. "SGD(lr=0.01, momentum=0.9)".</summary>
    public override string ToString() => Kind switch
    {
        OptimizerKind.Sgd => $"SGD(lr={LearningRate}" + (Momentum > 0 ? $", momentum={Momentum}" : "") + (Nesterov ? ", nesterov" : "") + (WeightDecay > 0 ? $", weight_decay={WeightDecay}" : "") + ")",
        _ => $"{Kind}(lr={LearningRate}" + (WeightDecay > 0 ? $", weight_decay={WeightDecay}" : "") + ")",
    };
}
