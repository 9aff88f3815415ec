namespace Convolve.Distributed;

/// <summary>
/// The processes started by Open MPI's <c>mpirun</c> (MPI_COMM_WORLD), through a small binding to
/// its C library, <c>libmpi.so.40</c>, loaded only when <see cref="Initialize"/> is called: a
/// program that never trains across processes needs nothing of MPI. One per process: MPI is
/// initialised once and finalised by <see cref="Dispose"/>, after which it cannot start again.
/// </summary>
/// <remarks>
/// MPI is initialised with MPI_THREAD_SERIALIZED: any thread may call, one at a time (the
/// training thread does). Every collective takes its buffer in place (MPI_IN_PLACE); a count
/// above <see cref="int.MaxValue"/> is sent in several calls.
/// </remarks>
public sealed unsafe class MpiCommunicator : ICommunicator, IDisposable
{
    private static readonly Lock Gate = new();
    private static MpiCommunicator? instance;
    private bool finalized;
    private nint[] requests = new nint[16];
    private System.Buffers.MemoryHandle[] pins = new System.Buffers.MemoryHandle[16];
    private int pending;

    private MpiCommunicator(int rank, int size) => (Rank, Size) = (rank, size);

    /// <summary>
    /// Whether this process was started by an MPI launcher (Open MPI's <c>mpirun</c> sets
    /// OMPI_COMM_WORLD_SIZE; PMIx launchers such as Slurm's <c>srun --mpi=pmix</c> set PMIX_RANK).
    /// </summary>
    public static bool IsLaunchedByMpi =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 } || Environment.GetEnvironmentVariable("PMIX_RANK") is { Length: > 0 };

    /// <summary>
    /// Loads Open MPI, initialises it (once per process) and returns the world communicator; a
    /// second call returns the same one. Throws a <see cref="DllNotFoundException"/> saying what
    /// to install when the library is missing, and an <see cref="InvalidOperationException"/>
    /// after <see cref="Dispose"/>.
    /// </summary>
    public static MpiCommunicator Initialize()
    {
        lock (Gate)
        {
            if (instance is { finalized: false }) return instance;
            if (instance is not null) throw new InvalidOperationException("MPI has been finalised in this process; it cannot start again.");
            MpiNative.Load();
            int flag = 0;
            MpiNative.Check(MpiNative.Finalized(&flag), "MPI_Finalized");
            if (flag != 0) throw new InvalidOperationException("MPI has been finalised in this process; it cannot start again.");
            MpiNative.Check(MpiNative.Initialized(&flag), "MPI_Initialized");
            if (flag == 0)
            {
                int provided = 0;
                MpiNative.Check(MpiNative.InitThread(null, 0, MpiNative.ThreadSerialized, &provided), "MPI_Init_thread");
                if (provided < MpiNative.ThreadSerialized)
                    throw new InvalidOperationException($"MPI gave thread level {provided}; training needs MPI_THREAD_SERIALIZED (2) or more.");
            }
            int rank = 0, size = 0;
            MpiNative.Check(MpiNative.CommRank(MpiNative.CommWorld, &rank), "MPI_Comm_rank");
            MpiNative.Check(MpiNative.CommSize(MpiNative.CommWorld, &size), "MPI_Comm_size");
            return instance = new MpiCommunicator(rank, size);
        }
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public void AllReduceSum(Span<float> values) => AllReduce(values, MpiNative.Float, MpiNative.OpSum);

    /// <inheritdoc />
    /// <remarks>MPI_Iallreduce in place; the memory stays pinned until <see cref="WaitAll"/>.</remarks>
    public void StartAllReduceSum(Memory<float> values)
    {
        RequireOpen();
        for (int done = 0; done < values.Length;)
        {
            int count = Math.Min(values.Length - done, int.MaxValue / 2);
            if (pending == requests.Length)
            {
                Array.Resize(ref requests, pending * 2);
                Array.Resize(ref pins, pending * 2);
            }
            pins[pending] = values.Slice(done, count).Pin();
            fixed (nint* request = &requests[pending])
            {
                int code = MpiNative.Iallreduce(MpiNative.InPlace, pins[pending].Pointer, count, MpiNative.Float, MpiNative.OpSum,
                    MpiNative.CommWorld, request);
                if (code != MpiNative.Success) pins[pending].Dispose();
                MpiNative.Check(code, "MPI_Iallreduce");
            }
            pending++;
            done += count;
        }
    }

    /// <inheritdoc />
    public bool TestAll()
    {
        if (pending == 0) return true;
        RequireOpen();
        int flag = 0;
        fixed (nint* all = requests) MpiNative.Check(MpiNative.Testall(pending, all, &flag, null), "MPI_Testall");
        return flag != 0;
    }

    /// <inheritdoc />
    public void WaitAll()
    {
        if (pending == 0) return;
        RequireOpen();
        try
        {
            fixed (nint* all = requests) MpiNative.Check(MpiNative.Waitall(pending, all, null), "MPI_Waitall");
        }
        finally
        {
            for (int i = 0; i < pending; i++) pins[i].Dispose();
            pending = 0;
        }
    }

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values) => AllReduce(values, MpiNative.Double, MpiNative.OpSum);

    /// <inheritdoc />
    public void AllReduceSum(Span<long> values) => AllReduce(values, MpiNative.Long, MpiNative.OpSum);

    /// <inheritdoc />
    public void AllReduceMax(Span<long> values) => AllReduce(values, MpiNative.Long, MpiNative.OpMax);

    /// <inheritdoc />
    public void Broadcast(Span<float> values, int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        RequireOpen();
        fixed (float* start = values)
        {
            for (int done = 0; done < values.Length;)
            {
                int count = Math.Min(values.Length - done, int.MaxValue / 2);
                MpiNative.Check(MpiNative.Bcast(start + done, count, MpiNative.Float, root, MpiNative.CommWorld), "MPI_Bcast");
                done += count;
            }
        }
    }

    /// <inheritdoc />
    public void Barrier()
    {
        RequireOpen();
        MpiNative.Check(MpiNative.Barrier(MpiNative.CommWorld), "MPI_Barrier");
    }

    /// <inheritdoc />
    public void Abort(int exitCode)
    {
        RequireOpen();
        MpiNative.Abort(MpiNative.CommWorld, exitCode);
    }

    /// <summary>Finalises MPI (MPI_Finalize), which every rank must do before it exits normally; later calls do nothing.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (finalized) return;
            finalized = true;
            MpiNative.Check(MpiNative.FinalizeMpi(), "MPI_Finalize");
        }
    }

    private void AllReduce<T>(Span<T> values, nint type, nint op) where T : unmanaged
    {
        RequireOpen();
        fixed (T* start = values)
        {
            for (int done = 0; done < values.Length;)
            {
                int count = Math.Min(values.Length - done, int.MaxValue / 2);
                MpiNative.Check(MpiNative.Allreduce(MpiNative.InPlace, start + done, count, type, op, MpiNative.CommWorld), "MPI_Allreduce");
                done += count;
            }
        }
    }

    private void RequireOpen()
    {
        if (finalized) throw new InvalidOperationException("MPI has been finalised; no more collective calls can be made.");
    }
}
