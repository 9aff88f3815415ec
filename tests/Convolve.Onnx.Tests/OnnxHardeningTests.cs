using Convolve.Layers;
using Convolve.Models;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;

namespace Convolve.Onnx.Tests;

/// <summary>
/// ONNX files that claim impossible sizes, and models newer than what the importer was checked
/// against: a clear refusal naming the file and tensor, or an import with a warning.
/// </summary>
public sealed class OnnxHardeningTests
{
    private static ModelProto Exported()
    {
        var model = new Sequential(new Conv2D(1, 2, 3), new ReLU(), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 4, 4), seed: 4);
        return OnnxExporter.Export(model);
    }

    private static TensorProto Initializer(ModelProto proto, int rank) => proto.Graph.Initializer.First(t => t.Dims.Count == rank);

    [Fact]
    public void AWeightWithADimensionOf2e9_IsRefusedNamingTheFileTheNodeAndTheTensor()
    {
        var proto = Exported();
        var weight = Initializer(proto, 4);
        weight.Dims[0] = 2_000_000_000;
        var model = OnnxModel.Parse(proto.ToByteArray(), "big.onnx");

        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(model));

        Assert.StartsWith("big.onnx: Conv node '", e.Message);
        Assert.EndsWith($" input '{weight.Name}': tensor '{weight.Name}': " +
            "dimensions [2000000000, 1, 3, 3] hold more than 2,147,483,591 elements, more than an array can.", e.Message);
    }

    [Fact]
    public void AWeightClaimingMoreValuesThanItsBytes_IsRefusedBeforeAllocating()
    {
        var proto = Exported();
        var weight = Initializer(proto, 4);
        weight.Dims.Clear();
        weight.Dims.Add([500_000_000, 1, 2, 2]);
        var model = OnnxModel.Parse(proto.ToByteArray(), "claims.onnx");

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(model));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The claim is 8 GB of float32; the refusal costs a few kilobytes.
        Assert.True(allocated < 16 << 20, $"allocated {allocated:N0} bytes");
        Assert.EndsWith($"tensor '{weight.Name}': raw_data has 72 bytes; dimensions [500000000, 1, 2, 2] of FLOAT (1) need 8000000000.", e.Message);
    }

    [Fact]
    public void AStandaloneTensorFile_WithAnOverflowingShape_IsRefused()
    {
        var tensor = OnnxTensor.FromTensor(new Tensor(new Shape(2, 2)), "t");
        tensor.Dims[0] = 2_000_000_000;
        tensor.Dims[1] = 2_000_000_000;
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.ToTensor(OnnxTensor.Parse(tensor.ToByteArray(), "t.pb"), "t.pb"));
        Assert.StartsWith("t.pb: tensor 't': dimensions [2000000000, 2000000000] hold more than", e.Message);
    }

    [Fact]
    public void AStringLengthPastTheData_IsAFormatError_NotAnArgumentError()
    {
        // A file from the onnx fuzz target: Google.Protobuf throws ArgumentOutOfRangeException for it,
        // which must not reach the user as "Specified argument was out of the range of valid values."
        var bytes = File.ReadAllBytes(Path.Combine(RepositoryRoot(), "fuzz", "regressions", "onnx", "string-length-out-of-range.onnx"));

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Parse(bytes, "fuzzed.onnx"));

        Assert.Equal("fuzzed.onnx: 709 bytes are not an ONNX model (ModelProto): a string's length points outside the data.", e.Message);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Convolve.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no Convolve.slnx above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Opset99_Imports_WithAWarningThatNamesTheNewestChecked()
    {
        var proto = Exported();
        proto.OpsetImport[0].Version = 99;
        var warnings = new List<string>();

        var model = OnnxImporter.Import(OnnxModel.Parse(proto.ToByteArray(), "future.onnx"), onWarning: warnings.Add);

        Assert.True(model.IsBuilt);
        Assert.Equal(["future.onnx: opset 99 is newer than the newest checked, 18; operators may have changed meaning, " +
            "so compare the imported model's outputs with the original's."], warnings);
    }

    [Fact]
    public void TheExportersOpset_GivesNoWarning()
    {
        var model = OnnxModel.Parse(Exported().ToByteArray(), "ok.onnx");
        Assert.Empty(OnnxImporter.Warnings(model));
        Assert.True(OnnxExporter.Opset <= OnnxImporter.NewestCheckedOpset);
    }
}
