using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Convolve.Layers;
using Convolve.Onnx.Rules;
using Convolve.Tensors;

namespace Convolve.Onnx;

/// <summary>Maps an ONNX node computing on one value of the graph to a layer holding the node's weights, or null for a pass-through.</summary>
/// <param name="inputShape">The shape of the computed input, batch first.</param>
/// <param name="node">The node, with its constants.</param>
internal delegate Layer? OnnxImportRule(OnnxNode node, Shape inputShape);

/// <summary>Maps an ONNX node of several computed values to a merge layer, or null when it passes its only input through.</summary>
internal delegate Layer? OnnxMergeImportRule(OnnxNode node, IReadOnlyList<Shape> inputShapes);

/// <summary>Maps an ONNX node with several outputs to one layer per output (null for an output that <paramref name="read"/> says nobody reads).</summary>
internal delegate Layer?[] OnnxSplitImportRule(OnnxNode node, Shape inputShape, bool[] read);

/// <summary>
/// Adds the nodes computing <paramref name="layer"/> on <paramref name="input"/> and returns the
/// name of their output, <paramref name="output"/>.
/// </summary>
internal delegate string OnnxExportRule<in TLayer>(OnnxGraphBuilder graph, TLayer layer, string input, Shape inputShape, string output) where TLayer : Layer;

/// <summary>
/// Adds the node computing the merge <paramref name="layer"/> of <paramref name="inputs"/> and
/// returns the name of its output, <paramref name="output"/>.
/// </summary>
internal delegate string OnnxMergeExportRule<in TLayer>(OnnxGraphBuilder graph, TLayer layer, IReadOnlyList<string> inputs, string output)
    where TLayer : MergeLayer;

/// <summary>
/// What a registered ONNX rule does: import a node of one computed value, of several (a merge),
/// or with several outputs; export a layer or a merge.
/// </summary>
internal enum OnnxRuleKind { Import, ImportMerge, ImportSplit, Export, ExportMerge }

/// <summary>One registered rule: its kind, the operator or layer type it is for, and the method that carries it out.</summary>
internal sealed record OnnxRuleInfo(OnnxRuleKind Kind, string Subject, System.Reflection.MethodInfo Method);

/// <summary>
/// The ONNX rules of every layer: which operators import as which layers, and how each layer
/// exports. Each layer's rules live in one file under <c>Rules/</c> (<see cref="Conv2DOnnx"/>, ...),
/// each rule marked with the operators it imports (<see cref="OnnxImportAttribute"/>, ...) or as
/// an export (<see cref="OnnxExportAttribute"/>); the first use registers every marked rule. The
/// importer's and exporter's lookups, the operator lists in their messages and the lists in
/// docs/onnx.md all come from that registration. A node whose operator or attribute values Convolve cannot express is refused with an
/// <see cref="OnnxImportException"/> that names it and says why.
/// </summary>
internal static class OnnxLayers
{
    static OnnxLayers()
    {
        // Each layer's rules mark themselves in its file under Rules/ (OnnxImportAttribute, ...);
        // one scan registers them all, rule classes by name and methods in the order written.
        // Native AOT has no metadata tokens: there the rules keep the order reflection lists them in.
        // The order shows only in Registrations (docs/onnx.md's tables, generated under the JIT).
        foreach (var method in RuleClasses().SelectMany(t => RuleMethods(t).OrderBy(m => m.HasMetadataToken() ? m.MetadataToken : 0)))
            RegisterMarked(method);
    }

    // Trimming keeps every type and method of the Rules namespace: ILLink.Descriptors.xml, embedded
    // in this assembly, preserves them all, so the scan finds in a trimmed or native AOT app what it
    // finds here. Other types the trimmer removes are not looked for.
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "The rule classes are the types of namespace Convolve.Onnx.Rules, which ILLink.Descriptors.xml preserves.")]
    private static IEnumerable<Type> RuleClasses() => typeof(OnnxLayers).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(OnnxImportAttribute).Namespace && t.IsAbstract && t.IsSealed)
        .OrderBy(t => t.Name, StringComparer.Ordinal);

    [UnconditionalSuppressMessage("Trimming", "IL2070:UnrecognizedReflectionPattern",
        Justification = "The rule classes' methods are preserved by ILLink.Descriptors.xml (namespace Convolve.Onnx.Rules).")]
    private static MethodInfo[] RuleMethods(Type ruleClass) => ruleClass.GetMethods(BindingFlags.Public | BindingFlags.Static);

    private static void RegisterMarked(MethodInfo method)
    {
        foreach (string op in method.GetCustomAttribute<OnnxImportAttribute>()?.Operators ?? [])
            Import(op, method.CreateDelegate<OnnxImportRule>(), method);
        foreach (string op in method.GetCustomAttribute<OnnxImportMergeAttribute>()?.Operators ?? [])
            ImportMerge(op, method.CreateDelegate<OnnxMergeImportRule>(), method);
        foreach (string op in method.GetCustomAttribute<OnnxImportSplitAttribute>()?.Operators ?? [])
            ImportSplit(op, method.CreateDelegate<OnnxSplitImportRule>(), method);
        if (method.GetCustomAttribute<OnnxExportAttribute>() is not { } export) return;
        var parameters = method.GetParameters();
        bool merge = parameters.Length == 4;   // (graph, layer, inputs, output)
        // An export rule takes its own layer type, so it is called through the MethodInfo rather than
        // a delegate of that type (no generic method made at run time, which native AOT cannot do).
        // Exports run once per layer of a model, not per batch: the reflective call costs nothing that shows.
        foreach (var layerType in export.Layers is { Length: > 0 } named ? named : [parameters[1].ParameterType])
        {
            if (merge)
                ExportMerge(layerType, (graph, layer, inputs, output) => (string)Call(method, [graph, layer, inputs, output]), method);
            else
                Export(layerType, (graph, layer, input, shape, output) => (string)Call(method, [graph, layer, input, shape, output]), method);
        }
    }

    // The rule's own exceptions (OnnxExportException, ...) reach the caller unwrapped.
    private static object Call(MethodInfo method, object?[] arguments) =>
        method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, arguments, null)
        ?? throw new InvalidOperationException($"OnnxLayers: the export rule {method.DeclaringType?.Name}.{method.Name} returned no output name.");

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, OnnxImportRule> ImportRules = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, OnnxMergeImportRule> MergeImports = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, OnnxSplitImportRule> SplitImports = new(StringComparer.Ordinal);
    private static readonly Dictionary<Type, OnnxExportRule<Layer>> ExportRules = [];
    private static readonly Dictionary<Type, OnnxMergeExportRule<MergeLayer>> MergeExports = [];

    private static readonly List<OnnxRuleInfo> Registered = [];

    /// <summary>Registers the rule importing <paramref name="opType"/> nodes that compute on one value (plus constants).</summary>
    private static void Import(string opType, OnnxImportRule rule, MethodInfo method) => Add(ImportRules, opType, rule, OnnxRuleKind.Import, opType, method);

    /// <summary>Registers the rule importing <paramref name="opType"/> nodes whose inputs are all computed values.</summary>
    private static void ImportMerge(string opType, OnnxMergeImportRule rule, MethodInfo method) =>
        Add(MergeImports, opType, rule, OnnxRuleKind.ImportMerge, opType, method);

    /// <summary>Registers the rule importing <paramref name="opType"/> nodes with several outputs.</summary>
    private static void ImportSplit(string opType, OnnxSplitImportRule rule, MethodInfo method) =>
        Add(SplitImports, opType, rule, OnnxRuleKind.ImportSplit, opType, method);

    /// <summary>Registers how layers of <paramref name="layerType"/> (and types derived from it, unless they have a rule of their own) export.</summary>
    private static void Export(Type layerType, OnnxExportRule<Layer> rule, MethodInfo method)
    {
        if (!typeof(Layer).IsAssignableFrom(layerType))
            throw new ArgumentException($"OnnxLayers: {method.DeclaringType?.Name}.{method.Name} exports {layerType.Name}, which is not a layer.");
        Add(ExportRules, layerType, rule, OnnxRuleKind.Export, layerType.Name, method);
    }

    /// <summary>Registers how merge layers of <paramref name="layerType"/> export.</summary>
    private static void ExportMerge(Type layerType, OnnxMergeExportRule<MergeLayer> rule, MethodInfo method)
    {
        if (!typeof(MergeLayer).IsAssignableFrom(layerType))
            throw new ArgumentException($"OnnxLayers: {method.DeclaringType?.Name}.{method.Name} exports {layerType.Name}, which is not a merge layer.");
        Add(MergeExports, layerType, rule, OnnxRuleKind.ExportMerge, layerType.Name, method);
    }

    private static void Add<TKey, TRule>(Dictionary<TKey, TRule> rules, TKey key, TRule rule, OnnxRuleKind kind, string subject, MethodInfo method)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(rule);
        lock (Gate)
        {
            if (!rules.TryAdd(key, rule))
                throw new ArgumentException($"OnnxLayers: {subject} already has a rule of kind {kind}.");
            Registered.Add(new OnnxRuleInfo(kind, subject, method));
        }
    }

    /// <summary>Every registered rule, in the order registered (docs/onnx.md lists them from here).</summary>
    public static IReadOnlyList<OnnxRuleInfo> Registrations
    {
        get { lock (Gate) return [.. Registered]; }
    }

    private static TRule? Find<TKey, TRule>(Dictionary<TKey, TRule> rules, TKey key) where TKey : notnull where TRule : class
    {
        lock (Gate) return rules.GetValueOrDefault(key);
    }

    private static TRule? FindByType<TRule>(Dictionary<Type, TRule> rules, Type? type) where TRule : class
    {
        lock (Gate)
            for (; type is not null; type = type.BaseType)
                if (rules.TryGetValue(type, out var rule)) return rule;
        return null;
    }

    private static string[] Sorted<TKey, TRule>(Dictionary<TKey, TRule> rules, Func<TKey, string> name) where TKey : notnull
    {
        lock (Gate) return [.. rules.Keys.Select(name).Order(StringComparer.Ordinal)];
    }

    /// <summary>The import rule of an operator computing on one value, or null.</summary>
    public static OnnxImportRule? ImportRule(string opType) => Find(ImportRules, opType);

    /// <summary>The import rule of an operator whose inputs are all computed values, or null.</summary>
    public static OnnxMergeImportRule? MergeImportRule(string opType) => Find(MergeImports, opType);

    /// <summary>The import rule of an operator with several outputs, or null.</summary>
    public static OnnxSplitImportRule? SplitImportRule(string opType) => Find(SplitImports, opType);

    /// <summary>The export rule of <paramref name="layer"/>'s type (or the nearest base type that has one), or null.</summary>
    public static OnnxExportRule<Layer>? ExportRule(Layer layer) => FindByType(ExportRules, layer.GetType());

    /// <summary>The export rule of the merge <paramref name="layer"/>'s type, or null.</summary>
    public static OnnxMergeExportRule<MergeLayer>? MergeExportRule(MergeLayer layer) => FindByType(MergeExports, layer.GetType());

    /// <summary>The operators <see cref="Create"/> maps, each computing on one value of the graph, in alphabetical order.</summary>
    public static IReadOnlyList<string> Operators => Sorted(ImportRules, op => op);

    /// <summary>Operators of several computed values or outputs (merges and Split), in alphabetical order.</summary>
    public static IReadOnlyList<string> MultiValueOperators =>
        [.. Sorted(MergeImports, op => op).Concat(Sorted(SplitImports, op => op)).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Every operator the importer reads: those with layers, Constant nodes, and those it folds when
    /// they compute on constants or shapes (<see cref="FoldedOperators"/>), in alphabetical order, for messages.
    /// </summary>
    public static IReadOnlyList<string> AllOperators =>
        [.. Operators.Concat(MultiValueOperators).Concat(FoldedOperators).Append("Constant").Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The operators computed once at import when their inputs are constants (or a value's shape).</summary>
    public static IReadOnlyList<string> FoldedOperators => ConstantFolder.Operators;

    /// <summary>The layer types that export, in alphabetical order.</summary>
    public static IReadOnlyList<string> ExportedLayers => Sorted(ExportRules, t => t.Name);

    /// <summary>The merge layer types that export, in alphabetical order.</summary>
    public static IReadOnlyList<string> ExportedMerges => Sorted(MergeExports, t => t.Name);

    /// <summary>
    /// The layer for <paramref name="node"/> applied to inputs of <paramref name="inputShape"/>
    /// (batch first), or null for a node that passes its input through (Identity). The layer's
    /// parameters hold the node's weights; it is not built.
    /// </summary>
    public static Layer? Create(OnnxNode node, Shape inputShape)
    {
        if (node.Proto.Domain is not ("" or "ai.onnx"))
            throw node.Refuse($"operator domain '{node.Proto.Domain}' is not the standard ONNX operator set");
        if (ImportRule(node.OpType) is not { } rule)
        {
            if (FoldedOperators.Contains(node.OpType))
                throw node.Refuse($"operator {node.OpType} (opset {node.Opset}) computes here on values that depend on the model input; " +
                    $"Convolve computes {node.OpType} only on constants and shapes, once at import");
            throw node.Refuse($"operator {node.OpType} (opset {node.Opset}) has no Convolve layer (Convolve imports {string.Join(", ", AllOperators)})");
        }
        return rule(node, inputShape);
    }

    /// <summary>"A, B and C" for messages.</summary>
    internal static string List(IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Concat(items) : $"{string.Join(", ", items.Take(items.Count - 1))} and {items[^1]}";
}
