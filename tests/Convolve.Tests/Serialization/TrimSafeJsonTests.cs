using System.Text.Json.Serialization;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Serialization;

/// <summary>
/// Model files without reflection: the built-in configs are described by source-generated metadata,
/// and a program's own layer can register with a JsonSerializerContext of its own (the trim- and AOT-safe way).
/// </summary>
public sealed class TrimSafeJsonTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-trimsafe-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void EveryBuiltInConfig_HasSourceGeneratedMetadata()
    {
        var builtIn = LayerTypes.All.Where(t => t.Config.Assembly == typeof(LayerConfig).Assembly).ToList();
        Assert.True(builtIn.Count > 40, $"only {builtIn.Count} built-in configs registered");
        var missing = builtIn.Where(t => ModelFileJson.Default.GetTypeInfo(t.Config) is null).Select(t => t.Config.Name).ToList();
        Assert.True(missing.Count == 0, $"add [JsonSerializable(typeof(...))] to ModelFileJson for {string.Join(", ", missing)}");
    }

    public enum ShiftDirection { Up, Down }

    /// <summary>A program's own config, with an enum, described by its own generated context.</summary>
    public sealed record ShiftConfig(float Amount, ShiftDirection Direction) : LayerConfig
    {
        public override Layer CreateLayer() => new Shift(Amount, Direction);
    }

    /// <summary>Adds or subtracts a constant.</summary>
    public sealed class Shift(float amount, ShiftDirection direction) : Layer
    {
        private float Signed => direction == ShiftDirection.Up ? amount : -amount;

        public override Shape GetOutputShape(Shape inputShape) => inputShape;

        public override Tensor Forward(Tensor input, bool training = false)
        {
            var output = new Tensor(input.Shape);
            System.Numerics.Tensors.TensorPrimitives.Add(input.Span, Signed, output.Span);
            return output;
        }

        public override Tensor Backward(Tensor dOutput) => dOutput;

        public override LayerConfig GetConfig() => new ShiftConfig(amount, direction);
    }

    [Fact]
    public void AUserLayer_RegisteredWithItsOwnContext_SavesAndLoads_EnumsByName()
    {
        LayerTypes.Register<ShiftConfig>("TestShift", ShiftJson.Default);
        var model = new Sequential(new Flatten(), new Dense(3), new Shift(1.5f, ShiftDirection.Down), new Dense(2));
        model.Build(new Shape(1, 2, 2), seed: 3);
        string path = Path.Combine(folder, "shifted.cvm");

        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);

        var input = Tensor.FromArray([1, -2, 3, 0.5f, -1, 0, 2, 1], 2, 1, 2, 2);
        Assert.Equal(new ShiftConfig(1.5f, ShiftDirection.Down), Assert.IsType<Shift>(loaded.Layers[2]).GetConfig());
        Assert.Equal(model.Forward(input).ToArray(), loaded.Forward(input).ToArray());
        Assert.Contains("\"type\":\"TestShift\",\"amount\":1.5,\"direction\":\"Down\"", System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }

    public sealed record UndescribedConfig(int Size) : LayerConfig
    {
        public override Layer CreateLayer() => new ReLU();
    }

    [Fact]
    public void AResolver_ThatDoesNotDescribeTheConfig_IsRefused()
    {
        Assert.Equal("LayerTypes.Register: the resolver given for UndescribedConfig does not describe it; " +
            "add [JsonSerializable(typeof(UndescribedConfig))] to its JsonSerializerContext.",
            Assert.Throws<ArgumentException>(() => LayerTypes.Register<UndescribedConfig>("TestUndescribed", ShiftJson.Default)).Message);
        Assert.Null(LayerTypes.TagOf(typeof(UndescribedConfig)));
    }
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(TrimSafeJsonTests.ShiftConfig))]
internal sealed partial class ShiftJson : JsonSerializerContext;
