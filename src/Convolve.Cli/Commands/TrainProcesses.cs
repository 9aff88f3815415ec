using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Convolve.Distributed;
using Convolve.Training;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>mpirun -np N convolve train ...</c>: the N processes train one model together (see
/// <see cref="DataParallel"/>). Each loads the data and builds the model as a single run would;
/// then MPI starts, the ranks check that they agree (command line, checkpoint, options, model,
/// data) and take rank 0's weights. Rank 0 alone prints and writes files. A failure all ranks see
/// alike (a mismatch, a resume with another number of processes) is reported once, by rank 0; any
/// other failure after MPI has started ends every process (MPI_Abort) with a message naming the
/// rank, so that none waits for a rank that is gone.
/// </summary>
internal sealed class TrainProcesses : IDisposable
{
    /// <summary>The checkpoint entry that records how many processes trained the run.</summary>
    public const string ProcessesKey = "train-processes";

    private TrainProcesses(MpiCommunicator mpi, DataParallel parallel) => (Mpi, Parallel) = (mpi, parallel);

    /// <summary>The MPI processes.</summary>
    public MpiCommunicator Mpi { get; }

    /// <summary>The data-parallel training the session was given.</summary>
    public DataParallel Parallel { get; }

    /// <summary>
    /// This process's rank as the launcher set it (before MPI starts), or null when it was not
    /// started by an MPI launcher.
    /// </summary>
    public static int? LaunchedRank
    {
        get
        {
            if (!MpiCommunicator.IsLaunchedByMpi) return null;
            string? text = Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") ?? Environment.GetEnvironmentVariable("PMIX_RANK");
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int rank) ? rank : 0;
        }
    }

    /// <summary>
    /// Refuses to resume with another number of processes than the run was trained by: the run
    /// would go on, but not as the one that was stopped.
    /// </summary>
    public static void CheckResume(IReadOnlyDictionary<string, string> saved, int processes, string checkpoint)
    {
        int before = saved.TryGetValue(ProcessesKey, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : 1;
        if (before == processes) return;
        string how = before == 1 ? "without mpirun" : $"with mpirun -np {before}";
        throw new ArgumentException($"{checkpoint}: the run was trained by {Terminal.Plural(before, "process", "processes")}, " +
            $"but this is {Terminal.Plural(processes, "process", "processes")}; resume it {how}.");
    }

    /// <summary>
    /// Starts MPI and makes <paramref name="session"/> one of the ranks' sessions. Returns null on
    /// a rank other than 0 when the ranks disagree (rank 0 throws the reason, the others stop
    /// quietly): every check here is made alike by all ranks, so all stop together.
    /// </summary>
    public static TrainProcesses? Start(TrainingSession session, TrainCommand.Settings s, IReadOnlyDictionary<string, string>? saved)
    {
        var mpi = MpiCommunicator.Initialize();
        var parallel = new DataParallel(mpi);
        // CONVOLVE_MPI_OVERLAP=1 or 0 (mpirun -x) overrides how gradients are summed, to measure both (docs/distributed.md).
        string? overlap = Environment.GetEnvironmentVariable("CONVOLVE_MPI_OVERLAP");
        if (overlap is "0" or "1") parallel.Overlap = overlap == "1";
        try
        {
            parallel.RequireSame("command line", Encoding.UTF8.GetBytes(s.CommandLine));
            if (s.Resume is not null)
            {
                using (var file = File.OpenRead(s.Resume)) parallel.RequireSame($"checkpoint {s.Resume}", SHA256.HashData(file));
                CheckResume(saved!, mpi.Size, s.Resume);
            }
            session.Distribute(parallel);
            return new TrainProcesses(mpi, parallel);
        }
        catch (Exception e) when (e is RankMismatchException or ArgumentException)
        {
            mpi.Dispose();
            if (mpi.Rank == 0) throw;
            return null;
        }
        catch (Exception e)
        {
            throw Abort(mpi, e);
        }
    }

    /// <summary>
    /// Runs <paramref name="train"/> (the training after <see cref="Start"/>); a failure on this
    /// rank ends every rank's process with a message naming it, since the others would wait for
    /// this one in their next collective call.
    /// </summary>
    public int Guard(Func<int> train)
    {
        try
        {
            return train();
        }
        catch (Exception e)
        {
            throw Abort(Mpi, e);
        }
    }

    private static Exception Abort(MpiCommunicator mpi, Exception e)
    {
        Console.Error.WriteLine($"convolve: rank {mpi.Rank} of {mpi.Size} failed: {Failures.Message(e)} Stopping every rank.");
        Console.Error.Flush();
        mpi.Abort(ConvolveApp.Failure);
        return e; // not reached: MPI_Abort ends every process
    }

    /// <summary>Finalises MPI.</summary>
    public void Dispose() => Mpi.Dispose();
}
