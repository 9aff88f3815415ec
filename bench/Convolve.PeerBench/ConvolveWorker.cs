using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.PeerBench;

/// <summary>
/// Convolve as a user runs it: a built-in architecture, <see cref="Trainer.TrainStep"/> with SGD
/// (momentum 0.9) and cross-entropy on logits; inference through <see cref="Model.ForwardLogits"/>.
/// Convolve has no model-level thread setting yet: its kernels use one thread per core that
/// <see cref="Environment.ProcessorCount"/> reports, so the harness limits a worker with the
/// environment variable DOTNET_PROCESSOR_COUNT.
/// </summary>
public static class ConvolveWorker
{
    public static WorkerResult Run(string modelName, string mode, int threads, double seconds, string batchFile)
    {
        var (images, labels) = Workload.ReadBatchFile(batchFile);
        var batch = new Tensor(new Shape(Workload.BatchSize, Workload.Channels, Workload.Height, Workload.Width), images);
        long start = Memory.CurrentKiB();
        var model = Architectures.Get(modelName).Build(Workload.Seed);
        string note = $"Environment.ProcessorCount={Environment.ProcessorCount}";
        if (Environment.ProcessorCount != threads)
            note += $" (asked for {threads})";

        if (mode == "train")
        {
            var trainer = new Trainer(model, new Sgd(model.Parameters, Workload.LearningRate, Workload.Momentum));
            double train = Stopwatches.ImagesPerSecond(() => trainer.TrainStep(batch, labels), Workload.BatchSize, seconds);
            return new WorkerResult { Engine = "convolve", Model = modelName, Mode = mode, Threads = threads, Train = train, PeakKiB = Memory.PeakKiB(), StartKiB = start, Note = note };
        }

        var one = new Tensor(new Shape(1, Workload.Channels, Workload.Height, Workload.Width), images[..Workload.ImageSize]);
        double infer64 = Stopwatches.ImagesPerSecond(() => model.ForwardLogits(batch), Workload.BatchSize, seconds);
        double infer1 = Stopwatches.ImagesPerSecond(() => model.ForwardLogits(one), 1, seconds);
        return new WorkerResult { Engine = "convolve", Model = modelName, Mode = mode, Threads = threads, Infer64 = infer64, Infer1 = infer1, PeakKiB = Memory.PeakKiB(), StartKiB = start, Note = note };
    }
}
