using System.Runtime.InteropServices;

namespace Convolve.Cli;

/// <summary>
/// Turns the signals that ask a process to stop (SIGINT from Ctrl+C; SIGTERM from <c>kill</c>,
/// <c>docker stop</c>, systemd and CI runners; SIGHUP when the terminal closes) into a
/// cancellation, so that a command can save its work and exit with the conventional code
/// 128 + the signal's number. A second signal is not caught: it ends the process at once, for
/// the user whose first request to stop is not fast enough.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    /// <summary>Exit code after SIGHUP (128 + 1).</summary>
    public const int HangUpExitCode = 129;

    /// <summary>Exit code after SIGINT, Ctrl+C (128 + 2).</summary>
    public const int InterruptExitCode = 130;

    /// <summary>Exit code after SIGTERM (128 + 15).</summary>
    public const int TerminateExitCode = 143;

    private readonly CancellationTokenSource cancel;
    private readonly List<PosixSignalRegistration> registrations = [];
    private int received; // 0 until the first signal, then its PosixSignal value

    /// <summary>Starts listening; <paramref name="linked"/> cancels as well (a caller's own stop).</summary>
    public StopSignals(CancellationToken linked = default)
    {
        cancel = CancellationTokenSource.CreateLinkedTokenSource(linked);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            try
            {
                registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
            }
            catch (Exception e) when (e is PlatformNotSupportedException or IOException)
            {
                // A platform without this signal cannot send it either.
            }
        }
    }

    /// <summary>Cancelled by the first stop signal (or by the linked token).</summary>
    public CancellationToken Token => cancel.Token;

    /// <summary>The first signal received, or null.</summary>
    public PosixSignal? Received => received == 0 ? null : (PosixSignal)received;

    /// <summary>The signal's name for messages ("Ctrl+C" for SIGINT), or null when none came.</summary>
    public string? ReceivedName => Received switch
    {
        null => null,
        PosixSignal.SIGINT => "Ctrl+C",
        PosixSignal.SIGTERM => "SIGTERM",
        PosixSignal.SIGHUP => "SIGHUP",
        var other => other.ToString(),
    };

    /// <summary>
    /// The exit code of a run stopped by the signal received: 143 for SIGTERM, 129 for SIGHUP, and
    /// 130 for SIGINT or when the linked token stopped it.
    /// </summary>
    public int ExitCode => Received switch
    {
        PosixSignal.SIGTERM => TerminateExitCode,
        PosixSignal.SIGHUP => HangUpExitCode,
        _ => InterruptExitCode,
    };

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.CompareExchange(ref received, (int)context.Signal, 0) != 0) return; // second signal: default handling ends the process
        context.Cancel = true;
        cancel.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        cancel.Dispose();
    }
}
