using System.Text.Json;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Serialization;

/// <summary>The layer-type registry: every registered config saves and loads, and a user's own layer can join.</summary>
public sealed class LayerTypesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-layertypes-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>One config of each built-in layer type, with options away from their defaults where they have any.</summary>
    public static IReadOnlyList<LayerConfig> Samples { get; } =
    [
        new Conv2DConfig(3, 8, 3, 5, 2, 1, new Padding(1, 2, 0, 1), 1, 2, 1, false, Initializer.GlorotUniform),
        new Conv2DConfig(4, 8, 3, 3, Padding: Padding.Same, Groups: 2),
        new MaxPool2DConfig(3, 3, 2, 2, new Padding(1, 1, 1, 1), 2, 1, CeilMode: true),
        new AvgPool2DConfig(2, 3, 2, 1, Padding.Same, CeilMode: true, CountIncludePad: false),
        new GlobalAvgPool2DConfig(KeepDims: true),
        new ReLUConfig(),
        new LeakyReLUConfig(0.2f),
        new SigmoidConfig(),
        new TanhConfig(),
        new ClipConfig(0, 6),
        new ClipConfig(Max: 1),
        new HardSigmoidConfig(0.25f, 0.4f),
        new HardSwishConfig(),
        new SoftmaxConfig(1),
        new FlattenConfig(2),
        new DenseConfig(12, 5, false, Initializer.HeUniform),
        new DropoutConfig(0.25f),
        new BatchNorm2DConfig(6, 1e-3f, 0.01f),
        new AddConfig(),
        new ConcatConfig(3),
        new SubtractConfig(),
        new MultiplyConfig(),
        new DivideConfig(),
        new ElementwiseConstantConfig(BinaryOperation.Subtract, [3, 1, 1], ConstantOnLeft: true),
        new ReshapeConfig([4, -1, 0]),
        new TransposeConfig([0, 2, 3, 1]),
        new SliceConfig(2, 1, -1),
        new PadConfig([0, 1, 2, 0, 1, 2], PadMode.Reflect),
        new PadConfig([1, 1], PadMode.Constant, float.NegativeInfinity),
        new ReduceConfig(Convolve.Kernels.ReduceKind.Max, [2, 3], KeepDims: false),
        new PReLUConfig([3, 1, 1], 0.1f),
        new ELUConfig(0.5f),
        new SELUConfig(1.5f, 1.25f),
        new CELUConfig(2),
        new SoftplusConfig(),
        new SoftsignConfig(),
        new ThresholdedReLUConfig(0.5f),
        new GELUConfig("tanh"),
        new MishConfig(),
        new SiLUConfig(),
        new LogSoftmaxConfig(1),
        new UnaryMathConfig(Convolve.Kernels.UnaryMathKind.Pow, 0.5f),
        new UnaryMathConfig(Convolve.Kernels.UnaryMathKind.Erf),
        new MinimumConfig(),
        new MaximumConfig(),
        new ConvTranspose2DConfig(8, 6, 4, 3, 2, 1, new Padding(1, 0, 2, 1), 1, 0, 1, 2, 2, false, Initializer.GlorotUniform),
        new ResizeConfig(ResizeInterpolation.Linear, 2f, 1.5f, Coordinates: ResizeCoordinates.AlignCorners),
        new TileConfig([1, 1, 2, 3]),
        new GatherConfig(2, [0, -1, 2, 2], [2, 2]),
        new InstanceNorm2DConfig(6, 1e-3f),
        new LocalResponseNormConfig(5, 2e-4f, 0.5f, 2),
    ];

    private static string Json(LayerConfig config) => JsonSerializer.Serialize(config, ModelFile.JsonOptions);

    [Fact]
    public void EveryRegisteredType_HasASample_AndEverySampleRoundTrips()
    {
        var builtIn = LayerTypes.All.Where(t => t.Config.Assembly == typeof(LayerConfig).Assembly).Select(t => t.Config);
        Assert.Equal(builtIn.OrderBy(t => t.Name), Samples.Select(s => s.GetType()).Distinct().OrderBy(t => t.Name));
        foreach (var sample in Samples)
        {
            string json = Json(sample);
            Assert.StartsWith($"{{\"type\":\"{LayerTypes.TagOf(sample.GetType())}\"", json);
            var read = JsonSerializer.Deserialize<LayerConfig>(json, ModelFile.JsonOptions);
            Assert.Equal(sample, read);
            Assert.Equal(json, Json(read!));
            // The layer a config makes gives the config back.
            Assert.Equal(sample, sample.CreateLayer().GetConfig());
        }
    }

    [Fact]
    public void TheSamples_AreWrittenAsBefore()
    {
        // The model-file header's layer entries as the attribute-configured format wrote them:
        // the registry must not change a byte of what files hold.
        Assert.Equal(Golden, string.Join("\n", Samples.Select(Json)));
    }

    /// <summary>A user's own layer: y = factor * x, registered under the tag "TestScale".</summary>
    public sealed record ScaleConfig(float Factor) : LayerConfig
    {
        public override Layer CreateLayer() => new Scale(Factor);
    }

    /// <summary>The layer of <see cref="ScaleConfig"/>.</summary>
    public sealed class Scale(float factor) : Layer
    {
        public override Shape GetOutputShape(Shape inputShape) => inputShape;

        public override Tensor Forward(Tensor input, bool training = false)
        {
            var output = new Tensor(input.Shape);
            System.Numerics.Tensors.TensorPrimitives.Multiply(input.Span, factor, output.Span);
            return output;
        }

        public override Tensor Backward(Tensor dOutput) => Forward(dOutput);

        public override LayerConfig GetConfig() => new ScaleConfig(factor);
    }

    [Fact]
    public void AUserLayer_Registered_SavesAndLoads()
    {
        // A save before the registration: the model-file options must be made anew after it.
        var plain = new Sequential(new Flatten(), new Dense(2));
        plain.Build(new Shape(4));
        ModelFile.Save(plain, Path.Combine(folder, "before.cvm"));
        LayerTypes.Register<ScaleConfig>("TestScale");
        LayerTypes.Register<ScaleConfig>("TestScale");   // the same pair again is harmless
        var model = new Sequential(new Flatten(), new Dense(3), new Scale(2.5f), new Dense(2));
        model.Build(new Shape(1, 2, 2), seed: 4);
        string path = Path.Combine(folder, "scaled.cvm");

        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);

        var input = Tensor.FromArray([1, -2, 3, 0.5f, -1, 0, 2, 1], 2, 1, 2, 2);
        Assert.Equal(new ScaleConfig(2.5f), Assert.IsType<Scale>(loaded.Layers[2]).GetConfig());
        Assert.Equal(model.Forward(input).ToArray(), loaded.Forward(input).ToArray());
        Assert.Contains("\"type\":\"TestScale\",\"factor\":2.5", System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }

    [Fact]
    public void ARegistration_ClashingWithAnother_IsRefused()
    {
        Assert.Equal("LayerTypes.Register: the tag 'Conv2D' already names Conv2DConfig; pick another for ScaleConfig.",
            Assert.Throws<ArgumentException>(() => LayerTypes.Register<ScaleConfig>("Conv2D")).Message);
        Assert.Equal("LayerTypes.Register: ReLUConfig is already registered as 'ReLU'.",
            Assert.Throws<ArgumentException>(() => LayerTypes.Register<ReLUConfig>("Relu")).Message);
    }

    // One sample's JSON a line, as model files hold it: the file format's contract.
    private static string Golden =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Serialization", "Golden", "layer-configs.json")).TrimEnd('\n');
}
