using System.Diagnostics;
using System.Security.Cryptography;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Distributed;

/// <summary>
/// Synchronous data-parallel training over a <see cref="ICommunicator"/>: handed to a
/// <see cref="Trainer"/> (<see cref="Trainer.Parallel"/>, or <see cref="TrainingSession.Distribute"/>),
/// it makes N processes train one model as one process would with the same global batch.
/// </summary>
/// <remarks>
/// <para>Every rank loads the same global batch of B images (the loader's order and augmentation
/// depend only on seed and epoch, so each rank computes the same one) and trains on its shard:
/// rank r takes positions [r B / N, (r + 1) B / N) of it, so every image of an epoch is used once,
/// by one rank. The loss gradient of each shard is divided by the global B, not the shard's
/// size, so that the sum of the ranks' gradients (an in-place all-reduce, in buckets of
/// <see cref="BucketSize"/> values from the last layer back) is the gradient of the whole batch,
/// and every rank applies the same update to the same weights. The loss, the count of correct
/// answers and a stop request travel in one small all-reduce per step, so the figures reported
/// are the global ones and a stop (Ctrl+C, SIGTERM) takes effect at the same step on every rank.</para>
/// <para>Batch normalisation uses each rank's own shard for its batch statistics and keeps
/// running statistics per rank (rank 0's are saved), as PyTorch's DistributedDataParallel does
/// without SyncBatchNorm; dropout draws its masks per rank from the same stream.</para>
/// </remarks>
public sealed class DataParallel : IBackwardStepObserver
{
    /// <summary>Values per gradient all-reduce by default: 1 Mi floats (4 MiB), a few per model of millions of weights.</summary>
    public const int DefaultBucketSize = 1 << 20;

    private readonly double[] stats = new double[4];
    private readonly long[] gathered;
    private readonly PinnedFloats pinned = new();
    private Tensor? shard;
    private long communicationTicks;
    private Model? planned;
    private Executor? executor;
    private int[] stepStarts = [];
    private int bucketCount, nextBucket, gradientCount;

    /// <summary>Data-parallel training over <paramref name="communicator"/>'s ranks.</summary>
    /// <param name="communicator">The group of processes, e.g. <see cref="MpiCommunicator.Initialize"/>.</param>
    /// <param name="bucketSize">Gradient values per all-reduce call.</param>
    public DataParallel(ICommunicator communicator, int bucketSize = DefaultBucketSize)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketSize);
        Communicator = communicator;
        BucketSize = bucketSize;
        gathered = new long[communicator.Size];
    }

    /// <summary>The processes that train together.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>This process's rank, from 0; rank 0 alone should print and write files.</summary>
    public int Rank => Communicator.Rank;

    /// <summary>The number of ranks.</summary>
    public int Size => Communicator.Size;

    /// <summary>Gradient values per all-reduce call.</summary>
    public int BucketSize { get; }

    /// <summary>
    /// Whether each bucket of gradients starts its all-reduce during the backward pass, as soon as
    /// the layers it holds are done (non-blocking, <c>MPI_Iallreduce</c>), so that communication
    /// overlaps the rest of the backward pass; otherwise the buckets are summed one after another
    /// once the backward pass is over. The buckets and their sums are the same either way.
    /// </summary>
    public bool Overlap { get; set; }

    /// <summary>
    /// Time spent in the collective calls of training steps (gradients and step figures),
    /// including the wait for slower ranks, since the start or <see cref="ResetCommunicationTime"/>.
    /// </summary>
    public TimeSpan CommunicationTime => Stopwatch.GetElapsedTime(0, communicationTicks);

    /// <summary>Sets <see cref="CommunicationTime"/> back to zero.</summary>
    public void ResetCommunicationTime() => communicationTicks = 0;

    /// <summary>The part [Start, Start + Count) of a global batch of <paramref name="batchCount"/> images this rank trains on.</summary>
    /// <param name="batchCount">Images in the global batch.</param>
    public (int Start, int Count) Shard(int batchCount)
    {
        int start = (int)((long)batchCount * Rank / Size), end = (int)((long)batchCount * (Rank + 1) / Size);
        return (start, end - start);
    }

    /// <summary>
    /// Makes every rank's model and optimizer state rank 0's (a broadcast), after checking that
    /// the ranks agree on the model's layers and the state's sizes and step count.
    /// </summary>
    /// <param name="model">The model, built the same way on every rank.</param>
    /// <param name="optimizer">Its optimizer, or null.</param>
    public void Synchronize(Model model, Optimizer? optimizer)
    {
        var shape = new System.Text.StringBuilder();
        foreach (var (key, parameter) in model.NamedParameters) shape.Append(key).Append(parameter.Shape).Append(';');
        if (optimizer is not null)
        {
            shape.Append("optimizer ").Append(optimizer.GetType().Name).Append(" step ").Append(optimizer.Steps).Append(';');
            foreach (var (name, values) in optimizer.State) shape.Append(name).Append(':').Append(values.Length).Append(';');
        }
        RequireSame("model (layers, parameter shapes, optimizer state)", System.Text.Encoding.UTF8.GetBytes(shape.ToString()));
        // Blocking and non-blocking all-reduces do not match each other: the ranks must sum alike.
        RequireSame("gradient all-reduce (bucket size, overlap)", System.Text.Encoding.UTF8.GetBytes($"{BucketSize} {Overlap}"));
        Broadcast(model.ParameterValues);
        if (optimizer is not null)
            foreach (var (_, values) in optimizer.State) Broadcast(values);
    }

    /// <summary>
    /// Throws a <see cref="RankMismatchException"/> on every rank, naming the ranks that differ
    /// from rank 0, unless every rank passed the same <paramref name="content"/> (compared by its
    /// SHA-256). A collective call: every rank makes it, in the same order.
    /// </summary>
    /// <param name="what">What is compared, for the message ("the training data").</param>
    /// <param name="content">This rank's copy of it.</param>
    public void RequireSame(string what, ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(content, hash);
        Array.Clear(gathered);
        gathered[Rank] = BitConverter.ToInt64(hash);
        Communicator.AllReduceSum(gathered);
        var differing = new List<int>();
        for (int r = 1; r < gathered.Length; r++)
            if (gathered[r] != gathered[0]) differing.Add(r);
        if (differing.Count > 0)
        {
            string ranks = differing.Count == 1 ? $"rank {differing[0]}" : $"ranks {string.Join(", ", differing)}";
            throw new RankMismatchException($"{ranks} of {Size} {(differing.Count == 1 ? "has" : "have")} a different {what} from rank 0; " +
                "every rank must start from the same files and options.");
        }
    }

    private void Broadcast(Span<float> values)
    {
        long start = Stopwatch.GetTimestamp();
        Communicator.Broadcast(values, root: 0);
        communicationTicks += Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// This rank's shard of a global batch as a view on the batch's buffer (the same tensor again
    /// while the batch buffer and shard stay the same, so steady state allocates nothing).
    /// </summary>
    internal Tensor ShardOf(Tensor batch, int start, int count)
    {
        int itemSize = batch.Shape.Size / Math.Max(batch.Shape[0], 1);
        int offset = batch.Offset + start * itemSize;
        if (shard is null || shard.Buffer != batch.Buffer || shard.Offset != offset || shard.Shape[0] != count
            || shard.Shape.Size != count * itemSize)
            shard = new Tensor(batch.Shape.WithBatch(count), batch.Buffer, offset);
        return shard;
    }

    /// <summary>
    /// Sums this step's figures over the ranks: the loss summed over the shard, the correct
    /// answers, the images and whether this rank was asked to stop. Returns the global ones.
    /// </summary>
    internal (double LossSum, int Correct, int Count, bool Stop) ReduceStep(double lossSum, int correct, int count, bool stop)
    {
        stats[0] = lossSum;
        stats[1] = correct;
        stats[2] = count;
        stats[3] = stop ? 1 : 0;
        long start = Stopwatch.GetTimestamp();
        Communicator.AllReduceSum(stats);
        communicationTicks += Stopwatch.GetTimestamp() - start;
        return (stats[0], (int)stats[1], (int)stats[2], stats[3] > 0);
    }

    /// <summary>
    /// Back-propagates <paramref name="dOutput"/> (null when this rank's shard is empty) into the
    /// model's parameters and sums the gradients over the ranks, in place, in buckets of
    /// <see cref="BucketSize"/> from the end of the gradient array (the last layers, whose
    /// gradients a backward pass finishes first): with <see cref="Overlap"/>, each bucket's sum
    /// starts as soon as the backward pass has finished its layers; every bucket has completed
    /// when this returns.
    /// </summary>
    internal unsafe void BackwardAndSumGradients(Model model, Tensor? dOutput)
    {
        if (!Overlap || !Plan(model))
        {
            if (dOutput is not null) model.BackwardParameters(dOutput);
            SumGradients(model);
            return;
        }
        var gradients = model.ParameterGradients;
        // Pinned from the first bucket's start to the last one's end: the MPI library writes the sums in the background.
        fixed (float* start = gradients)
        {
            pinned.Reset(start, gradients.Length);
            nextBucket = 0;
            executor!.StepObserver = this;
            try
            {
                if (dOutput is not null) model.BackwardParameters(dOutput);
            }
            finally
            {
                executor.StepObserver = null;
            }
            // Whatever the backward pass did not start (all of it on a rank with no images in this batch), in the same order.
            long begin = Stopwatch.GetTimestamp();
            StartBuckets(0);
            Communicator.WaitAll();
            communicationTicks += Stopwatch.GetTimestamp() - begin;
            pinned.Reset(null, 0);
        }
    }

    /// <summary>
    /// Starts every bucket the backward pass has finished once step <paramref name="step"/> is done:
    /// the layers' gradients lie in layer order, so everything from the step's first parameter on is final.
    /// </summary>
    void IBackwardStepObserver.AfterBackwardStep(int step)
    {
        long begin = Stopwatch.GetTimestamp();
        StartBuckets(stepStarts[step]);
        // Open MPI moves a non-blocking all-reduce on mainly inside MPI calls: one between layers keeps it going.
        if (nextBucket > 0) Communicator.TestAll();
        communicationTicks += Stopwatch.GetTimestamp() - begin;
    }

    // Starts the buckets, from the last, that lie at or after readyFrom.
    private void StartBuckets(int readyFrom)
    {
        for (; nextBucket < bucketCount; nextBucket++)
        {
            int end = gradientCount - nextBucket * BucketSize, from = Math.Max(0, end - BucketSize);
            if (from < readyFrom) return;
            Communicator.StartAllReduceSum(pinned.Memory.Slice(from, end - from));
        }
    }

    // Where each step's parameters begin in the gradient array; false if the model does not run on
    // an executor whose steps are its layers in order with their parameters in that order.
    private bool Plan(Model model)
    {
        if (ReferenceEquals(planned, model) && gradientCount == model.ParameterGradients.Length) return executor is not null;
        planned = model;
        gradientCount = model.ParameterGradients.Length;
        bucketCount = (gradientCount + BucketSize - 1) / BucketSize;
        executor = model switch { Sequential s => s.Executor, Graph g => g.Executor, _ => null };
        var layers = model.Layers;
        stepStarts = new int[layers.Count];
        int offset = 0;
        for (int k = 0; k < layers.Count; k++)
        {
            stepStarts[k] = offset;
            foreach (var parameter in layers[k].Parameters) offset += parameter.Value.Length;
        }
        if (offset != gradientCount) executor = null; // a layer used twice, say: sum after the backward pass
        return executor is not null;
    }

    /// <summary>
    /// Sums the gradients over the ranks, in place, in buckets of <see cref="BucketSize"/> from
    /// the end of the gradient array (the last layers, whose gradients a backward pass finishes first).
    /// </summary>
    internal void SumGradients(Model model)
    {
        long start = Stopwatch.GetTimestamp();
        var gradients = model.ParameterGradients;
        for (int end = gradients.Length; end > 0; end -= BucketSize)
        {
            int from = Math.Max(0, end - BucketSize);
            Communicator.AllReduceSum(gradients[from..end]);
        }
        communicationTicks += Stopwatch.GetTimestamp() - start;
    }
}

/// <summary>
/// Pinned floats (the gradients, while a <c>fixed</c> statement holds them) as <see cref="Memory{T}"/>,
/// so that a non-blocking all-reduce can keep a slice of them without pinning or allocating again.
/// </summary>
internal sealed unsafe class PinnedFloats : System.Buffers.MemoryManager<float>
{
    private float* start;
    private int length;

    public void Reset(float* values, int count)
    {
        start = values;
        length = count;
    }

    public override Span<float> GetSpan() => new(start, length);

    public override System.Buffers.MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        return new System.Buffers.MemoryHandle(start + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
