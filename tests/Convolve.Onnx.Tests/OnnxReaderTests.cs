using System.Buffers.Binary;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;
using AttributeType = Convolve.Onnx.Protos.AttributeProto.Types.AttributeType;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx.Tests;

/// <summary>The reader: models, tensors and attributes, and its error messages word for word.</summary>
public sealed class OnnxReaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("convolve-onnx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // ---- Models ---------------------------------------------------------------------------

    [DataFact(TestData.OnnxVectors)]
    public void Load_ConvVector_ReadsGraphAttributesAndOpset()
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        // The attributes of this vector are given in ONNX's operator documentation for Conv.
        var model = OnnxModel.Load(Path.Combine(OnnxTestData.Directory, "test_conv_with_strides_and_asymmetric_padding", "model.onnx"));
        var node = Assert.Single(model.Graph.Node);
        Assert.Equal("Conv", node.OpType);
        Assert.Equal(["x", "W"], model.RuntimeInputs.Select(i => i.Name));
        Assert.Equal([3L, 3L], node.GetInts("kernel_shape")!);
        Assert.Equal([1L, 0L, 1L, 0L], node.GetInts("pads")!);
        Assert.Equal([2L, 2L], node.GetInts("strides")!);
        Assert.Equal(1, node.GetInt("group", 1));
        Assert.Null(node.GetInts("dilations"));
        Assert.Equal(model.GetOpsetVersion(""), model.GetOpsetVersion("ai.onnx"));
        var inputType = model.Graph.Input[0].Type.TensorType;
        Assert.Equal((int)DataType.Float, inputType.ElemType);
        Assert.Equal([1L, 1L, 7L, 5L], inputType.Shape.Dim.Select(d => d.DimValue));
    }

    [Fact]
    public void Load_EmptyFile_SaysSo()
    {
        string path = Write("empty.onnx", []);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.Equal($"{path}: the file is empty (0 bytes); expected an ONNX model.", e.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        string path = Path.Combine(dir, "missing.onnx");
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.StartsWith($"{path}: cannot read the model file: ", e.Message);
    }

    [Fact]
    public void Load_TruncatedProtobuf_NamesFileAndSize()
    {
        // Field 7 (graph), length-delimited, claiming 100 bytes of which none follow.
        string path = Write("truncated.onnx", [0x3A, 100]);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.StartsWith($"{path}: 2 bytes are not an ONNX model (ModelProto): ", e.Message);
        Assert.IsType<InvalidProtocolBufferException>(e.InnerException);
    }

    [Fact]
    public void Load_ValidProtobufWithoutGraph_IsNotAModel()
    {
        byte[] bytes = new ModelProto { IrVersion = 8, ProducerName = "not a graph" }.ToByteArray();
        string path = Write("nograph.onnx", bytes);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.Equal($"{path}: {bytes.Length} bytes parsed, but hold no graph (ModelProto field 7); this is not an ONNX model.", e.Message);
    }

    [Fact]
    public void GetOpsetVersion_UnknownDomain_ListsTheImportedOnes()
    {
        var proto = new ModelProto { Graph = new GraphProto() };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var model = OnnxModel.Parse(proto.ToByteArray(), "m.onnx");
        Assert.Equal(13, model.GetOpsetVersion());
        var e = Assert.Throws<OnnxFormatException>(() => model.GetOpsetVersion("com.microsoft"));
        Assert.Equal("m.onnx: the model imports no operator set for domain 'com.microsoft' (it imports '' v13).", e.Message);
    }

    [Fact]
    public void Initializers_AreNotRuntimeInputs()
    {
        var graph = new GraphProto();
        graph.Input.Add(new ValueInfoProto { Name = "x" });
        graph.Input.Add(new ValueInfoProto { Name = "W" });
        graph.Initializer.Add(OnnxTensor.FromTensor(Tensor.FromArray([1f, 2f], 2), "W"));
        var model = OnnxModel.Parse(new ModelProto { Graph = graph }.ToByteArray());
        Assert.Equal(["x"], model.RuntimeInputs.Select(i => i.Name));
        Assert.Equal([1f, 2f], OnnxTensor.ToTensor(model.Initializers["W"]).ToArray());
    }

    // ---- Tensors --------------------------------------------------------------------------

    [Fact]
    public void FromTensor_ThenParse_RoundTrips()
    {
        var tensor = Tensor.FromArray([1.5f, -2f, float.MaxValue, 1e-30f, 0f, -0.25f], 2, 3);
        string path = Write("t.pb", OnnxTensor.FromTensor(tensor, "t").ToByteArray());
        var proto = OnnxTensor.Load(path);
        Assert.Equal("t", proto.Name);
        var back = OnnxTensor.ToTensor(proto, path);
        Assert.Equal(tensor.Shape, back.Shape);
        Assert.Equal(tensor.ToArray(), back.ToArray());
    }

    [Fact]
    public void ToTensor_ReadsTypedFieldsAndScalars()
    {
        var floats = new TensorProto { DataType = (int)DataType.Float, Dims = { 2 }, FloatData = { 3f, 4f } };
        Assert.Equal([3f, 4f], OnnxTensor.ToTensor(floats).ToArray());
        var doubles = new TensorProto { DataType = (int)DataType.Double, Dims = { 1, 2 }, DoubleData = { 0.5, -1.25 } };
        var d = OnnxTensor.ToTensor(doubles);
        Assert.Equal(new Shape(1, 2), d.Shape);
        Assert.Equal([0.5f, -1.25f], d.ToArray());
        var scalar = OnnxTensor.ToTensor(new TensorProto { DataType = (int)DataType.Float, FloatData = { 7f } });
        Assert.Equal(0, scalar.Shape.Rank);
        Assert.Equal([7f], scalar.ToArray());
    }

    [Fact]
    public void ToInt64Array_ReadsRawTypedAndInt32()
    {
        var raw = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(raw, -3);
        BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(8), 1L << 40);
        var rawProto = new TensorProto { DataType = (int)DataType.Int64, Dims = { 2 }, RawData = ByteString.CopyFrom(raw) };
        Assert.Equal([-3L, 1L << 40], OnnxTensor.ToInt64Array(rawProto));
        Assert.Equal([5L, 6L], OnnxTensor.ToInt64Array(new TensorProto { DataType = (int)DataType.Int64, Dims = { 2 }, Int64Data = { 5, 6 } }));
        Assert.Equal([-7L], OnnxTensor.ToInt64Array(new TensorProto { DataType = (int)DataType.Int32, Dims = { 1 }, Int32Data = { -7 } }));
        Assert.Empty(OnnxTensor.ToInt64Array(new TensorProto { DataType = (int)DataType.Int64, Dims = { 0 } }));
    }

    [Fact]
    public void ToBoolArray_ReadsRawBytesAndInt32Data()
    {
        Assert.Equal([true, false, true], OnnxTensor.ToBoolArray(
            new TensorProto { DataType = (int)DataType.Bool, Dims = { 3 }, RawData = ByteString.CopyFrom(1, 0, 1) }));
        Assert.Equal([false, true], OnnxTensor.ToBoolArray(
            new TensorProto { DataType = (int)DataType.Bool, Dims = { 2 }, Int32Data = { 0, 1 } }));
    }

    [Fact]
    public void ToTensor_UnsupportedDataType_NamesIt()
    {
        var half = new TensorProto { Name = "h", DataType = (int)DataType.Float16, Dims = { 2 }, RawData = ByteString.CopyFrom(0, 60, 0, 60) };
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.ToTensor(half, "w.pb"));
        Assert.Equal("w.pb: tensor 'h': data type FLOAT16 (10) is not supported here; this reads FLOAT and DOUBLE (as float32).", e.Message);
        var ints = new TensorProto { DataType = (int)DataType.Float, Dims = { 1 }, FloatData = { 1 } };
        e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.ToInt64Array(ints, "i.pb"));
        Assert.Equal("i.pb: tensor: data type FLOAT (1) is not supported here; this reads INT64 and INT32 as integers.", e.Message);
    }

    [Fact]
    public void ToTensor_RawDataOfWrongLength_SaysHowManyBytes()
    {
        var proto = new TensorProto { Name = "x", DataType = (int)DataType.Float, Dims = { 2, 3 }, RawData = ByteString.CopyFrom(new byte[20]) };
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.ToTensor(proto, "x.pb"));
        Assert.Equal("x.pb: tensor 'x': raw_data has 20 bytes; dimensions [2, 3] of FLOAT (1) need 24.", e.Message);
    }

    [Fact]
    public void ToTensor_TypedFieldOfWrongCount_SaysHowMany()
    {
        var proto = new TensorProto { Name = "x", DataType = (int)DataType.Float, Dims = { 3 }, FloatData = { 1, 2 } };
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.ToTensor(proto, "x.pb"));
        Assert.Equal("x.pb: tensor 'x': holds 2 values; dimensions [3] need 3.", e.Message);
    }

    [Fact]
    public void ToTensor_ZeroOrNegativeDimension_IsRefused()
    {
        var empty = new TensorProto { Name = "e", DataType = (int)DataType.Float, Dims = { 2, 0 } };
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.ToTensor(empty, "e.pb"));
        Assert.Equal("e.pb: tensor 'e': dimensions [2, 0] include 0; Convolve tensors cannot be empty.", e.Message);
        var negative = new TensorProto { Name = "n", DataType = (int)DataType.Float, Dims = { -1 } };
        e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.ToTensor(negative, "n.pb"));
        Assert.Equal("n.pb: tensor 'n': dimension 0 is -1; dimensions must be between 0 and 2147483647.", e.Message);
    }

    [Fact]
    public void ToTensor_ExternalData_IsRefused()
    {
        var proto = new TensorProto { Name = "big", DataType = (int)DataType.Float, Dims = { 1 }, DataLocation = TensorProto.Types.DataLocation.External };
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.ToTensor(proto, "m.onnx"));
        Assert.Equal("m.onnx: tensor 'big': the values are stored in an external file, which Convolve does not read.", e.Message);
    }

    [Fact]
    public void LoadTensor_EmptyOrTypelessFile_IsRefused()
    {
        string empty = Write("empty.pb", []);
        Assert.Equal($"{empty}: the file is empty (0 bytes); expected an ONNX tensor.",
            Assert.Throws<OnnxFormatException>(() => OnnxTensor.Load(empty)).Message);
        byte[] bytes = new TensorProto { Name = "x" }.ToByteArray();
        string typeless = Write("typeless.pb", bytes);
        Assert.Equal($"{typeless}: {bytes.Length} bytes parsed, but give no data type (TensorProto field 2); this is not an ONNX tensor.",
            Assert.Throws<OnnxFormatException>(() => OnnxTensor.Load(typeless)).Message);
    }

    /// <summary>
    /// The reader copes with every model and every tensor file of ONNX's node tests, not only the
    /// ones the conformance suite runs. (Inputs and outputs typed as sequences or optionals are
    /// other messages, skipped.)
    /// </summary>
    [DataFact(TestData.OnnxVectors)]
    public void EveryNodeTest_ModelAndTensorFilesParse_NonEmptyFloatTensorsConvert()
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        int models = 0, converted = 0;
        foreach (string testDir in Directory.EnumerateDirectories(OnnxTestData.Directory, "test_*"))
        {
            var model = OnnxModel.Load(Path.Combine(testDir, "model.onnx"));
            models++;
            foreach (string setDir in Directory.EnumerateDirectories(testDir, "test_data_set_*"))
            {
                var files = model.RuntimeInputs.Select((v, i) => (v, Path.Combine(setDir, $"input_{i}.pb")))
                    .Concat(model.Graph.Output.Select((v, i) => (v, Path.Combine(setDir, $"output_{i}.pb"))));
                foreach (var (value, path) in files)
                {
                    if (value.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType || !File.Exists(path)) continue;
                    var proto = OnnxTensor.Load(path);
                    // (Only float is checked against the declared type: the suite stores BFLOAT16 values as UINT16.)
                    if (value.Type.TensorType.ElemType == (int)DataType.Float) Assert.Equal(DataType.Float, OnnxTensor.GetDataType(proto));
                    if (OnnxTensor.GetDataType(proto) != DataType.Float || OnnxTensor.ElementCount(proto, path) == 0) continue;
                    Assert.Equal(OnnxTensor.ElementCount(proto, path), OnnxTensor.ToTensor(proto, path).Length);
                    converted++;
                }
            }
        }
        Assert.True(models > 500 && converted > 1000, $"only {models} models and {converted} float tensors read");
    }

    // ---- Attributes -----------------------------------------------------------------------

    [Fact]
    public void Attributes_GiveDefaultsAndRefuseTheWrongType()
    {
        var node = new NodeProto { OpType = "Conv", Name = "c1" };
        node.Attribute.Add(new AttributeProto { Name = "group", Type = AttributeType.Float, F = 2 });
        node.Attribute.Add(new AttributeProto { Name = "auto_pad", Type = AttributeType.String, S = ByteString.CopyFromUtf8("VALID") });
        Assert.Equal("VALID", node.GetString("auto_pad", "NOTSET"));
        Assert.Equal(0.5f, node.GetFloat("alpha", 0.5f));
        Assert.False(node.Has("pads"));
        var e = Assert.Throws<OnnxFormatException>(() => node.GetInt("group", 1));
        Assert.Equal("Conv node 'c1': attribute 'group' is FLOAT, expected INT.", e.Message);
    }
}
