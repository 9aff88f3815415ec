using Convolve.Tensors;
using Xunit.Abstractions;

namespace Convolve.Onnx.Tests;

/// <summary>
/// Models exported by PyTorch's own torch.onnx.export (see PyTorch/make_models.py, which wrote
/// them with PyTorch 1.13 and saved PyTorch's outputs for a seeded input) import into Convolve
/// and give PyTorch's outputs by the rule of <see cref="OnnxExporterTests"/> (1e-5 relative).
/// ONNX Runtime runs the same files as a third opinion.
/// </summary>
public sealed class PyTorchModelTests(ITestOutputHelper log)
{
    public static TheoryData<string> Names() => ["torch_cnn", "torch_cnn_features", "torch_cnn_batchnorm", "torch_mlp_opset9"];

    private static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "PyTorch", file);

    [Theory]
    [MemberData(nameof(Names))]
    public void PyTorchExport_ImportsAndGivesPyTorchsOutputs(string name)
    {
        var onnx = OnnxModel.Load(PathOf($"{name}.onnx"));
        log.WriteLine($"{name}: nodes {string.Join(", ", onnx.Graph.Node.Select(n => n.OpType))}");
        var model = OnnxImporter.Import(onnx);
        log.WriteLine($"{name}: imported as {model}");
        var input = OnnxTensor.ToTensor(OnnxTensor.Load(PathOf($"{name}.input.pb")));
        var golden = OnnxTensor.ToTensor(OnnxTensor.Load(PathOf($"{name}.output.pb")));

        double worst = OnnxExporterTests.AssertClose(golden, TestModels.Forward(model, input), $"{name}: Convolve vs PyTorch");
        using var runtime = new OnnxRuntimeRunner(File.ReadAllBytes(PathOf($"{name}.onnx")));
        double runtimeWorst = OnnxExporterTests.AssertClose(golden, runtime.Run(input), $"{name}: ONNX Runtime vs PyTorch");
        log.WriteLine($"{name}: largest relative difference to PyTorch: Convolve {worst:E2}, ONNX Runtime {runtimeWorst:E2}");
    }
}
