using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Tests.Layers;

namespace Convolve.Tests.Serialization;

public sealed class ModelFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-modelfile-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static Sequential EveryLayerModel()
    {
        var model = new Sequential(
            new Conv2D(new Conv2DConfig(1, 4, 3, 3, Padding: Padding.Same)), new BatchNorm2D(4), new LeakyReLU(0.2f),
            new MaxPool2D(2), new Conv2D(4, 4, 3, padding: 1, groups: 2, bias: false), new Tanh(),
            new AvgPool2D(2, ceilMode: true, countIncludePad: false), new Sigmoid(), new GlobalAvgPool2D(keepDims: true),
            new Flatten(), new Dropout(0.3f), new Dense(3), new ReLU(), new Dense(3, 2), new Softmax());
        model.Build(new Shape(1, 9, 9), seed: 11);
        return model;
    }

    [Fact]
    public void SaveThenLoad_GivesTheSameArchitectureWeightsAndOutputs()
    {
        var model = EveryLayerModel();
        // Move batch-norm's running statistics off their initial values.
        var input = GradientCheck.RandomTensor(new Shape(5, 1, 9, 9), new Random(2));
        model.Forward(input, training: true);
        var expected = model.Forward(input).ToArray();
        string path = Path.Combine(folder, "model.cvm");

        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);

        Assert.Equal(model.ToString(), loaded.ToString());
        Assert.Equal(model.NamedParameters.Select(p => p.Key), loaded.NamedParameters.Select(p => p.Key));
        Assert.Equal(model.ParameterValues.ToArray(), loaded.ParameterValues.ToArray());
        Assert.Equal(expected, loaded.Forward(input).ToArray());
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void AGraphModel_RoundTrips_WithItsConnections()
    {
        var graph = new Graph();
        var x = graph.Apply(new Conv2D(1, 2, 3, padding: 1), graph.Input);
        var branch = graph.Apply(new ReLU(), graph.Apply(new Conv2D(2, 2, 3, padding: 1), x));
        var merged = graph.Apply(new Concat(), graph.Apply(new Add(), x, branch), x);
        graph.Apply(new Dense(3), graph.Apply(new Flatten(), merged));
        graph.Build(new Shape(1, 5, 5), seed: 8);
        var input = GradientCheck.RandomTensor(new Shape(2, 1, 5, 5), new Random(3));
        string path = Path.Combine(folder, "graph.cvm");

        ModelFile.Save(graph, path);
        var loaded = Assert.IsType<Graph>(ModelFile.Load(path));

        Assert.Equal(graph.ToString(), loaded.ToString());
        Assert.Equal(graph.Forward(input).ToArray(), loaded.Forward(input).ToArray());
    }

    [Fact]
    public void MetadataAndExtraTensors_RoundTrip()
    {
        var model = EveryLayerModel();
        string path = Path.Combine(folder, "checkpoint.cvm");
        var extra = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        ModelFile.Save(model, path, new ModelFileExtras(
            new Dictionary<string, string> { ["epoch"] = "3", ["classes"] = "a,b" },
            new Dictionary<string, Tensor> { ["optimizer.velocity.0"] = extra }));

        var (_, extras) = ModelFile.Read(path);

        Assert.Equal("3", extras.Metadata["epoch"]);
        Assert.Equal("a,b", extras.Metadata["classes"]);
        Assert.Equal(extra.Shape, extras.Tensors["optimizer.velocity.0"].Shape);
        Assert.Equal(extra.ToArray(), extras.Tensors["optimizer.velocity.0"].ToArray());
    }

    private byte[] SavedBytes()
    {
        string path = Path.Combine(folder, "m.cvm");
        ModelFile.Save(EveryLayerModel(), path);
        return File.ReadAllBytes(path);
    }

    private static string ParseError(byte[] bytes) =>
        Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "m.cvm")).Message;

    [Fact]
    public void AFlippedByte_IsReportedAsAChecksumMismatch()
    {
        var bytes = SavedBytes();
        bytes[bytes.Length - 40] ^= 0x10;
        Assert.Equal("m.cvm: checksum mismatch: the SHA-256 stored in the last 32 bytes does not match the contents; the file is corrupt or truncated.",
            ParseError(bytes));
    }

    [Fact]
    public void ATruncatedFile_IsRefused()
    {
        var bytes = SavedBytes();
        Assert.StartsWith("m.cvm: checksum mismatch", ParseError(bytes[..^10]));
        Assert.Equal("m.cvm: truncated: 20 bytes, but a model file has at least 48.", ParseError(bytes[..20]));
    }

    [Fact]
    public void AnotherFile_IsNotTakenForAModel()
    {
        Assert.Equal("m.cvm: not a Convolve model file (it does not start with \"CONVOLVE\").",
            ParseError(Encoding.ASCII.GetBytes("\x89PNG and more bytes than the magic")));
    }

    [Fact]
    public void ANewerFormatVersion_IsRefusedByName()
    {
        var bytes = SavedBytes();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 2);
        Assert.Equal("m.cvm: format version 2 at byte 8 is not one this Convolve reads (1 to 1).", ParseError(bytes));
    }

    [Fact]
    public void ATensorWhoseShapeDoesNotFitTheArchitecture_IsRefused()
    {
        // Same byte count, another shape: the file is consistent but does not fit the layers.
        var bytes = ModelFileBytes.Rewrite(SavedBytes(),
            header => header.Replace("{\"name\":\"dense_2.weight\",\"shape\":[2,3]}", "{\"name\":\"dense_2.weight\",\"shape\":[3,2]}"));
        Assert.Equal("m.cvm: tensor 'dense_2.weight' has shape [3, 2] in the file, but the architecture needs [2, 3].", ParseError(bytes));
    }

    [Fact]
    public void AnUnknownLayerType_IsRefusedWithTheHeaderPosition()
    {
        var bytes = ModelFileBytes.Rewrite(SavedBytes(), header => header.Replace("\"type\":\"Tanh\"", "\"type\":\"Swish\""));
        Assert.StartsWith("m.cvm: the header at byte 16 is not valid:", ParseError(bytes));
    }

}
