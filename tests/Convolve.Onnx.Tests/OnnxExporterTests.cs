using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Convolve.Onnx.Tests;

/// <summary>
/// Exported models run in ONNX Runtime and give Convolve's outputs. The rule: each output value
/// <c>a</c> of ONNX Runtime and <c>b</c> of Convolve's <see cref="Model.Forward"/> on the same
/// random input satisfy <c>|a - b| &lt;= 1e-5 * max(1, |b|)</c>, at batch 1 and at batch 5 (the
/// batch dimension is symbolic, so one exported file serves both).
/// </summary>
public sealed class OnnxExporterTests(ITestOutputHelper log)
{
    /// <summary>The tolerance of the rule above.</summary>
    public const double Tolerance = 1e-5;

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void ExportedModel_RunsInOnnxRuntime_LikeConvolve(string name)
    {
        var model = TestModels.Create(name);
        using var runtime = new OnnxRuntimeRunner(OnnxExporter.ToBytes(model));
        foreach (int batch in (int[])[1, 5])
        {
            var input = TestModels.RandomInput(model, batch, seed: batch);
            var expected = TestModels.Forward(model, input);
            var actual = runtime.Run(input);
            double worst = AssertClose(expected, actual, $"{name} at batch {batch}");
            log.WriteLine($"{name}, batch {batch}: output {actual.Shape}, largest |a - b| / max(1, |b|) = {worst:E2}");
        }
    }

    /// <summary>
    /// Every prefix of the every-layer model, so that each layer's export is compared on its own
    /// output rather than through the squashing layers after it.
    /// </summary>
    [Fact]
    public void EveryPrefixOfTheEveryLayerModel_RunsInOnnxRuntime_LikeConvolve()
    {
        var full = TestModels.Create("every-layer");
        for (int count = 1; count <= full.Layers.Count; count++)
        {
            // The prefix shares the full model's layers, and so their weights.
            var prefix = new Sequential(full.Layers.Take(count));
            prefix.BuildShapes(full.InputShape);
            using var runtime = new OnnxRuntimeRunner(OnnxExporter.ToBytes(prefix));
            var input = TestModels.RandomInput(prefix, 5, seed: count);
            var expected = TestModels.Forward(prefix, input);
            double worst = AssertClose(expected, runtime.Run(input), $"every-layer up to {full.Layers[count - 1]}");
            log.WriteLine($"up to {full.Layers[count - 1]}: output {expected.Shape}, largest relative difference {worst:E2}");
        }
    }

    /// <summary>Checks the rule of this class and returns the largest relative difference.</summary>
    internal static double AssertClose(Tensor expected, Tensor actual, string what, double tolerance = Tolerance)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}.");
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double b = expected[i], a = actual[i];
            double relative = Math.Abs(a - b) / Math.Max(1, Math.Abs(b));
            Assert.True(relative <= tolerance, $"{what}: element {i} is {a:R}, expected {b:R} (difference {relative:E2} > {tolerance:E0} relative).");
            worst = Math.Max(worst, relative);
        }
        return worst;
    }

    [Theory]
    [InlineData("lenet5", new[] { 1, 28, 28 }, 10)]
    [InlineData("resnet-graph", new[] { 3, 10, 9 }, 5)]
    public void ExportedModel_HasNamedInputAndOutput_WithASymbolicBatch(string name, int[] itemShape, int classes)
    {
        var model = TestModels.Create(name);
        var proto = OnnxExporter.Export(model);
        Assert.Equal(OnnxExporter.IrVersion, proto.IrVersion);
        Assert.Equal(13, Assert.Single(proto.OpsetImport).Version);
        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal("input", input.Name);
        var dims = input.Type.TensorType.Shape.Dim;
        Assert.Equal("N", dims[0].DimParam);
        Assert.Equal(itemShape.Select(d => (long)d), dims.Skip(1).Select(d => d.DimValue));
        Assert.Equal("output", Assert.Single(proto.Graph.Output).Name);

        // ONNX Runtime reads the same: -1 for the symbolic batch.
        using var runtime = new OnnxRuntimeRunner(proto.ToByteArray());
        Assert.Equal([-1, .. itemShape], runtime.Inputs["input"]);
        Assert.Equal([-1, classes], runtime.Outputs["output"]);
    }

    [Fact]
    public void ExportedModel_KeepsEveryParameter_AsAnInitializerNamedByItsModelFileKey()
    {
        var model = TestModels.Create("every-layer");
        var proto = OnnxExporter.Export(model);
        var initializers = proto.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var (key, parameter) in model.NamedParameters)
        {
            Assert.True(initializers.TryGetValue(key, out var tensor), $"no initializer '{key}'");
            Assert.Equal(parameter.Value.ToArray(), OnnxTensor.ToTensor(tensor).ToArray());
        }
    }

    private sealed class Unknown : Layer
    {
        public override Shape GetOutputShape(Shape inputShape) => inputShape;
        public override Tensor Forward(Tensor input, bool training = false) => input;
        public override Tensor Backward(Tensor dOutput) => dOutput;
        public override LayerConfig GetConfig() => throw new NotSupportedException();
    }

    [Fact]
    public void Export_OfALayerWithoutAnOnnxForm_NamesTheLayer()
    {
        var model = new Sequential(new Flatten(), new Unknown(), new Dense(2));
        model.Build(new Shape(1, 2, 2));
        var error = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(model));
        Assert.Equal("OnnxExporter: layer 'unknown_1' (Unknown()) has no ONNX export; exportable layers are AvgPool2D, BatchNorm2D, " +
            "CELU, Clip, Conv2D, ConvTranspose2D, Dense, Dropout, ELU, ElementwiseConstant, Flatten, GELU, Gather, GlobalAvgPool2D, HardSigmoid, " +
            "HardSwish, InstanceNorm2D, LeakyReLU, LocalResponseNorm, LogSoftmax, MaxPool2D, Mish, PReLU, Pad, ReLU, Reduce, Reshape, Resize, " +
            "SELU, SiLU, Sigmoid, Slice, Softmax, Softplus, Softsign, Tanh, ThresholdedReLU, Tile, Transpose and UnaryMath.", error.Message);
    }

    [Fact]
    public void Export_OfAnUnbuiltModel_SaysSo()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OnnxExporter.Export(Architectures.Mlp()));
        Assert.Equal("OnnxExporter: the model is not built; build it (or load it) first.", error.Message);
    }

    [Fact]
    public void Save_WritesTheSameBytesAsToBytes()
    {
        var model = TestModels.Create("article");
        string path = Path.Combine(Path.GetTempPath(), $"convolve-export-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExporter.Save(model, path);
            Assert.Equal(OnnxExporter.ToBytes(model), File.ReadAllBytes(path));
        }
        finally { File.Delete(path); }
    }
}
