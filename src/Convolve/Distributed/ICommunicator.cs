namespace Convolve.Distributed;

/// <summary>
/// The collective operations data-parallel training needs from a group of processes (ranks):
/// every rank calls each operation in the same order with buffers of the same length, and each
/// call returns once all have made it. <see cref="MpiCommunicator"/> is the one over Open MPI.
/// </summary>
public interface ICommunicator
{
    /// <summary>This process's number in the group, from 0.</summary>
    int Rank { get; }

    /// <summary>How many processes the group has.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    /// <param name="values">This rank's values in, the sums out.</param>
    void AllReduceSum(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    /// <param name="values">This rank's values in, the sums out.</param>
    void AllReduceSum(Span<double> values);

    /// <summary>
    /// Starts replacing <paramref name="values"/> on every rank by their element-wise sum over all
    /// ranks and returns without waiting for the other ranks; the sums are there once
    /// <see cref="WaitAll"/> returns. Until then the caller must neither read nor write the values
    /// and must keep the memory where it is (pinned). Every rank starts the same sums in the same
    /// order. The default sums at once (<see cref="AllReduceSum(Span{float})"/>), for
    /// communicators that cannot overlap.
    /// </summary>
    /// <param name="values">This rank's values in, the sums out after <see cref="WaitAll"/>.</param>
    void StartAllReduceSum(Memory<float> values) => AllReduceSum(values.Span);

    /// <summary>
    /// Lets the sums started by <see cref="StartAllReduceSum"/> advance without waiting, and
    /// returns whether all have completed (they still need <see cref="WaitAll"/>). MPI libraries
    /// move non-blocking collectives on mainly inside MPI calls, so calling this between pieces
    /// of work keeps them going.
    /// </summary>
    bool TestAll() => true;

    /// <summary>Returns once every sum started by <see cref="StartAllReduceSum"/> has completed on this rank.</summary>
    void WaitAll()
    {
    }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks (exact).</summary>
    /// <param name="values">This rank's values in, the sums out.</param>
    void AllReduceSum(Span<long> values);

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise maximum over all ranks.</summary>
    /// <param name="values">This rank's values in, the maxima out.</param>
    void AllReduceMax(Span<long> values);

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="values"/> into every other rank's.</summary>
    /// <param name="values">The values: read on the root, written on the others.</param>
    /// <param name="root">The rank whose values are sent.</param>
    void Broadcast(Span<float> values, int root);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();

    /// <summary>
    /// Ends every process of the group at once with <paramref name="exitCode"/>: what a rank does
    /// after a failure the others cannot know of, so that they do not wait for it forever.
    /// </summary>
    /// <param name="exitCode">The exit code of the processes.</param>
    void Abort(int exitCode);
}
