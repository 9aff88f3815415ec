using System.Diagnostics;
using System.Globalization;

namespace Convolve.Serialization;

/// <summary>Writes files so that the target name only ever holds a complete file.</summary>
public static class AtomicFile
{
    private const string TemporarySuffix = ".tmp";

    /// <summary>
    /// Writes <paramref name="content"/> to a temporary file <c>.NAME.PID.GUID.tmp</c> in the
    /// target's folder, flushes it to disk, then renames it over <paramref name="path"/> (a rename
    /// within one folder is atomic). When any step fails, the old file at <paramref name="path"/>
    /// is left as it was, the temporary file is removed, and the <see cref="IOException"/> names
    /// <paramref name="path"/> (never the temporary name): "x.onnx: cannot write: No space left on device".
    /// Temporary files of the same target left by processes that no longer run (a killed save)
    /// are deleted first.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"{path}: cannot write: it is a folder.");
        string directory = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot create its folder {directory}: {Reason(e, directory, directory)}", e);
        }
        RemoveAbandonedTemporaries(full);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot write: {Reason(e, temporary, full)}", e);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    /// <summary>
    /// Deletes the temporary files of <paramref name="path"/> (<c>.NAME.PID.GUID.tmp</c> beside it)
    /// whose process is no longer running: what a save killed between writing and renaming leaves.
    /// Best effort: a file that cannot be listed or deleted is left alone, and the temporary files
    /// of running processes (a concurrent save) are never touched. The process ids are this
    /// machine's: a folder shared by several machines should not be written from more than one.
    /// Returns how many were deleted.
    /// </summary>
    public static int RemoveAbandonedTemporaries(string path)
    {
        int removed = 0;
        try
        {
            string full = Path.GetFullPath(path);
            string directory = Path.GetDirectoryName(full)!;
            string prefix = "." + Path.GetFileName(full) + ".";
            foreach (string candidate in Directory.EnumerateFiles(directory, prefix + "*" + TemporarySuffix))
            {
                if (OwnerOf(Path.GetFileName(candidate), prefix) is not { } pid || IsRunning(pid)) continue;
                if (TryDelete(candidate)) removed++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // Cleaning up is a courtesy; the write itself decides success.
        }
        return removed;
    }

    // The PID in ".NAME.PID.GUID.tmp", or null when the name is not exactly of that form
    // (so that a user's own file that merely looks similar is never deleted).
    private static int? OwnerOf(string fileName, string prefix)
    {
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal)) return null;
        var middle = fileName.AsSpan(prefix.Length, fileName.Length - prefix.Length - TemporarySuffix.Length);
        int dot = middle.IndexOf('.');
        if (dot <= 0) return null;
        var guid = middle[(dot + 1)..];
        if (guid.Length != 32 || !Guid.TryParseExact(guid, "N", out _)) return null;
        return int.TryParse(middle[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : null;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no process with that id
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            return true; // cannot tell: keep the file
        }
    }

    private static bool TryDelete(string file)
    {
        try
        {
            if (!File.Exists(file)) return false;
            File.Delete(file);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // The operating system's reason without the temporary file's name, which means nothing to
    // the user: "No space left on device", "permission denied".
    private static string Reason(Exception e, string temporary, string target)
    {
        switch (e)
        {
            case UnauthorizedAccessException:
                return "permission denied";
            case DirectoryNotFoundException:
                return "its folder does not exist";
            case PathTooLongException:
                return "the path is too long";
        }
        string message = e.Message.Replace($" : '{temporary}'", "").Replace($" : '{target}'", "")
            .Replace($"'{temporary}'", $"'{target}'").Replace(temporary, target).Trim();
        return message.EndsWith('.') ? message[..^1] : message;
    }
}
