namespace Convolve.Distributed.Tests;

/// <summary>
/// Ranks as threads of one process, for testing data-parallel training without MPI: each
/// collective waits for every rank, then sums (or copies) the ranks' buffers in rank order.
/// </summary>
public sealed class ThreadCommunicator(ThreadCommunicator.Group group, int rank) : ICommunicator
{
    private readonly List<(Memory<float> Target, float[] Sums)> pending = [];

    /// <summary>The ranks' shared state: a barrier and one slot per rank.</summary>
    public sealed class Group(int size)
    {
        internal readonly Barrier Barrier = new(size);
        internal readonly object?[] Slots = new object?[size];

        /// <summary>How many ranks.</summary>
        public int Size => size;

        /// <summary>Runs <paramref name="body"/> once per rank, each on its own thread, and returns their results by rank.</summary>
        public static T[] Run<T>(int size, Func<ThreadCommunicator, T> body)
        {
            var group = new Group(size);
            var results = new T[size];
            var errors = new Exception?[size];
            var threads = Enumerable.Range(0, size).Select(r => new Thread(() =>
            {
                try { results[r] = body(new ThreadCommunicator(group, r)); }
                catch (Exception e) { errors[r] = e; }
            }, maxStackSize: 16 << 20)).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            if (errors.FirstOrDefault(e => e is not null) is { } error) throw new AggregateException(errors.OfType<Exception>().Prepend(error));
            return results;
        }
    }

    /// <inheritdoc />
    public int Rank => rank;

    /// <inheritdoc />
    public int Size => group.Size;

    /// <inheritdoc />
    public void AllReduceSum(Span<float> values) => Reduce(values, (a, b) => a + b);

    /// <inheritdoc />
    /// <remarks>
    /// Sums the values as they are when it is called, and writes the sums only in <see cref="WaitAll"/>:
    /// a bucket started before its gradients were final, or read before the wait, shows as a difference.
    /// </remarks>
    public void StartAllReduceSum(Memory<float> values)
    {
        var sums = values.ToArray();
        Reduce<float>(sums, (a, b) => a + b);
        pending.Add((values, sums));
        Started++;
    }

    /// <inheritdoc />
    public bool TestAll() => true;

    /// <inheritdoc />
    public void WaitAll()
    {
        foreach (var (target, sums) in pending) sums.CopyTo(target);
        pending.Clear();
    }

    /// <summary>How many non-blocking sums this rank has started.</summary>
    public int Started { get; private set; }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values) => Reduce(values, (a, b) => a + b);

    /// <inheritdoc />
    public void AllReduceSum(Span<long> values) => Reduce(values, (a, b) => a + b);

    /// <inheritdoc />
    public void AllReduceMax(Span<long> values) => Reduce(values, Math.Max);

    /// <inheritdoc />
    public void Broadcast(Span<float> values, int root)
    {
        if (rank == root) group.Slots[rank] = values.ToArray();
        group.Barrier.SignalAndWait();
        ((float[])group.Slots[root]!).CopyTo(values);
        group.Barrier.SignalAndWait();
    }

    /// <inheritdoc />
    public void Barrier() => group.Barrier.SignalAndWait();

    /// <inheritdoc />
    public void Abort(int exitCode) => throw new InvalidOperationException($"rank {rank} aborted with {exitCode}");

    private void Reduce<T>(Span<T> values, Func<T, T, T> add)
    {
        group.Slots[rank] = values.ToArray();
        group.Barrier.SignalAndWait();
        for (int i = 0; i < values.Length; i++)
        {
            T sum = ((T[])group.Slots[0]!)[i];
            for (int r = 1; r < Size; r++) sum = add(sum, ((T[])group.Slots[r]!)[i]);
            values[i] = sum;
        }
        group.Barrier.SignalAndWait();
    }
}
