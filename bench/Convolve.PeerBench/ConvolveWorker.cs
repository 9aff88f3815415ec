using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.PeerBench;

/// <summary>
/// Convolve as a user runs it: a built-in architecture, <see cref="Trainer.TrainStep(Tensor, ReadOnlySpan{int})"/> with SGD
/// (momentum 0.9) and cross-entropy on logits; inference through <see cref="Model.ForwardLogits"/>.
/// Threads are capped with the library's own setting, <see cref="Model.SetMaxThreads"/>, which
/// every layer that splits work obeys (convolution, dense, pooling: all of Convolve's threads).
/// </summary>
public static class ConvolveWorker
{
    public static WorkerResult Run(string modelName, string mode, int threads, double seconds, string batchFile)
    {
        var (images, labels) = Workload.ReadBatchFile(batchFile);
        var batch = new Tensor(new Shape(Workload.BatchSize, Workload.Channels, Workload.Height, Workload.Width), images);
        long start = Memory.CurrentKiB();
        var model = Architectures.Get(modelName).Build(Workload.Seed);
        model.SetMaxThreads(threads);
        string note = $"Model.SetMaxThreads({threads}), Environment.ProcessorCount={Environment.ProcessorCount}";
        if (Environment.ProcessorCount < threads)
            note += $" (fewer cores than threads: each layer uses at most {Environment.ProcessorCount})";

        if (mode == "train")
        {
            var trainer = new Trainer(model, new Sgd(model.Parameters, Workload.Momentum), Workload.LearningRate);
            double train = Stopwatches.ImagesPerSecond(() => trainer.TrainStep(batch, labels), Workload.BatchSize, seconds);
            return new WorkerResult { Engine = "convolve", Model = modelName, Mode = mode, Threads = threads, Train = train,
                PeakKiB = Memory.PeakKiB(), StartKiB = start, Note = note };
        }

        var one = new Tensor(new Shape(1, Workload.Channels, Workload.Height, Workload.Width), images[..Workload.ImageSize]);
        double infer64 = Stopwatches.ImagesPerSecond(() => model.ForwardLogits(batch), Workload.BatchSize, seconds);
        double infer1 = Stopwatches.ImagesPerSecond(() => model.ForwardLogits(one), 1, seconds);
        return new WorkerResult { Engine = "convolve", Model = modelName, Mode = mode, Threads = threads, Infer64 = infer64, Infer1 = infer1,
            PeakKiB = Memory.PeakKiB(), StartKiB = start, Note = note };
    }
}
