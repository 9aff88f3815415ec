using Microsoft.ML.OnnxRuntime;

namespace Convolve.PeerBench;

/// <summary>
/// ONNX Runtime inference on the model's ONNX file (one input [N, 1, 28, 28], one output [N, 10],
/// N dynamic), all graph optimisations on, <c>IntraOpNumThreads</c> set to the thread count, input
/// and output tensors made once and bound to the run (ORT's fastest managed path).
/// </summary>
public static class OnnxRuntimeWorker
{
    public static WorkerResult Run(string modelName, string onnxDirectory, int threads, double seconds, string batchFile)
    {
        var (images, _) = Workload.ReadBatchFile(batchFile);
        long start = Memory.CurrentKiB();
        string path = Path.Combine(onnxDirectory, modelName + ".onnx");
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX Runtime worker: no ONNX file for '{modelName}' at {path}.", path);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(path, options);
        using var runOptions = new RunOptions();
        // The one input and the one output, whatever the exporter named them.
        string[] inputNames = [session.InputMetadata.Keys.Single()], outputNames = [session.OutputMetadata.Keys.Single()];

        double Infer(float[] input, int count)
        {
            using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [count, Workload.Channels, Workload.Height, Workload.Width]);
            using var outputValue = OrtValue.CreateTensorValueFromMemory(new float[count * Workload.Classes], [count, Workload.Classes]);
            OrtValue[] inputs = [inputValue], outputs = [outputValue];
            return Stopwatches.ImagesPerSecond(() => session.Run(runOptions, inputNames, inputs, outputNames, outputs), count, seconds);
        }

        double infer64 = Infer(images, Workload.BatchSize);
        double infer1 = Infer(images[..Workload.ImageSize], 1);
        return new WorkerResult
        {
            Engine = "onnxruntime", Model = modelName, Mode = "infer", Threads = threads, Infer64 = infer64, Infer1 = infer1,
            PeakKiB = Memory.PeakKiB(), StartKiB = start, Note = $"onnxruntime {OrtEnv.Instance().GetVersionString()}",
        };
    }
}
