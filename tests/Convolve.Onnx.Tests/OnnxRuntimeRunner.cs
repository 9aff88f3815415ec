using Convolve.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace Convolve.Onnx.Tests;

/// <summary>Runs a serialized ONNX model in ONNX Runtime (CPU) on one float input.</summary>
public sealed class OnnxRuntimeRunner : IDisposable
{
    private readonly InferenceSession session;

    public OnnxRuntimeRunner(byte[] model)
    {
        // One thread: results do not depend on scheduling, and the tests share two cores.
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        session = new InferenceSession(model, options);
    }

    /// <summary>The model's input names with their dimensions as ONNX Runtime reads them (-1 for a symbolic one).</summary>
    public IReadOnlyDictionary<string, int[]> Inputs => session.InputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.Dimensions);

    /// <summary>The model's output names with their dimensions as ONNX Runtime reads them.</summary>
    public IReadOnlyDictionary<string, int[]> Outputs => session.OutputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.Dimensions);

    /// <summary>The output named <paramref name="outputName"/> for <paramref name="input"/> fed as <paramref name="inputName"/>.</summary>
    public Tensor Run(Tensor input, string inputName = "input", string outputName = "output")
    {
        var data = input.ToArray();
        long[] dims = [.. input.Shape.Dims.ToArray().Select(d => (long)d)];
        using var value = OrtValue.CreateTensorValueFromMemory(data, dims);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], [outputName]);
        var result = results[0];
        var shape = result.GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray();
        return Tensor.FromArray(result.GetTensorDataAsSpan<float>(), shape);
    }

    public void Dispose() => session.Dispose();
}
