using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Convolve.Layers;

/// <summary>
/// The layer types a model file can hold: each config type with the tag that names it in the
/// file (<c>{"type":"Conv2D", ...}</c>). The built-in layers register below, one line each; a
/// user's own layer registers its config with <see cref="Register{TConfig}"/> before its first
/// model is saved or loaded, and then saves and loads like a built-in one.
/// </summary>
public static class LayerTypes
{
    /// <summary>The JSON property that holds a config's tag.</summary>
    public const string TagProperty = "type";

    private static readonly Lock Gate = new();
    private static (Type Config, string Tag)[] registered = [];

    static LayerTypes()
    {
        Register<Conv2DConfig>("Conv2D");
        Register<MaxPool2DConfig>("MaxPool2D");
        Register<AvgPool2DConfig>("AvgPool2D");
        Register<GlobalAvgPool2DConfig>("GlobalAvgPool2D");
        Register<ReLUConfig>("ReLU");
        Register<LeakyReLUConfig>("LeakyReLU");
        Register<SigmoidConfig>("Sigmoid");
        Register<TanhConfig>("Tanh");
        Register<ClipConfig>("Clip");
        Register<HardSigmoidConfig>("HardSigmoid");
        Register<HardSwishConfig>("HardSwish");
        Register<SoftmaxConfig>("Softmax");
        Register<FlattenConfig>("Flatten");
        Register<DenseConfig>("Dense");
        Register<DropoutConfig>("Dropout");
        Register<BatchNorm2DConfig>("BatchNorm2D");
        Register<AddConfig>("Add");
        Register<ConcatConfig>("Concat");
        Register<SubtractConfig>("Subtract");
        Register<MultiplyConfig>("Multiply");
        Register<DivideConfig>("Divide");
        Register<ElementwiseConstantConfig>("ElementwiseConstant");
        Register<ReshapeConfig>("Reshape");
        Register<TransposeConfig>("Transpose");
        Register<SliceConfig>("Slice");
        Register<PadConfig>("Pad");
        Register<ReduceConfig>("Reduce");
        Register<PReLUConfig>("PReLU");
        Register<ELUConfig>("ELU");
        Register<SELUConfig>("SELU");
        Register<CELUConfig>("CELU");
        Register<SoftplusConfig>("Softplus");
        Register<SoftsignConfig>("Softsign");
        Register<ThresholdedReLUConfig>("ThresholdedReLU");
        Register<GELUConfig>("GELU");
        Register<MishConfig>("Mish");
        Register<SiLUConfig>("SiLU");
        Register<LogSoftmaxConfig>("LogSoftmax");
        Register<UnaryMathConfig>("UnaryMath");
        Register<MinimumConfig>("Minimum");
        Register<MaximumConfig>("Maximum");
        Register<ConvTranspose2DConfig>("ConvTranspose2D");
        Register<ResizeConfig>("Resize");
        Register<TileConfig>("Tile");
        Register<GatherConfig>("Gather");
        Register<InstanceNorm2DConfig>("InstanceNorm2D");
        Register<LocalResponseNormConfig>("LocalResponseNorm");
    }

    /// <summary>Every registered config type with its tag, in the order registered.</summary>
    public static IReadOnlyList<(Type Config, string Tag)> All => Array.AsReadOnly(Volatile.Read(ref registered));

    /// <summary>
    /// Grows by one with each registration: JSON options whose resolver has already described
    /// <see cref="LayerConfig"/> (System.Text.Json caches that) must be made anew to see the new type.
    /// </summary>
    public static int Version => Volatile.Read(ref registered).Length;

    /// <summary>
    /// Registers <typeparamref name="TConfig"/> as the config of a layer type written as
    /// <paramref name="tag"/> in model files. Registering the same pair again does nothing; a tag
    /// or type already registered with another partner is refused.
    /// </summary>
    public static void Register<TConfig>(string tag) where TConfig : LayerConfig
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        var type = typeof(TConfig);
        if (type.IsAbstract) throw new ArgumentException($"LayerTypes.Register: {type.Name} is abstract; register the config type a layer returns.");
        lock (Gate)
        {
            foreach (var (config, existing) in registered)
            {
                if (config == type && existing == tag) return;
                if (existing == tag)
                    throw new ArgumentException($"LayerTypes.Register: the tag '{tag}' already names {config.Name}; pick another for {type.Name}.");
                if (config == type)
                    throw new ArgumentException($"LayerTypes.Register: {type.Name} is already registered as '{existing}'.");
            }
            Volatile.Write(ref registered, [.. registered, (type, tag)]);
        }
    }

    /// <summary>The tag <paramref name="configType"/> is registered under, or null.</summary>
    public static string? TagOf(Type configType)
    {
        foreach (var (config, tag) in Volatile.Read(ref registered))
            if (config == configType) return tag;
        return null;
    }

    /// <summary>
    /// A <see cref="DefaultJsonTypeInfoResolver"/> modifier that makes <see cref="LayerConfig"/>
    /// polymorphic over the registered types, tagged by <see cref="TagProperty"/> (model files use
    /// it; add it to your own resolver to read or write configs elsewhere).
    /// </summary>
    public static void AddDerivedTypes(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Type != typeof(LayerConfig)) return;
        var options = new JsonPolymorphismOptions { TypeDiscriminatorPropertyName = TagProperty };
        foreach (var (config, tag) in All) options.DerivedTypes.Add(new JsonDerivedType(config, tag));
        typeInfo.PolymorphismOptions = options;
    }

    /// <summary>A resolver describing types by reflection, with <see cref="AddDerivedTypes"/> applied.</summary>
    public static IJsonTypeInfoResolver CreateResolver() => new DefaultJsonTypeInfoResolver { Modifiers = { AddDerivedTypes } };
}
