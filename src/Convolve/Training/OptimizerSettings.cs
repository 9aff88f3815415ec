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
    /// <summary>
    /// Throws an <see cref="InvalidSettingException"/> naming the first setting that cannot work
    /// and its allowed range: the learning rate and epsilon must be finite and above 0, weight
    /// decay finite and not negative, momentum and the betas in [0, 1). Every field is checked,
    /// those the kind ignores too: a momentum of 5 is a mistake whichever optimizer runs.
    /// </summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"Unknown optimizer kind {(int)Kind}.");
        InvalidSettingException.RequirePositive(nameof(LearningRate), "The learning rate", LearningRate);
        InvalidSettingException.RequireFraction(nameof(Momentum), "Momentum", Momentum);
        InvalidSettingException.RequireNotNegative(nameof(WeightDecay), "Weight decay", WeightDecay);
        InvalidSettingException.RequireFraction(nameof(Beta1), "Adam's beta1", Beta1);
        InvalidSettingException.RequireFraction(nameof(Beta2), "Adam's beta2", Beta2);
        InvalidSettingException.RequirePositive(nameof(Epsilon), "Adam's epsilon", Epsilon);
        if (Nesterov && Kind == OptimizerKind.Sgd && Momentum == 0)
            throw new ArgumentException("Nesterov momentum needs a momentum above 0.");
    }

    /// <summary>A new optimizer of this kind for <paramref name="parameters"/>, after <see cref="Validate"/>.</summary>
    public Optimizer Create(IEnumerable<Parameter> parameters)
    {
        Validate();
        return CreateUnchecked(parameters);
    }

    private Optimizer CreateUnchecked(IEnumerable<Parameter> parameters) => Kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, LearningRate, Momentum, Nesterov, WeightDecay),
        OptimizerKind.Adam => new Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay),
        OptimizerKind.AdamW => new AdamW(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown optimizer."),
    };

    /// <summary>Short description, e.g. "SGD(lr=0.01, momentum=0.9)".</summary>
    public override string ToString() => Kind switch
    {
        OptimizerKind.Sgd => $"SGD(lr={N(LearningRate)}" + (Momentum > 0 ? $", momentum={N(Momentum)}" : "") + (Nesterov ? ", nesterov" : "") + (WeightDecay > 0 ? $", weight_decay={N(WeightDecay)}" : "") + ")",
        _ => $"{Kind}(lr={N(LearningRate)}" + (WeightDecay > 0 ? $", weight_decay={N(WeightDecay)}" : "") + ")",
    };

    // The same text in every locale (a German one would otherwise write "lr=0,05").
    private static string N(float value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
