using BenchmarkDotNet.Attributes;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Benchmarks.Micro;

/// <summary>The three models of the peer benchmark (BENCHMARKS.md), by their names in <see cref="Architectures"/>, at its batch size.</summary>
public static class Workload
{
    public static readonly string[] Models = ["seed", "lenet5", "mnist-cnn"];
    public const int Batch = 64;

    /// <summary>Thread counts: 1 and every core the process sees.</summary>
    public static int[] ThreadCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    /// <summary>The model built as the peer benchmark builds it (seed 1), its threads capped with <see cref="Model.SetMaxThreads"/>.</summary>
    public static Sequential Build(string model, int threads)
    {
        var built = Architectures.Get(model).Build(1);
        built.SetMaxThreads(threads);
        return built;
    }

    /// <summary>A random batch [64, 1, 28, 28] in [0, 1) and random labels, the same for every benchmark.</summary>
    public static (Tensor Images, int[] Labels) RandomBatch(Model model)
    {
        var random = new Random(7);
        var shape = model.InputShape.Prepend(Batch);
        var images = new float[shape.Size];
        for (int i = 0; i < images.Length; i++) images[i] = random.NextSingle();
        int classes = model.GetOutputShape(shape)[1];
        return (new Tensor(shape, images), [.. Enumerable.Range(0, Batch).Select(_ => random.Next(classes))]);
    }

    /// <summary>
    /// Multiply-add flops of one forward pass of <paramref name="layer"/> on <paramref name="inputShape"/>: convolutions and dense layers only
    /// (the rest is memory-bound and not counted).
    /// </summary>
    public static double ForwardFlops(Layer layer, Shape inputShape) => layer switch
    {
        Conv2D c when c.GetGeometry(inputShape) is var g =>
            2.0 * g.Batch * g.OutChannels * g.OutH * g.OutW * g.InChannelsPerGroup * g.KernelH * g.KernelW,
        Dense d => 2.0 * inputShape[0] * d.Config.InFeatures * d.Config.OutFeatures,
        _ => 0,
    };
}

/// <summary>
/// One layer of one model at batch 64: the model's <paramref name="Index"/>-th layer, at
/// <paramref name="Threads"/> threads (layers that do not split work, see
/// <see cref="IThreadedLayer"/>, are listed at one thread only).
/// </summary>
public sealed record LayerCase(int Order, string Model, int Index, string Layer, Shape InputShape, double ForwardFlops, bool Threaded, int Threads)
    : IFlopCount, IComparable<LayerCase>, IComparable
{
    int? IFlopCount.Threads => Threads;

    public int CompareTo(LayerCase? other) => other is null ? 1 : Order.CompareTo(other.Order);

    public int CompareTo(object? other) => CompareTo(other as LayerCase);

    /// <summary>Forward: the layer's multiply-adds; Backward: twice that (input and weight gradients).</summary>
    public double? Flops(string method) => ForwardFlops == 0 ? null : method == nameof(LayerBenchmarks.Backward) ? 2 * ForwardFlops : ForwardFlops;

    public override string ToString() => $"{Model}[{Index}] {Layer}{(Threaded ? $", {Threads}T" : "")}";

    /// <summary>Every layer of the three models (without a trailing softmax, which training skips).</summary>
    public static IEnumerable<LayerCase> All()
    {
        int order = 0;
        foreach (var name in Workload.Models)
        {
            var model = Architectures.Get(name).Build(1);
            var shape = model.InputShape.Prepend(Workload.Batch);
            for (int i = 0; i < model.Layers.Count; i++)
            {
                var layer = model.Layers[i];
                if (layer is Softmax && i == model.Layers.Count - 1) break;
                bool threaded = layer is IThreadedLayer;
                foreach (int threads in threaded ? Workload.ThreadCounts : [1])
                    yield return new LayerCase(order++, name, i, layer.ToString(), shape, Workload.ForwardFlops(layer, shape), threaded, threads);
                shape = layer.GetOutputShape(shape);
            }
        }
    }
}

/// <summary>
/// Each layer's Forward (training mode) and Backward on the activations it meets in its model at
/// batch 64: the model is built, a random batch is run through the layers before it, and the
/// layer is then timed alone on that input (Backward on a random upstream gradient, after one
/// Forward). Backward adds to the parameter gradients at every call, as it does in training.
/// With the memory diagnoser: a layer reuses its output buffers, so steady state allocates 0 B.
/// </summary>
public class LayerBenchmarks
{
    public static IEnumerable<LayerCase> Cases() => LayerCase.All();

    [ParamsSource(nameof(Cases))]
    public LayerCase Case { get; set; } = null!;

    private Layer layer = null!;
    private Tensor input = null!, dOutput = null!;

    [GlobalSetup]
    public void Setup()
    {
        var model = Workload.Build(Case.Model, Case.Threads);
        var (images, _) = Workload.RandomBatch(model);
        var x = images;
        for (int i = 0; i < Case.Index; i++) x = model.Layers[i].Forward(x, training: true);
        input = x.Clone();
        layer = model.Layers[Case.Index];
        var output = layer.Forward(input, training: true);
        dOutput = Data.Random(new Random(11), output.Shape);
    }

    [Benchmark]
    public Tensor Forward() => layer.Forward(input, training: true);

    [Benchmark]
    public Tensor Backward() => layer.Backward(dOutput);
}

/// <summary>A model's training step at a thread count.</summary>
public sealed record TrainCase(int Order, string Model, int Threads, double StepFlops) : IFlopCount, IComparable<TrainCase>, IComparable
{
    int? IFlopCount.Threads => Threads;

    public int CompareTo(TrainCase? other) => other is null ? 1 : Order.CompareTo(other.Order);

    public int CompareTo(object? other) => CompareTo(other as TrainCase);

    public double? Flops(string method) => StepFlops;

    public override string ToString() => $"{Model}, {Threads}T";

    public static IEnumerable<TrainCase> All()
    {
        int order = 0;
        foreach (var name in Workload.Models)
        {
            var model = Architectures.Get(name).Build(1);
            var shape = model.InputShape.Prepend(Workload.Batch);
            double forward = 0;
            foreach (var layer in model.Layers)
            {
                forward += Workload.ForwardFlops(layer, shape);
                shape = layer.GetOutputShape(shape);
            }
            foreach (int threads in Workload.ThreadCounts)
                yield return new TrainCase(order++, name, threads, 3 * forward);
        }
    }
}

/// <summary>
/// A whole training step as the peer benchmark runs it (<see cref="Trainer.TrainStep(Tensor, ReadOnlySpan{int})"/>: zero the
/// gradients, forward, cross-entropy on the logits, backward, SGD with momentum 0.9 at learning
/// rate 0.01) on one batch of 64. GFLOP/s counts the convolutions' and dense layers'
/// multiply-adds: forward once, backward twice. Steady state allocates 0 B.
/// </summary>
public class TrainStepBenchmarks
{
    public static IEnumerable<TrainCase> Cases() => TrainCase.All();

    [ParamsSource(nameof(Cases))]
    public TrainCase Case { get; set; } = null!;

    private Trainer trainer = null!;
    private Tensor images = null!;
    private int[] labels = [];

    [GlobalSetup]
    public void Setup()
    {
        var model = Workload.Build(Case.Model, Case.Threads);
        (images, labels) = Workload.RandomBatch(model);
        trainer = new Trainer(model, new Sgd(model.Parameters, momentum: 0.9f), learningRate: 0.01f);
    }

    [Benchmark]
    public StepResult TrainStep() => trainer.TrainStep(images, labels);
}
