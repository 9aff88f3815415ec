using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Tests.Serialization;

/// <summary>
/// Model files a corrupt header or a diverged training run could produce: refused with the file,
/// the tensor and the byte offset, never an unexpected exception or a model that predicts NaN.
/// </summary>
public sealed class ModelFileHardeningTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-modelfile-hardening-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static Sequential Small()
    {
        var model = new Sequential(new Conv2D(1, 2, 3), new ReLU(), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 4, 4), seed: 5);
        return model;
    }

    private byte[] Saved(Model model, ModelFileExtras? extras = null)
    {
        string path = Path.Combine(folder, "m.cvm");
        ModelFile.Save(model, path, extras);
        return File.ReadAllBytes(path);
    }


    private static byte[] WithChecksum(byte[] bytes)
    {
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes.AsSpan(bytes.Length - 32));
        return bytes;
    }

    [Fact]
    public void ATensorDimensionOf2e9_IsRefusedWithTheFileTheTensorAndTheOffset()
    {
        var bytes = ModelFileBytes.Rewrite(Saved(Small()), h => h.Replace("\"shape\":[2,1,3,3]", "\"shape\":[2000000000,1,3,3]"));
        int dataStart = ModelFileBytes.HeaderEnd(bytes);
        int dataBytes = bytes.Length - 32 - dataStart;

        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "big.cvm"));

        Assert.Equal($"big.cvm: tensor 'conv2d_1.weight' at byte {dataStart}: shape [2000000000, 1, 3, 3] holds more than 2,147,483,647 values, " +
            $"more than a tensor can; only {dataBytes:N0} bytes of tensor data remain in the file.", e.Message);
    }

    [Fact]
    public void ATensorLargerThanTheBytesPresent_IsRefusedBeforeAnythingIsAllocated()
    {
        // 2e9 values fit an int, but not the 100-odd bytes of the file.
        var bytes = ModelFileBytes.Rewrite(Saved(Small()), h => h.Replace("\"shape\":[2,1,3,3]", "\"shape\":[2000000000]"));
        int dataStart = ModelFileBytes.HeaderEnd(bytes);

        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "big.cvm"));

        Assert.Equal($"big.cvm: truncated: tensor 'conv2d_1.weight' [2000000000] needs 8,000,000,000 bytes at byte {dataStart}, " +
            $"but the data ends at byte {bytes.Length - 32}.", e.Message);
    }

    [Theory]
    [InlineData("[1,4,4]", "[1,2000000000,2000000000]", "holds more than 2,147,483,647 values per item")]
    [InlineData("[1,4,4]", "[1,-4,4]", "has a dimension of -4")]
    public void AnImpossibleInputShape_IsRefused(string from, string to, string expected)
    {
        var bytes = ModelFileBytes.Rewrite(Saved(Small()), h => h.Replace($"\"inputShape\":{from}", $"\"inputShape\":{to}"));
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "in.cvm"));
        Assert.StartsWith("in.cvm: the input shape [", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ALayerAskingForMoreWeightsThanAnIntCounts_IsRefused()
    {
        // A Dense layer of 2e9 units over 8 inputs: its weight alone is 1.6e10 values.
        var bytes = ModelFileBytes.Rewrite(Saved(Small()), h => h.Replace("\"outFeatures\":2,", "\"outFeatures\":2000000000,"));
        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "wide.cvm"));
        Assert.StartsWith("wide.cvm: ", e.Message);
    }

    [Fact]
    public void NaNAndInfiniteWeights_AreRefusedAtLoad_NamingTheTensorAndTheCount()
    {
        var model = Small();
        var weight = model.NamedParameters.Single(p => p.Key == "dense_1.weight").Parameter.Value.Span;
        weight[0] = float.NaN;
        weight[3] = float.PositiveInfinity;
        weight[5] = float.NegativeInfinity;
        string path = Path.Combine(folder, "nan.cvm");
        ModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        // conv2d_1.weight (18 values) and conv2d_1.bias (2) come first.
        long offset = ModelFileBytes.HeaderEnd(bytes) + (18 + 2) * sizeof(float);

        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));

        Assert.Equal($"{path}: tensor 'dense_1.weight' at byte {offset} holds 3 non-finite values (NaN or infinity) of 16; " +
            "the model was saved from a training run that diverged and cannot be used.", e.Message);
    }

    [Fact]
    public void ASingleNaN_IsCountedInTheSingular()
    {
        var bytes = Saved(Small());
        int dataStart = ModelFileBytes.HeaderEnd(bytes);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(dataStart + 4), float.NaN);

        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Parse(WithChecksum(bytes), "one.cvm"));

        Assert.StartsWith($"one.cvm: tensor 'conv2d_1.weight' at byte {dataStart} holds 1 non-finite value (NaN or infinity) of 18;", e.Message);
    }

    [Fact]
    public void ANonFiniteExtraTensor_IsRefusedToo()
    {
        var velocity = new Tensor(new Shape(3));
        velocity.Span[1] = float.NaN;
        var bytes = Saved(Small(), new ModelFileExtras(new Dictionary<string, string>(),
            new Dictionary<string, Tensor> { ["optimizer.velocity.0"] = velocity }));

        var e = Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "ckpt.cvm"));

        Assert.StartsWith("ckpt.cvm: tensor 'optimizer.velocity.0' at byte ", e.Message);
        Assert.Contains("holds 1 non-finite value", e.Message);
    }

    [Fact]
    public void AFiniteModel_StillLoads()
    {
        var model = Small();
        var loaded = ModelFile.Parse(Saved(model), "ok.cvm").Model;
        Assert.Equal(model.ParameterValues.ToArray(), loaded.ParameterValues.ToArray());
    }
}
