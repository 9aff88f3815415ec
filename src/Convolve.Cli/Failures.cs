using System.Reflection;

namespace Convolve.Cli;

/// <summary>
/// The one line <c>convolve</c> prints for an exception that ended a command: the message of the
/// failures the library and .NET raise with a message written for users (bad arguments, shapes,
/// files, formats), a plain description of those whose .NET message says nothing useful, and
/// for anything else a request to report it; never a stack trace or a .NET type name
/// (set CONVOLVE_DEBUG=1 to see those).
/// </summary>
public static class Failures
{
    public static string Message(Exception e)
    {
        e = Unwrap(e);
        return e switch
        {
            OutOfMemoryException => "not enough memory for this command; try a smaller --batch, fewer images or smaller images.",
            InsufficientExecutionStackException => "the model is too deep to process here (out of stack).",
            OverflowException => $"a size or count in the input is too large to compute with (arithmetic overflow): {e.Message}",
            OperationCanceledException => "stopped.",
            // The library's and .NET's own messages for these name what is wrong and where.
            ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException
                or NotSupportedException or FormatException or InvalidOperationException
                or System.Security.SecurityException or TimeoutException => e.Message,
            // Convolve's own exception types carry messages written for users.
            _ when e.GetType().Namespace?.StartsWith("Convolve", StringComparison.Ordinal) == true => e.Message,
            _ => $"internal error: {e.Message} Please report it with the command that caused it (CONVOLVE_DEBUG=1 shows the details).",
        };
    }

    // Failures inside parallel work or reflection arrive wrapped; the inner one says what happened.
    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            // Parallel work that fails on several items (one per image of a folder, say) fails
            // for the same reason on each: the first says it.
            if (e is AggregateException { InnerExceptions.Count: > 0 } a) e = a.InnerExceptions[0];
            else if (e is TargetInvocationException { InnerException: { } inner }) e = inner;
            else if (e is TypeInitializationException { InnerException: { } init }) e = init;
            else return e;
        }
    }
}
