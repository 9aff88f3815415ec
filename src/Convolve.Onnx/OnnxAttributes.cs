using Convolve.Onnx.Protos;
using AttributeType = Convolve.Onnx.Protos.AttributeProto.Types.AttributeType;

namespace Convolve.Onnx;

/// <summary>
/// Typed access to a node's attributes, with the operator's default when an attribute is
/// absent. An attribute of the wrong type is an error that names the node and the attribute.
/// </summary>
internal static class OnnxAttributes
{
    /// <summary>The attribute called <paramref name="name"/>, or null.</summary>
    public static AttributeProto? Find(this NodeProto node, string name)
    {
        foreach (var attribute in node.Attribute)
            if (attribute.Name == name) return attribute;
        return null;
    }

    /// <summary>Whether the node sets the attribute.</summary>
    public static bool Has(this NodeProto node, string name) => node.Find(name) is not null;

    /// <summary>An INT attribute, or <paramref name="defaultValue"/> when absent.</summary>
    public static long GetInt(this NodeProto node, string name, long defaultValue) =>
        node.Find(name) is { } a ? Require(node, a, AttributeType.Int).I : defaultValue;

    /// <summary>A FLOAT attribute, or <paramref name="defaultValue"/> when absent.</summary>
    public static float GetFloat(this NodeProto node, string name, float defaultValue) =>
        node.Find(name) is { } a ? Require(node, a, AttributeType.Float).F : defaultValue;

    /// <summary>A STRING attribute (UTF-8), or <paramref name="defaultValue"/> when absent.</summary>
    public static string GetString(this NodeProto node, string name, string defaultValue) =>
        node.Find(name) is { } a ? Require(node, a, AttributeType.String).S.ToStringUtf8() : defaultValue;

    /// <summary>An INTS attribute, or null when absent.</summary>
    public static long[]? GetInts(this NodeProto node, string name) =>
        node.Find(name) is { } a ? Require(node, a, AttributeType.Ints).Ints.ToArray() : null;

    /// <summary>A FLOATS attribute, or null when absent.</summary>
    public static float[]? GetFloats(this NodeProto node, string name) =>
        node.Find(name) is { } a ? Require(node, a, AttributeType.Floats).Floats.ToArray() : null;

    /// <summary>A TENSOR attribute, or null when absent.</summary>
    public static TensorProto? GetTensor(this NodeProto node, string name) =>
        node.Find(name) is { } a ? Require(node, a, AttributeType.Tensor).T : null;

    /// <summary>"Conv node 'conv1'" or, for an unnamed node, "Conv node".</summary>
    public static string Describe(this NodeProto node) =>
        node.Name.Length > 0 ? $"{node.OpType} node '{node.Name}'" : $"{node.OpType} node";

    private static AttributeProto Require(NodeProto node, AttributeProto attribute, AttributeType expected)
    {
        // Files from before IR version 2 may leave the type unset; trust the caller's reading then.
        if (attribute.Type != expected && attribute.Type != AttributeType.Undefined)
            throw new OnnxFormatException($"{node.Describe()}: attribute '{attribute.Name}' is {Name(attribute.Type)}, expected {Name(expected)}.");
        return attribute;
    }

    private static string Name(AttributeType type) => type.ToString().ToUpperInvariant();
}
