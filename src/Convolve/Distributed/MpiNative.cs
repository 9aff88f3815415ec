using System.Runtime.InteropServices;

namespace Convolve.Distributed;

/// <summary>
/// The few functions of Open MPI's C library that data-parallel training needs, reached through
/// function pointers taken from the loaded library (no <c>DllImport</c>, so nothing is bound until
/// a process runs under <c>mpirun</c>, and trimming and native AOT keep working). Open MPI's
/// predefined handles (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, ...) are the
/// addresses of exported globals (<c>ompi_mpi_comm_world</c>, ...: the OMPI_PREDEFINED_GLOBAL
/// macro of its mpi.h), so they come from <see cref="NativeLibrary.GetExport"/>;
/// <c>MPI_IN_PLACE</c> is the constant <c>(void*)1</c> in the same header. These are Open MPI's
/// ABI (libmpi.so.40); MPICH's handles are integers and are not supported.
/// </summary>
internal static unsafe class MpiNative
{
    /// <summary>MPI_IN_PLACE of Open MPI's mpi.h.</summary>
    public static readonly void* InPlace = (void*)1;

    /// <summary>MPI_THREAD_SERIALIZED: any thread may call, one at a time.</summary>
    public const int ThreadSerialized = 2;

    /// <summary>MPI_SUCCESS.</summary>
    public const int Success = 0;

    private static readonly string[] LibraryNames = ["libmpi.so.40", "libmpi.so"];

    public static nint CommWorld, Float, Double, Long, OpSum, OpMax;

    public static delegate* unmanaged<int*, nint, int, int*, int> InitThread;
    public static delegate* unmanaged<int*, int> Initialized;
    public static delegate* unmanaged<int*, int> Finalized;
    public static delegate* unmanaged<nint, int*, int> CommRank;
    public static delegate* unmanaged<nint, int*, int> CommSize;
    public static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public static delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> Iallreduce;
    public static delegate* unmanaged<int, nint*, void*, int> Waitall;
    public static delegate* unmanaged<int, nint*, int*, void*, int> Testall;
    public static delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public static delegate* unmanaged<nint, int> Barrier;
    public static delegate* unmanaged<nint, int, int> Abort;
    public static delegate* unmanaged<int> FinalizeMpi;

    private static nint library;

    /// <summary>Loads libmpi and resolves every symbol used, once; throws with what is missing.</summary>
    public static void Load()
    {
        if (library != 0) return;
        nint handle = 0;
        foreach (var name in LibraryNames)
            if (NativeLibrary.TryLoad(name, out handle)) break;
        if (handle == 0)
            throw new DllNotFoundException(
                "Open MPI's library (libmpi.so.40) was not found: install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev).");
        CommWorld = Export(handle, "ompi_mpi_comm_world");
        Float = Export(handle, "ompi_mpi_float");
        Double = Export(handle, "ompi_mpi_double");
        Long = Export(handle, "ompi_mpi_long_long_int");
        OpSum = Export(handle, "ompi_mpi_op_sum");
        OpMax = Export(handle, "ompi_mpi_op_max");
        InitThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export(handle, "MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export(handle, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export(handle, "MPI_Finalized");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export(handle, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export(handle, "MPI_Comm_size");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export(handle, "MPI_Allreduce");
        // MPI_Request is a pointer in Open MPI (struct ompi_request_t*); MPI_STATUS(ES)_IGNORE is (MPI_Status*)0.
        Iallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Export(handle, "MPI_Iallreduce");
        Waitall = (delegate* unmanaged<int, nint*, void*, int>)Export(handle, "MPI_Waitall");
        Testall = (delegate* unmanaged<int, nint*, int*, void*, int>)Export(handle, "MPI_Testall");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export(handle, "MPI_Bcast");
        Barrier = (delegate* unmanaged<nint, int>)Export(handle, "MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Export(handle, "MPI_Abort");
        FinalizeMpi = (delegate* unmanaged<int>)Export(handle, "MPI_Finalize");
        library = handle;
    }

    private static nint Export(nint handle, string name) => NativeLibrary.TryGetExport(handle, name, out var address)
        ? address
        : throw new EntryPointNotFoundException($"The MPI library has no '{name}': Convolve needs Open MPI 4 or later (libmpi.so.40).");

    /// <summary>Throws naming the call when an MPI function did not succeed.</summary>
    public static void Check(int code, string function)
    {
        if (code != Success) throw new InvalidOperationException($"{function} failed with MPI error code {code}.");
    }
}
