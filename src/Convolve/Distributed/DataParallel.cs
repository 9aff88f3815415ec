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
public sealed class DataParallel
{
    /// <summary>Values per gradient all-reduce by default: 1 Mi floats (4 MiB), a few per model of millions of weights.</summary>
    public const int DefaultBucketSize = 1 << 20;

    private readonly double[] stats = new double[4];
    private readonly long[] gathered;
    private Tensor? shard;
    private long communicationTicks;

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
