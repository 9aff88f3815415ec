using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Xunit.Abstractions;

namespace Convolve.Onnx.Tests;

/// <summary>
/// ONNX's conformance vectors run through the importer as whole models: each node's first input
/// is the model input, its other inputs (weights, shapes, ratios) become initializers, and its
/// first output is the model output. The imported model must give the expected output by the
/// rule of <see cref="OnnxConformanceTests"/> (1e-4), or be refused with an
/// <see cref="OnnxImportException"/> before running: never a wrong answer, never another error.
/// </summary>
public sealed class OnnxConformanceImportTests(ITestOutputHelper log)
{
    /// <summary>Whether a vector imported (true) or was refused (false, with the message).</summary>
    private static (bool Imported, string Message) RunThroughImporter(string name)
    {
        var test = OnnxTestData.Load(name);
        foreach (var set in test.DataSets)
        {
            var proto = test.Model.Proto.Clone();
            var graph = proto.Graph;
            string data = test.Node.Input[0];
            foreach (var (valueName, tensor) in set.Inputs)
            {
                if (valueName == data || graph.Initializer.Any(t => t.Name == valueName)) continue;
                var initializer = tensor.Clone();
                initializer.Name = valueName;
                graph.Initializer.Add(initializer);
            }
            while (graph.Output.Count > 1) graph.Output.RemoveAt(graph.Output.Count - 1);

            var input = OnnxTensor.ToTensor(set.Inputs[data], $"{name}/{set.Name} input");
            Models.Model model;
            try
            {
                model = OnnxImporter.Import(OnnxModel.Parse(Google.Protobuf.MessageExtensions.ToByteArray(proto), name), input.Shape.ItemShape);
            }
            catch (OnnxImportException e)
            {
                return (false, e.Message);
            }
            var output = model.Forward(input).Clone();
            OnnxConformanceTests.AssertMatches(set.Outputs[0].Path, set.Outputs[0].Tensor, output, $"{name}/{set.Name} through the importer");
        }
        return (true, "");
    }

    [Theory]
    [MemberData(nameof(OnnxConformanceTests.RunnableCases), MemberType = typeof(OnnxConformanceTests))]
    public void Vector_ThroughTheImporter_MatchesOrIsRefused(string name)
    {
        Assert.True(OnnxTestData.IsInstalled, OnnxTestData.MissingMessage);
        var (imported, message) = RunThroughImporter(name);
        log.WriteLine(imported ? $"{name}: imported, output matches" : $"{name}: refused: {message}");
    }

    /// <summary>Counts, for the report: how many vectors of each operator import.</summary>
    [Fact]
    public void MostVectorsOfTheImportedOperators_Import()
    {
        Assert.True(OnnxTestData.IsInstalled, OnnxTestData.MissingMessage);
        var results = OnnxConformanceTests.RunnableNames().Order(StringComparer.Ordinal)
            .Select(n => (Name: n, Op: OnnxTestData.Cases[n], Result: RunThroughImporter(n))).ToList();
        foreach (var group in results.GroupBy(r => r.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
            log.WriteLine($"{group.Key}: {group.Count(r => r.Result.Imported)} of {group.Count()} import");
        foreach (var r in results.Where(r => !r.Result.Imported)) log.WriteLine($"  {r.Name}: {r.Result.Message}");
        // Every operator the importer maps has at least one vector that imports and matches.
        foreach (var op in results.Select(r => r.Op).Distinct().Where(OnnxLayers.Operators.Contains))
            Assert.True(results.Any(r => r.Op == op && r.Result.Imported), $"no vector of {op} imports");
    }
}
