using System.Text;
using Convolve.Layers;

namespace Convolve.Onnx.Tests;

/// <summary>
/// docs/onnx.md lists the registered ONNX rules in tables generated from <see cref="OnnxLayers.Registrations"/>;
/// these tests check that the doc is current and that the two registries agree.
/// </summary>
public class OnnxDocsTests
{
    private const string Begin = "<!-- begin: rule tables generated from OnnxLayers.Registrations by OnnxDocsTests -->";
    private const string End = "<!-- end: rule tables -->";

    /// <summary>The generated tables: each operator with the rules that import it, each layer type with the rule that exports it.</summary>
    public static string RuleTables()
    {
        var rules = OnnxLayers.Registrations;
        static string Name(OnnxRuleInfo r) => $"`{r.Method.DeclaringType!.Name}.{r.Method.Name}`";
        var text = new StringBuilder();
        text.AppendLine("| ONNX operator | Import rule (in `src/Convolve.Onnx/Rules`) |");
        text.AppendLine("| --- | --- |");
        var imports = rules.Where(r => r.Kind is OnnxRuleKind.Import or OnnxRuleKind.ImportMerge or OnnxRuleKind.ImportSplit).ToList();
        foreach (var op in imports.Select(r => r.Subject).Append("Constant").Distinct().Order(StringComparer.Ordinal))
        {
            var forOp = imports.Where(r => r.Subject == op).OrderBy(r => r.Kind).ToList();
            string read = forOp.Count == 0 ? "read by the importer itself (a constant value)"
                : string.Join("; ", forOp.Select(r => Name(r) + (forOp.Count == 1 ? "" : r.Kind switch
                {
                    OnnxRuleKind.Import => " (one computed input and constants)",
                    OnnxRuleKind.ImportMerge => " (computed inputs only)",
                    _ => "",
                })));
            text.AppendLine($"| {op} | {read} |");
        }
        text.AppendLine();
        text.AppendLine("| Convolve layer | Export rule |");
        text.AppendLine("| --- | --- |");
        foreach (var r in rules.Where(r => r.Kind is OnnxRuleKind.Export or OnnxRuleKind.ExportMerge).OrderBy(r => r.Subject, StringComparer.Ordinal))
            text.AppendLine($"| {r.Subject}{(r.Kind == OnnxRuleKind.ExportMerge ? " (merge)" : "")} | {Name(r)} |");
        return text.ToString();
    }

    private static string DocPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "docs", "onnx.md");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException("docs/onnx.md not found above the test's folder.");
    }

    [Fact]
    public void TheRuleTablesInTheDoc_AreCurrent()
    {
        string path = DocPath(), doc = File.ReadAllText(path).ReplaceLineEndings("\n");
        int begin = doc.IndexOf(Begin, StringComparison.Ordinal), end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"{path} lacks the markers {Begin} ... {End}.");
        string current = doc[(begin + Begin.Length)..end].Trim('\n'), expected = RuleTables().ReplaceLineEndings("\n").Trim('\n');
        if (current != expected && Environment.GetEnvironmentVariable("CONVOLVE_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, doc[..(begin + Begin.Length)] + "\n" + expected + "\n" + doc[end..]);
            return;
        }
        Assert.True(current == expected, $"{path} is out of date with the registered ONNX rules; " +
            "run the test with CONVOLVE_UPDATE_DOCS=1 to rewrite its tables. Expected:\n" + expected);
    }

    [Fact]
    public void EveryBuiltInLayerType_Exports_AndEveryExportedLayerType_Saves()
    {
        var exported = OnnxLayers.ExportedLayers.Concat(OnnxLayers.ExportedMerges).Order(StringComparer.Ordinal);
        var saved = LayerTypes.All.Where(t => t.Config.Assembly == typeof(LayerConfig).Assembly).Select(t => t.Tag).Order(StringComparer.Ordinal);
        Assert.Equal(saved, exported);
    }
}
