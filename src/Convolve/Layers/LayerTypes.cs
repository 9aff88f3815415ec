using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Convolve.Serialization;

namespace Convolve.Layers;

/// <summary>
/// The layer types a model file can hold: each config type with the tag that names it in the
/// file (<c>{"type":"Conv2D", ...}</c>). The built-in layers register below, one line each; a
/// user's own layer registers its config with <see cref="Register{TConfig}(string, IJsonTypeInfoResolver)"/> before its first
/// model is saved or loaded, and then saves and loads like a built-in one.
/// The built-in configs are described by source-generated JSON metadata (trim- and AOT-safe); a
/// user's config is described by the resolver it registers with, or by reflection.
/// </summary>
public static class LayerTypes
{
    /// <summary>The JSON property that holds a config's tag.</summary>
    public const string TagProperty = "type";

    private static readonly Lock Gate = new();
    private static (Type Config, string Tag)[] registered = [];
    // The resolvers that describe the registered configs, each once, in the order first registered.
    private static IJsonTypeInfoResolver[] resolvers = [];
    private static IJsonTypeInfoResolver? reflection;
    private static JsonConverter? enumsByName;

    /// <summary>The converter model files add for configs described by reflection (null until one registers).</summary>
    internal static JsonConverter? ReflectionEnumConverter => Volatile.Read(ref enumsByName);

    private const string ReflectionWarning = "Registering a config without a resolver describes it to System.Text.Json by reflection, " +
        "which trimming can break and native AOT cannot run. Use Register<TConfig>(tag, resolver) with a JsonSerializerContext " +
        "that has [JsonSerializable(typeof(TConfig))].";

    static LayerTypes()
    {
        Register<Conv2DConfig>("Conv2D", ModelFileJson.Default);
        Register<MaxPool2DConfig>("MaxPool2D", ModelFileJson.Default);
        Register<AvgPool2DConfig>("AvgPool2D", ModelFileJson.Default);
        Register<GlobalAvgPool2DConfig>("GlobalAvgPool2D", ModelFileJson.Default);
        Register<ReLUConfig>("ReLU", ModelFileJson.Default);
        Register<LeakyReLUConfig>("LeakyReLU", ModelFileJson.Default);
        Register<SigmoidConfig>("Sigmoid", ModelFileJson.Default);
        Register<TanhConfig>("Tanh", ModelFileJson.Default);
        Register<ClipConfig>("Clip", ModelFileJson.Default);
        Register<HardSigmoidConfig>("HardSigmoid", ModelFileJson.Default);
        Register<HardSwishConfig>("HardSwish", ModelFileJson.Default);
        Register<SoftmaxConfig>("Softmax", ModelFileJson.Default);
        Register<FlattenConfig>("Flatten", ModelFileJson.Default);
        Register<DenseConfig>("Dense", ModelFileJson.Default);
        Register<DropoutConfig>("Dropout", ModelFileJson.Default);
        Register<BatchNorm2DConfig>("BatchNorm2D", ModelFileJson.Default);
        Register<AddConfig>("Add", ModelFileJson.Default);
        Register<ConcatConfig>("Concat", ModelFileJson.Default);
        Register<SubtractConfig>("Subtract", ModelFileJson.Default);
        Register<MultiplyConfig>("Multiply", ModelFileJson.Default);
        Register<DivideConfig>("Divide", ModelFileJson.Default);
        Register<ElementwiseConstantConfig>("ElementwiseConstant", ModelFileJson.Default);
        Register<ReshapeConfig>("Reshape", ModelFileJson.Default);
        Register<TransposeConfig>("Transpose", ModelFileJson.Default);
        Register<SliceConfig>("Slice", ModelFileJson.Default);
        Register<PadConfig>("Pad", ModelFileJson.Default);
        Register<ReduceConfig>("Reduce", ModelFileJson.Default);
        Register<PReLUConfig>("PReLU", ModelFileJson.Default);
        Register<ELUConfig>("ELU", ModelFileJson.Default);
        Register<SELUConfig>("SELU", ModelFileJson.Default);
        Register<CELUConfig>("CELU", ModelFileJson.Default);
        Register<SoftplusConfig>("Softplus", ModelFileJson.Default);
        Register<SoftsignConfig>("Softsign", ModelFileJson.Default);
        Register<ThresholdedReLUConfig>("ThresholdedReLU", ModelFileJson.Default);
        Register<GELUConfig>("GELU", ModelFileJson.Default);
        Register<MishConfig>("Mish", ModelFileJson.Default);
        Register<SiLUConfig>("SiLU", ModelFileJson.Default);
        Register<LogSoftmaxConfig>("LogSoftmax", ModelFileJson.Default);
        Register<UnaryMathConfig>("UnaryMath", ModelFileJson.Default);
        Register<MinimumConfig>("Minimum", ModelFileJson.Default);
        Register<MaximumConfig>("Maximum", ModelFileJson.Default);
        Register<ConvTranspose2DConfig>("ConvTranspose2D", ModelFileJson.Default);
        Register<ResizeConfig>("Resize", ModelFileJson.Default);
        Register<TileConfig>("Tile", ModelFileJson.Default);
        Register<GatherConfig>("Gather", ModelFileJson.Default);
        Register<InstanceNorm2DConfig>("InstanceNorm2D", ModelFileJson.Default);
        Register<LocalResponseNormConfig>("LocalResponseNorm", ModelFileJson.Default);
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
    /// <paramref name="tag"/> in model files, described to System.Text.Json by reflection.
    /// Registering the same pair again does nothing; a tag or type already registered with another
    /// partner is refused. In a trimmed or native AOT app use <see cref="Register{TConfig}(string, IJsonTypeInfoResolver)"/>.
    /// </summary>
    [RequiresUnreferencedCode(ReflectionWarning)]
    [RequiresDynamicCode(ReflectionWarning)]
    public static void Register<TConfig>(string tag) where TConfig : LayerConfig
    {
        if (Volatile.Read(ref reflection) is null)
        {
            // Model files write enums by name: the built-in configs' generated metadata does so, and
            // this converter does for configs described by reflection.
            Volatile.Write(ref enumsByName, new JsonStringEnumConverter());
            Interlocked.CompareExchange(ref reflection, new DefaultJsonTypeInfoResolver(), null);
        }
        Register<TConfig>(tag, reflection!);
    }

    /// <summary>
    /// Registers <typeparamref name="TConfig"/> as the config of a layer type written as
    /// <paramref name="tag"/> in model files, described by <paramref name="resolver"/>: a
    /// <see cref="JsonSerializerContext"/> with <c>[JsonSerializable(typeof(TConfig))]</c> (and
    /// <c>[JsonSourceGenerationOptions(UseStringEnumConverter = true)]</c> to write enums by name, as
    /// the built-in layers do) keeps model files working in trimmed and native AOT apps.
    /// Registering the same pair again does nothing; a tag or type already registered with another
    /// partner is refused, and so is a resolver that does not describe <typeparamref name="TConfig"/>.
    /// </summary>
    public static void Register<TConfig>(string tag, IJsonTypeInfoResolver resolver) where TConfig : LayerConfig
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentNullException.ThrowIfNull(resolver);
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
            if (resolver != ModelFileJson.Default && resolver.GetTypeInfo(type, new JsonSerializerOptions { TypeInfoResolver = resolver }) is null)
                throw new ArgumentException($"LayerTypes.Register: the resolver given for {type.Name} does not describe it; " +
                    $"add [JsonSerializable(typeof({type.Name}))] to its JsonSerializerContext.");
            if (!resolvers.Contains(resolver)) Volatile.Write(ref resolvers, [.. resolvers, resolver]);
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

    /// <summary>
    /// The resolver model files use: the registered configs' resolvers (source-generated metadata
    /// for the built-in layers), with <see cref="AddDerivedTypes"/> applied. It is trim- and
    /// AOT-safe as long as every config was registered with a resolver of its own.
    /// </summary>
    public static IJsonTypeInfoResolver CreateResolver() => JsonTypeInfoResolver.Combine(Volatile.Read(ref resolvers)).WithAddedModifier(AddDerivedTypes);
}

/// <summary>
/// Source-generated JSON metadata for model files (trim- and AOT-safe): the header's records and
/// the built-in layer configs, one line per layer as in the list above. Its options match the
/// header's (<see cref="ModelFile"/>): camelCase names, enums by name.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ModelFile.Header))]
[JsonSerializable(typeof(LayerConfig))]
[JsonSerializable(typeof(Conv2DConfig))]
[JsonSerializable(typeof(MaxPool2DConfig))]
[JsonSerializable(typeof(AvgPool2DConfig))]
[JsonSerializable(typeof(GlobalAvgPool2DConfig))]
[JsonSerializable(typeof(ReLUConfig))]
[JsonSerializable(typeof(LeakyReLUConfig))]
[JsonSerializable(typeof(SigmoidConfig))]
[JsonSerializable(typeof(TanhConfig))]
[JsonSerializable(typeof(ClipConfig))]
[JsonSerializable(typeof(HardSigmoidConfig))]
[JsonSerializable(typeof(HardSwishConfig))]
[JsonSerializable(typeof(SoftmaxConfig))]
[JsonSerializable(typeof(FlattenConfig))]
[JsonSerializable(typeof(DenseConfig))]
[JsonSerializable(typeof(DropoutConfig))]
[JsonSerializable(typeof(BatchNorm2DConfig))]
[JsonSerializable(typeof(AddConfig))]
[JsonSerializable(typeof(ConcatConfig))]
[JsonSerializable(typeof(SubtractConfig))]
[JsonSerializable(typeof(MultiplyConfig))]
[JsonSerializable(typeof(DivideConfig))]
[JsonSerializable(typeof(ElementwiseConstantConfig))]
[JsonSerializable(typeof(ReshapeConfig))]
[JsonSerializable(typeof(TransposeConfig))]
[JsonSerializable(typeof(SliceConfig))]
[JsonSerializable(typeof(PadConfig))]
[JsonSerializable(typeof(ReduceConfig))]
[JsonSerializable(typeof(PReLUConfig))]
[JsonSerializable(typeof(ELUConfig))]
[JsonSerializable(typeof(SELUConfig))]
[JsonSerializable(typeof(CELUConfig))]
[JsonSerializable(typeof(SoftplusConfig))]
[JsonSerializable(typeof(SoftsignConfig))]
[JsonSerializable(typeof(ThresholdedReLUConfig))]
[JsonSerializable(typeof(GELUConfig))]
[JsonSerializable(typeof(MishConfig))]
[JsonSerializable(typeof(SiLUConfig))]
[JsonSerializable(typeof(LogSoftmaxConfig))]
[JsonSerializable(typeof(UnaryMathConfig))]
[JsonSerializable(typeof(MinimumConfig))]
[JsonSerializable(typeof(MaximumConfig))]
[JsonSerializable(typeof(ConvTranspose2DConfig))]
[JsonSerializable(typeof(ResizeConfig))]
[JsonSerializable(typeof(TileConfig))]
[JsonSerializable(typeof(GatherConfig))]
[JsonSerializable(typeof(InstanceNorm2DConfig))]
[JsonSerializable(typeof(LocalResponseNormConfig))]
internal sealed partial class ModelFileJson : JsonSerializerContext;
