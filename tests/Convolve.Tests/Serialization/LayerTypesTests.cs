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

    private const string Golden = """
        {"type":"Conv2D","inChannels":3,"outChannels":8,"kernelH":3,"kernelW":5,"strideH":2,"strideW":1,"padding":{"top":1,"left":2,"bottom":0,"right":1,"isSame":false,"isSymmetric":false},"dilationH":1,"dilationW":2,"groups":1,"bias":false,"initializer":"GlorotUniform"}
        {"type":"Conv2D","inChannels":4,"outChannels":8,"kernelH":3,"kernelW":3,"strideH":1,"strideW":1,"padding":{"top":0,"left":0,"bottom":0,"right":0,"isSame":true,"isSymmetric":false},"dilationH":1,"dilationW":1,"groups":2,"bias":true,"initializer":"HeUniform"}
        {"type":"MaxPool2D","kernelH":3,"kernelW":3,"strideH":2,"strideW":2,"padding":{"top":1,"left":1,"bottom":1,"right":1,"isSame":false,"isSymmetric":true},"dilationH":2,"dilationW":1,"ceilMode":true}
        {"type":"AvgPool2D","kernelH":2,"kernelW":3,"strideH":2,"strideW":1,"padding":{"top":0,"left":0,"bottom":0,"right":0,"isSame":true,"isSymmetric":false},"ceilMode":true,"countIncludePad":false}
        {"type":"GlobalAvgPool2D","keepDims":true}
        {"type":"ReLU"}
        {"type":"LeakyReLU","alpha":0.2}
        {"type":"Sigmoid"}
        {"type":"Tanh"}
        {"type":"Clip","min":0,"max":6}
        {"type":"Clip","min":"-Infinity","max":1}
        {"type":"HardSigmoid","alpha":0.25,"beta":0.4}
        {"type":"HardSwish"}
        {"type":"Softmax","axis":1}
        {"type":"Flatten","axis":2}
        {"type":"Dense","inFeatures":12,"outFeatures":5,"bias":false,"initializer":"HeUniform"}
        {"type":"Dropout","rate":0.25}
        {"type":"BatchNorm2D","channels":6,"epsilon":0.001,"momentum":0.01}
        {"type":"Add"}
        {"type":"Concat","axis":3}
        {"type":"Subtract"}
        {"type":"Multiply"}
        {"type":"Divide"}
        {"type":"ElementwiseConstant","operation":"Subtract","constantShape":[3,1,1],"constantOnLeft":true}
        {"type":"Reshape","shape":[4,-1,0]}
        {"type":"Transpose","permutation":[0,2,3,1]}
        {"type":"Slice","axis":2,"start":1,"end":-1}
        {"type":"Pad","pads":[0,1,2,0,1,2],"mode":"Reflect","value":0}
        {"type":"Pad","pads":[1,1],"mode":"Constant","value":"-Infinity"}
        {"type":"Reduce","kind":"Max","axes":[2,3],"keepDims":false}
        {"type":"PReLU","slopeShape":[3,1,1],"init":0.1}
        {"type":"ELU","alpha":0.5}
        {"type":"SELU","alpha":1.5,"gamma":1.25}
        {"type":"CELU","alpha":2}
        {"type":"Softplus"}
        {"type":"Softsign"}
        {"type":"ThresholdedReLU","alpha":0.5}
        {"type":"GELU","approximate":"tanh"}
        {"type":"Mish"}
        {"type":"SiLU"}
        {"type":"LogSoftmax","axis":1}
        {"type":"UnaryMath","kind":"Pow","exponent":0.5}
        {"type":"UnaryMath","kind":"Erf","exponent":1}
        {"type":"Minimum"}
        {"type":"Maximum"}
        """;
}
