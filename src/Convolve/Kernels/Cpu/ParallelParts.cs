namespace Convolve.Kernels.Cpu;

/// <summary>
/// Work split into numbered parts <c>0 .. parts-1</c>. Each part must write only its own
/// outputs, so the result does not depend on which thread runs which part, or in what order.
/// </summary>
internal interface IParallelPart
{
    void Run(int part);
}

/// <summary>
/// Runs the parts of a struct job on the calling thread and on Convolve's worker threads. Unlike
/// <c>Parallel.For</c> with a lambda, a call allocates nothing once warm: the job is copied into
/// a runner object cached per calling thread and per job type, and that runner is handed to the
/// workers. The caller takes parts too and returns when all are done.
/// <para>
/// The workers (one per core beyond the first) spin for a short while after each job before they
/// sleep, as OpenMP runtimes do: a layer's work often takes a few hundred microseconds, about what
/// waking a sleeping thread costs on a virtual machine, and a thread that is still asleep when the
/// caller has taken every part helps nothing.
/// </para>
/// </summary>
internal static class ParallelParts
{
    /// <summary>Runs <c>job.Run(part)</c> for every part, on up to <paramref name="threads"/> threads.</summary>
    public static void Run<TJob>(int parts, int threads, in TJob job) where TJob : struct, IParallelPart
    {
        if (parts <= 1 || threads <= 1)
        {
            for (int part = 0; part < parts; part++) job.Run(part);
            return;
        }
        var runner = Runner<TJob>.Current ??= new Runner<TJob>();
        if (runner.Busy)
        {
            // A part that itself runs parts of the same job type on this thread: do it inline.
            for (int part = 0; part < parts; part++) job.Run(part);
            return;
        }
        runner.Execute(parts, Math.Min(parts, threads), job);
    }

    /// <summary>A job's parts as the workers see them.</summary>
    private interface IWork
    {
        /// <summary>How many more workers may help with the current call; each takes one by decrementing it.</summary>
        ref int HelperSlots { get; }

        /// <summary>Claims and runs parts until none is left.</summary>
        void RunParts();
    }

    /// <summary>
    /// The worker threads: started on first use, background, one per core beyond the first. A
    /// posted job is announced by a new generation number; workers that see it take a helper slot
    /// and run parts. After a job a worker spins (checking the generation) for
    /// <see cref="SpinTime"/>, then sleeps until a post wakes it.
    /// </summary>
    private static class Workers
    {
        private static readonly TimeSpan SpinTime = TimeSpan.FromMilliseconds(1);
        private static readonly object StartLock = new();
        private static readonly SemaphoreSlim Wake = new(0);
        private static IWork? current;
        private static long generation;
        private static int sleepers;
        private static bool started;

        public static int Count { get; } = Math.Max(0, Environment.ProcessorCount - 1);

        public static void Post(IWork work, int helpers)
        {
            helpers = Math.Min(helpers, Count);
            if (helpers <= 0) return;
            if (!Volatile.Read(ref started)) Start();
            Volatile.Write(ref work.HelperSlots, helpers);
            Volatile.Write(ref current, work);
            Interlocked.Increment(ref generation);
            int asleep = Volatile.Read(ref sleepers);
            if (asleep > 0) Wake.Release(Math.Min(asleep, helpers));
        }

        private static void Start()
        {
            lock (StartLock)
            {
                if (started) return;
                for (int i = 0; i < Count; i++)
                    new Thread(Loop) { IsBackground = true, Name = $"Convolve worker {i + 1}" }.Start();
                Volatile.Write(ref started, true);
            }
        }

        private static void Loop()
        {
            long seen = Volatile.Read(ref generation);
            long spinTicks = (long)(SpinTime.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            while (true)
            {
                long spinStart = System.Diagnostics.Stopwatch.GetTimestamp();
                while (Volatile.Read(ref generation) == seen)
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() - spinStart < spinTicks)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    Interlocked.Increment(ref sleepers);
                    if (Volatile.Read(ref generation) == seen) Wake.Wait(); // a post after the check releases it
                    Interlocked.Decrement(ref sleepers);
                    spinStart = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                seen = Volatile.Read(ref generation);
                var work = Volatile.Read(ref current);
                if (work is not null && Interlocked.Decrement(ref work.HelperSlots) >= 0) work.RunParts();
            }
        }
    }

    private sealed class Runner<TJob> : IWork where TJob : struct, IParallelPart
    {
        // Claimed part indices start here after a call ends, so a work item queued for an
        // earlier call that wakes up late finds nothing left to take.
        private const int Finished = int.MaxValue / 2;

        [ThreadStatic] public static Runner<TJob>? Current;

        private readonly ManualResetEventSlim done = new(false);
        private TJob job;

        public Runner()
        {
            // The event makes its lock object the first time a wait blocks. Block once here (for up
            // to a millisecond), so that a later call whose helper finishes last allocates nothing.
            done.Wait(1);
        }
        private int parts, next = Finished, remaining;
        private Exception? error;

        public bool Busy { get; private set; }

        public void Execute(int parts, int threads, in TJob job)
        {
            Busy = true;
            try
            {
                this.job = job;
                this.parts = parts;
                error = null;
                done.Reset();
                Volatile.Write(ref remaining, parts);
                Volatile.Write(ref next, 0); // publishes the fields above to the claimers
                Workers.Post(this, threads - 1);
                RunParts();
                done.Wait();
                Volatile.Write(ref next, Finished);
                this.job = default;
                if (error is not null)
                    throw new AggregateException($"ParallelParts: a part of {typeof(TJob).Name} failed.", error);
            }
            finally
            {
                Busy = false;
            }
        }

        private int helperSlots;

        public ref int HelperSlots => ref helperSlots;

        public void RunParts()
        {
            while (true)
            {
                int part = Interlocked.Increment(ref next) - 1;
                if (part >= Volatile.Read(ref parts) || part < 0) return;
                try
                {
                    job.Run(part);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref error, e, null);
                }
                if (Interlocked.Decrement(ref remaining) == 0) done.Set();
            }
        }
    }
}

/// <summary>The one rule for thread-count options: 0 means one thread per core, and no more threads than cores.</summary>
internal static class ThreadCount
{
    /// <summary>The threads to use for <paramref name="maxThreads"/> (0: all cores), at least 1 and at most the core count.</summary>
    public static int Resolve(int maxThreads)
    {
        if (maxThreads < 0)
            throw new ArgumentOutOfRangeException(nameof(maxThreads), maxThreads, "A thread count is 0 (one thread per core) or positive.");
        return maxThreads == 0 ? Environment.ProcessorCount : Math.Min(maxThreads, Environment.ProcessorCount);
    }
}
