using Microsoft.ML.OnnxRuntime;

namespace Convolve.PeerBench;

/// <summary>
/// ONNX Runtime inference on the model's ONNX file (one input [N, 1, 28, 28], one output [N, 10],
/// N dynamic), all graph optimisations on, <c>IntraOpNumThreads</c> set to the thread count, input
/// and output tensors made once and bound to the run (ORT's fastest managed path).
/// </summary>
public static class OnnxRuntimeWorker
{
    /// <param name="compareWithConvolve">
    /// The file is Convolve's export of <see cref="Workload.LogitsModel"/>: after timing (and after
    /// the peak memory is read), run the batch through that model too and report the largest
    /// difference of the logits, so the table shows both engines computed the same function.
    /// </param>
    public static WorkerResult Run(string modelName, string onnxDirectory, int threads, double seconds, string batchFile, bool compareWithConvolve = false)
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

        var logits = new float[Workload.BatchSize * Workload.Classes];
        double Infer(float[] input, int count)
        {
            using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [count, Workload.Channels, Workload.Height, Workload.Width]);
            using var outputValue = OrtValue.CreateTensorValueFromMemory(logits, [count, Workload.Classes]);
            OrtValue[] inputs = [inputValue], outputs = [outputValue];
            return Stopwatches.ImagesPerSecond(() => session.Run(runOptions, inputNames, inputs, outputNames, outputs), count, seconds);
        }

        double infer64 = Infer(images, Workload.BatchSize);
        var logits64 = logits.ToArray();
        double infer1 = Infer(images[..Workload.ImageSize], 1);
        long peak = Memory.PeakKiB();
        string note = $"onnxruntime {OrtEnv.Instance().GetVersionString()}";
        if (compareWithConvolve)
        {
            var model = Workload.LogitsModel(modelName);
            var expected = model.ForwardLogits(new Convolve.Tensors.Tensor(
                new Convolve.Tensors.Shape(Workload.BatchSize, Workload.Channels, Workload.Height, Workload.Width), images)).Span;
            float difference = 0, largest = 0;
            for (int i = 0; i < logits64.Length; i++)
            {
                difference = Math.Max(difference, Math.Abs(logits64[i] - expected[i]));
                largest = Math.Max(largest, Math.Abs(expected[i]));
            }
            note += $", batch-64 logits differ from Convolve's by at most {difference:G3} (largest |logit| {largest:G3})";
        }
        return new WorkerResult
        {
            Engine = "onnxruntime", Model = modelName, Mode = "infer", Threads = threads, Infer64 = infer64, Infer1 = infer1,
            PeakKiB = peak, StartKiB = start, Note = note,
        };
    }
}
