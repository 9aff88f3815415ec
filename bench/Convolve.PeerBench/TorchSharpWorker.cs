using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Convolve.PeerBench;

/// <summary>
/// TorchSharp-cpu (libtorch) as its users write it: <c>nn.Sequential</c> with the same layers as
/// Convolve's architecture, <c>CrossEntropyLoss</c> on logits, <c>optim.SGD</c> with momentum 0.9,
/// a dispose scope per step; inference in eval mode under <c>no_grad</c>. Threads are set with
/// <c>torch.set_num_threads</c>.
/// </summary>
public static class TorchSharpWorker
{
    public static WorkerResult Run(string engine, string modelName, string mode, int threads, double seconds, string batchFile)
    {
        torch.set_num_threads(threads);
        torch.set_num_interop_threads(1);
        torch.manual_seed(Workload.Seed);
        var (images, labels) = Workload.ReadBatchFile(batchFile);
        using var batch = torch.tensor(images, [Workload.BatchSize, Workload.Channels, Workload.Height, Workload.Width]);
        using var target = torch.tensor(labels.Select(l => (long)l).ToArray(), [Workload.BatchSize]);
        using var one = torch.tensor(images[..Workload.ImageSize], [1, Workload.Channels, Workload.Height, Workload.Width]);
        long start = Memory.CurrentKiB();
        using var model = Build(modelName);
        string note = $"libtorch {torch.__version__}, get_num_threads={torch.get_num_threads()}";

        if (mode == "train")
        {
            model.train();
            using var loss = CrossEntropyLoss();
            using var optimizer = torch.optim.SGD(model.parameters(), Workload.LearningRate, Workload.Momentum);
            double train = Stopwatches.ImagesPerSecond(() =>
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                var output = loss.forward(model.forward(batch), target);
                output.backward();
                optimizer.step();
                output.item<float>();
            }, Workload.BatchSize, seconds);
            return new WorkerResult { Engine = engine, Model = modelName, Mode = mode, Threads = threads, Train = train,
                PeakKiB = Memory.PeakKiB(), StartKiB = start, Note = note };
        }

        model.eval();
        using var noGrad = torch.no_grad();
        double Infer(Tensor input, int count) => Stopwatches.ImagesPerSecond(() =>
        {
            using var scope = torch.NewDisposeScope();
            model.forward(input);
        }, count, seconds);
        double infer64 = Infer(batch, Workload.BatchSize);
        double infer1 = Infer(one, 1);
        return new WorkerResult { Engine = engine, Model = modelName, Mode = mode, Threads = threads, Infer64 = infer64, Infer1 = infer1,
            PeakKiB = Memory.PeakKiB(), StartKiB = start, Note = note };
    }

    /// <summary>The same layers as <c>Convolve.Models.Architectures</c>, without the trailing softmax (the loss works on logits).</summary>
    public static Module<Tensor, Tensor> Build(string name) => name switch
    {
        "seed" => Sequential(
            Conv2d(1, 32, 3), ReLU(), MaxPool2d(2), Flatten(), Linear(32 * 13 * 13, 10)),
        "lenet5" => Sequential(
            Conv2d(1, 6, 5, padding: 2), ReLU(), MaxPool2d(2),
            Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),
            Flatten(), Linear(16 * 5 * 5, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10)),
        "mnist-cnn" => Sequential(
            Conv2d(1, 32, 3), ReLU(), Conv2d(32, 64, 3), ReLU(), MaxPool2d(2),
            Flatten(), Linear(64 * 12 * 12, 128), ReLU(), Linear(128, 10)),
        _ => throw new ArgumentException($"TorchSharp worker: no model '{name}'; known: {string.Join(", ", Workload.Models)}."),
    };
}
