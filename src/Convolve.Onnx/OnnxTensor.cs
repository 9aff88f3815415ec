using System.Buffers.Binary;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx;

/// <summary>
/// Converts ONNX tensors (<see cref="TensorProto"/>) to and from Convolve's. Values are read from
/// <c>raw_data</c> (little-endian, row-major) when it is set, else from the typed field of the
/// element type. Errors name the source, the tensor and what is wrong.
/// </summary>
internal static class OnnxTensor
{
    /// <summary>
    /// Reads a file holding one serialized <see cref="TensorProto"/>, such as the
    /// <c>input_0.pb</c> and <c>output_0.pb</c> files of ONNX's test data.
    /// </summary>
    public static TensorProto Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new OnnxFormatException($"{path}: cannot read the tensor file: {e.Message}", e); }
        return Parse(bytes, path);
    }

    /// <summary>Reads a serialized <see cref="TensorProto"/>; <paramref name="source"/> names it in error messages.</summary>
    public static TensorProto Parse(ReadOnlySpan<byte> bytes, string source = "<memory>")
    {
        if (bytes.IsEmpty) throw new OnnxFormatException($"{source}: the file is empty (0 bytes); expected an ONNX tensor.");
        var tensor = OnnxModel.ParseMessage(TensorProto.Parser, bytes, source, "an ONNX tensor (TensorProto)");
        if (tensor.DataType == (int)DataType.Undefined)
            throw new OnnxFormatException($"{source}: {bytes.Length} bytes parsed, but give no data type (TensorProto field 2); this is not an ONNX tensor.");
        return tensor;
    }

    /// <summary>The element type, e.g. <see cref="DataType.Float"/>.</summary>
    public static DataType GetDataType(TensorProto tensor) => (DataType)tensor.DataType;

    /// <summary>The dimensions, outermost first (empty for a scalar); each checked to be 0 or more and to fit an int.</summary>
    public static int[] GetDimensions(TensorProto tensor, string source = "<memory>")
    {
        var dims = new int[tensor.Dims.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            long d = tensor.Dims[i];
            if (d < 0 || d > int.MaxValue)
                throw new OnnxFormatException($"{Describe(tensor, source)}: dimension {i} is {d}; dimensions must be between 0 and {int.MaxValue}.");
            dims[i] = (int)d;
        }
        return dims;
    }

    /// <summary>
    /// A float32 Convolve tensor with the same dimensions and values (copied). Reads FLOAT, and
    /// DOUBLE rounded to float32. Convolve tensors cannot be empty, so a dimension of 0 is an error.
    /// </summary>
    public static Tensor ToTensor(TensorProto tensor, string source = "<memory>")
    {
        var dims = GetDimensions(tensor, source);
        if (dims.Contains(0))
            throw new OnnxFormatException($"{Describe(tensor, source)}: dimensions [{string.Join(", ", dims)}] include 0; Convolve tensors cannot be empty.");
        // The element count is checked against the values present before anything is allocated:
        // a corrupt file can claim a dimension of 2e9 with a few bytes of data.
        int count = ElementCount(tensor, source);
        var type = GetDataType(tensor);
        bool useRaw = type switch
        {
            DataType.Float => UseRaw(tensor, count, sizeof(float), tensor.FloatData.Count, source, out _),
            DataType.Double => UseRaw(tensor, count, sizeof(double), tensor.DoubleData.Count, source, out _),
            _ => throw Unsupported(tensor, source, "FLOAT and DOUBLE (as float32)"),
        };
        var result = new Tensor(new Shape(dims));
        var values = result.Span;
        var raw = tensor.RawData.Span;
        if (type == DataType.Float)
        {
            if (useRaw)
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
            else
                for (int i = 0; i < values.Length; i++) values[i] = tensor.FloatData[i];
        }
        else
        {
            if (useRaw)
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
            else
                for (int i = 0; i < values.Length; i++) values[i] = (float)tensor.DoubleData[i];
        }
        return result;
    }

    /// <summary>
    /// The values of an integer tensor (INT64, or INT32 widened) as a flat row-major array: the
    /// type ONNX uses for shapes, axes and indices. Empty tensors give an empty array.
    /// </summary>
    public static long[] ToInt64Array(TensorProto tensor, string source = "<memory>")
    {
        int count = ElementCount(tensor, source);
        var values = new long[count];
        switch (GetDataType(tensor))
        {
            case DataType.Int64:
                if (UseRaw(tensor, count, sizeof(long), tensor.Int64Data.Count, source, out var raw))
                    for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
                else
                    tensor.Int64Data.CopyTo(values, 0);
                break;
            case DataType.Int32:
                if (UseRaw(tensor, count, sizeof(int), tensor.Int32Data.Count, source, out var raw32))
                    for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(raw32[(i * 4)..]);
                else
                    for (int i = 0; i < count; i++) values[i] = tensor.Int32Data[i];
                break;
            default:
                throw Unsupported(tensor, source, "INT64 and INT32 as integers");
        }
        return values;
    }

    /// <summary>The values of a BOOL tensor (one byte each in raw_data, or int32_data) as a flat row-major array.</summary>
    public static bool[] ToBoolArray(TensorProto tensor, string source = "<memory>")
    {
        if (GetDataType(tensor) != DataType.Bool) throw Unsupported(tensor, source, "BOOL as booleans");
        int count = ElementCount(tensor, source);
        var values = new bool[count];
        if (UseRaw(tensor, count, 1, tensor.Int32Data.Count, source, out var raw))
            for (int i = 0; i < count; i++) values[i] = raw[i] != 0;
        else
            for (int i = 0; i < count; i++) values[i] = tensor.Int32Data[i] != 0;
        return values;
    }

    /// <summary>A FLOAT tensor named <paramref name="name"/> holding a copy of <paramref name="tensor"/>'s values in raw_data.</summary>
    public static TensorProto FromTensor(Tensor tensor, string name)
    {
        var proto = new TensorProto { Name = name, DataType = (int)DataType.Float };
        foreach (int d in tensor.Shape.Dims) proto.Dims.Add(d);
        var raw = new byte[tensor.Length * sizeof(float)];
        var values = tensor.Span;
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        proto.RawData = ByteString.CopyFrom(raw);
        return proto;
    }

    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    public static int ElementCount(TensorProto tensor, string source = "<memory>")
    {
        long count = 1;
        foreach (int d in GetDimensions(tensor, source))
        {
            count *= d;
            if (count > Array.MaxLength)
                throw new OnnxFormatException($"{Describe(tensor, source)}: dimensions [{string.Join(", ", tensor.Dims)}] " +
                    $"hold more than {Array.MaxLength:N0} elements, more than an array can.");
        }
        return (int)count;
    }

    /// <summary>
    /// Checks that the values are where they should be and that their number fits the dimensions.
    /// Returns true with raw_data when the values are there, false when they are in the typed field.
    /// </summary>
    private static bool UseRaw(TensorProto tensor, int count, int elementSize, int typedCount, string source, out ReadOnlySpan<byte> raw)
    {
        raw = default;
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
            throw new OnnxFormatException($"{Describe(tensor, source)}: the values are stored in an external file, which Convolve does not read.");
        if (!tensor.RawData.IsEmpty)
        {
            long expected = (long)count * elementSize;
            if (tensor.RawData.Length != expected)
                throw new OnnxFormatException($"{Describe(tensor, source)}: raw_data has {tensor.RawData.Length} bytes; " +
                    $"dimensions [{string.Join(", ", tensor.Dims)}] of {DataTypeName(tensor.DataType)} need {expected}.");
            raw = tensor.RawData.Span;
            return true;
        }
        if (typedCount != count)
            throw new OnnxFormatException(
                $"{Describe(tensor, source)}: holds {typedCount} values; dimensions [{string.Join(", ", tensor.Dims)}] need {count}.");
        return false;
    }

    private static OnnxFormatException Unsupported(TensorProto tensor, string source, string supported) =>
        new($"{Describe(tensor, source)}: data type {DataTypeName(tensor.DataType)} is not supported here; this reads {supported}.");

    /// <summary>The ONNX name of a data type value, e.g. "FLOAT16 (10)".</summary>
    public static string DataTypeName(int dataType) =>
        Enum.IsDefined((DataType)dataType)
            ? $"{((DataType)dataType).ToString().ToUpperInvariant()} ({dataType})"
            : $"unknown ({dataType})";

    private static string Describe(TensorProto tensor, string source) =>
        tensor.Name.Length > 0 ? $"{source}: tensor '{tensor.Name}'" : $"{source}: tensor";
}
