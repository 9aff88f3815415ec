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
/// Runs the parts of a struct job on the calling thread and on thread-pool threads. Unlike
/// <c>Parallel.For</c> with a lambda, a call allocates nothing once warm: the job is copied into
/// a runner object cached per calling thread and per job type, and that same runner is queued
/// as the work item. The caller takes parts too and returns when all are done.
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

    private sealed class Runner<TJob> : IThreadPoolWorkItem where TJob : struct, IParallelPart
    {
        // Claimed part indices start here after a call ends, so a work item queued for an
        // earlier call that wakes up late finds nothing left to take.
        private const int Finished = int.MaxValue / 2;

        [ThreadStatic] public static Runner<TJob>? Current;

        private readonly ManualResetEventSlim done = new(false);
        private TJob job;
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
                for (int i = 1; i < threads; i++) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
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

        void IThreadPoolWorkItem.Execute() => RunParts();

        private void RunParts()
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
