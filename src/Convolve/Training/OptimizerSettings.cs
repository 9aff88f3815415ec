using Convolve.Layers;

namespace Convolve.Training;

/// <summary>The kinds of optimizer Convolve has.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent, with optional (Nesterov) momentum.</summary>
    Sgd,

    /// <summary>Adam: per-parameter steps from running means of the gradient and its square.</summary>
    Adam,

    /// <summary>Adam with weight decay applied to the weights directly instead of through the gradient.</summary>
    AdamW,
}

/// <summary>
/// An optimizer's kind and hyperparameters as data: what a checkpoint stores and a command line
/// gives, turned into an <see cref="Optimizer"/> by <see cref="Create"/> and, for its learning rate,
/// a <see cref="LearningRateSchedule"/> by <see cref="CreateSchedule"/>: the schedule gives each
/// step's rate to <see cref="Optimizer.Step"/>. Fields an optimizer does not use are ignored
/// (momentum by Adam, betas by SGD). The <c>Default...</c> constants here are the one source of
/// every optimizer default: <see cref="Sgd"/>, <see cref="Adam"/> and the commands read them.
/// </summary>
/// <param name="LearningRate">The base step size (a schedule's rate at step 0); <see cref="DefaultSgdLearningRate"/>
/// when not given, which suits the default kind only: for Adam pass <see cref="DefaultLearningRate"/> of the kind.</param>
/// <param name="Kind">SGD, Adam or AdamW.</param>
/// <param name="Momentum">SGD's momentum, in [0, 1); 0 for plain SGD.</param>
/// <param name="Nesterov">SGD: Nesterov momentum instead of the classic form.</param>
/// <param name="WeightDecay">L2 penalty (SGD, Adam) or decoupled decay (AdamW) per step, 0 or more.</param>
/// <param name="Beta1">Adam's decay of the gradient's running mean, in [0, 1).</param>
/// <param name="Beta2">Adam's decay of the squared gradient's running mean, in [0, 1).</param>
/// <param name="Epsilon">Added to Adam's denominator, positive.</param>
public sealed record OptimizerSettings(
    OptimizerKind Kind = OptimizerKind.Sgd, float LearningRate = OptimizerSettings.DefaultSgdLearningRate,
    float Momentum = OptimizerSettings.DefaultMomentum, bool Nesterov = false, float WeightDecay = 0,
    float Beta1 = OptimizerSettings.DefaultBeta1, float Beta2 = OptimizerSettings.DefaultBeta2, float Epsilon = OptimizerSettings.DefaultEpsilon)
{
    /// <summary>SGD's learning rate when none is given: with <see cref="DefaultMomentum"/> it trains the
    /// built-in architectures on the digits in a few epochs (the <c>train</c> command's default).</summary>
    public const float DefaultSgdLearningRate = 0.05f;

    /// <summary>Adam's and AdamW's learning rate when none is given, as in PyTorch and Keras.</summary>
    public const float DefaultAdamLearningRate = 1e-3f;

    /// <summary>SGD's momentum when none is given. PyTorch and Keras default to 0 (plain SGD); Convolve
    /// defaults to the value its CNNs train with, so pass 0 for plain SGD.</summary>
    public const float DefaultMomentum = 0.9f;

    /// <summary>Adam's decay rate of the running mean of the gradient, as in the paper and PyTorch.</summary>
    public const float DefaultBeta1 = 0.9f;

    /// <summary>Adam's decay rate of the running mean of the squared gradient, as in the paper and PyTorch.</summary>
    public const float DefaultBeta2 = 0.999f;

    /// <summary>Adam's term added to the denominator to keep it above 0, as in PyTorch.</summary>
    public const float DefaultEpsilon = 1e-8f;

    /// <summary>
    /// The weight decay of an <see cref="AdamW"/> made by its constructor without one, as in PyTorch.
    /// Settings (and so the commands) default to no weight decay for every kind.
    /// </summary>
    public const float DefaultAdamWWeightDecay = 0.01f;

    /// <summary>The learning rate of <paramref name="kind"/> when none is given.</summary>
    public static float DefaultLearningRate(OptimizerKind kind) =>
        kind == OptimizerKind.Sgd ? DefaultSgdLearningRate : DefaultAdamLearningRate;

    /// <summary>Settings of <paramref name="kind"/> with every default, its learning rate included.</summary>
    public static OptimizerSettings Default(OptimizerKind kind) => new(kind, DefaultLearningRate(kind));

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

    /// <summary>
    /// A new optimizer of this kind for <paramref name="parameters"/>, after <see cref="Validate"/>. The
    /// learning rate is not in it: each step is given its rate, from <see cref="CreateSchedule"/>.
    /// </summary>
    public Optimizer Create(IEnumerable<Parameter> parameters)
    {
        Validate();
        return CreateUnchecked(parameters);
    }

    /// <summary>
    /// The learning rate of each step of a run of <paramref name="totalSteps"/> steps, shaped by
    /// <paramref name="kind"/> from <see cref="LearningRate"/>.
    /// </summary>
    public LearningRateSchedule CreateSchedule(ScheduleKind kind = ScheduleKind.Constant, long totalSteps = 1) =>
        new(kind, LearningRate, totalSteps);

    private Optimizer CreateUnchecked(IEnumerable<Parameter> parameters) => Kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, Momentum, Nesterov, WeightDecay),
        OptimizerKind.Adam => new Adam(parameters, Beta1, Beta2, Epsilon, WeightDecay),
        OptimizerKind.AdamW => new AdamW(parameters, Beta1, Beta2, Epsilon, WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown optimizer."),
    };

    /// <summary>Short description, e.g. "SGD(lr=0.05, momentum=0.9)".</summary>
    public override string ToString() => Kind switch
    {
        OptimizerKind.Sgd => $"SGD(lr={N(LearningRate)}" + (Momentum > 0 ? $", momentum={N(Momentum)}" : "") + (Nesterov ? ", nesterov" : "")
            + (WeightDecay > 0 ? $", weight_decay={N(WeightDecay)}" : "") + ")",
        _ => $"{Kind}(lr={N(LearningRate)}" + (WeightDecay > 0 ? $", weight_decay={N(WeightDecay)}" : "") + ")",
    };

    // The same text in every locale (a German one would otherwise write "lr=0,05").
    private static string N(float value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
