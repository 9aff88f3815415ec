namespace Convolve.Onnx.Rules;

// The rules of each layer mark themselves, in the layer's own file under Rules/; OnnxLayers finds
// them when it is first used, so adding a layer adds no line anywhere else in this assembly.

/// <summary>
/// Marks a rule importing nodes of <see cref="Operators"/> that compute on one value of the graph
/// (plus constants): a static method <c>(OnnxNode node, Shape inputShape)</c> returning the layer,
/// or null for a pass-through.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class OnnxImportAttribute(params string[] operators) : Attribute
{
    /// <summary>The ONNX operators the rule imports.</summary>
    public string[] Operators { get; } = operators;
}

/// <summary>
/// Marks a rule importing nodes of <see cref="Operators"/> whose inputs are all computed values: a
/// static method <c>(OnnxNode node, IReadOnlyList&lt;Shape&gt; inputShapes)</c> returning a merge
/// layer, or null when it passes its only input through.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class OnnxImportMergeAttribute(params string[] operators) : Attribute
{
    /// <summary>The ONNX operators the rule imports.</summary>
    public string[] Operators { get; } = operators;
}

/// <summary>
/// Marks a rule importing nodes of <see cref="Operators"/> with several outputs: a static method
/// <c>(OnnxNode node, Shape inputShape, bool[] read)</c> returning one layer per output.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class OnnxImportSplitAttribute(params string[] operators) : Attribute
{
    /// <summary>The ONNX operators the rule imports.</summary>
    public string[] Operators { get; } = operators;
}

/// <summary>
/// Marks a rule exporting layers: a static method <c>(OnnxGraphBuilder graph, TLayer layer, string
/// input, Shape inputShape, string output)</c>, or for a merge <c>(OnnxGraphBuilder graph, TLayer
/// layer, IReadOnlyList&lt;string&gt; inputs, string output)</c>, returning the output's name. It
/// exports the layer parameter's type unless <see cref="Layers"/> names the types (when one rule
/// serves several layer types through their base type).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class OnnxExportAttribute(params Type[] layers) : Attribute
{
    /// <summary>The layer types the rule exports; empty for the type of its layer parameter.</summary>
    public Type[] Layers { get; } = layers;
}
