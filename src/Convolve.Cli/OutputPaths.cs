namespace Convolve.Cli;

/// <summary>
/// Checks, before any work starts, that the files and folders a command will write can be
/// written: a long training run must not end in "Is a directory". Each failure is an
/// <see cref="ArgumentException"/> naming the option, the path and why.
/// Nothing is created: a missing folder is checked by the nearest folder above it that exists.
/// </summary>
internal static class OutputPaths
{
    /// <summary>
    /// Refuses <paramref name="path"/> as the file written for <paramref name="option"/> when it is
    /// a folder, when a folder above it is a file, or when the folder it goes in (or would be
    /// created in) does not take new files. <paramref name="example"/> is a file name suggested
    /// when <paramref name="path"/> is a folder.
    /// </summary>
    public static void CheckFile(string option, string path, string example = "model.cvm")
    {
        string full = FullPath(option, path);
        if (Directory.Exists(full))
            throw new ArgumentException($"{option} {path}: is a folder; give a file name (for example {Path.Combine(path, example)}).");
        CheckFolderCanHold(option, path, Path.GetDirectoryName(full)!);
    }

    /// <summary>
    /// Refuses <paramref name="path"/> as the folder written for <paramref name="option"/> when it
    /// is a file, or when it (or the nearest existing folder above it, where it would be created)
    /// does not take new files.
    /// </summary>
    public static void CheckFolder(string option, string path)
    {
        string full = FullPath(option, path);
        if (File.Exists(full)) throw new ArgumentException($"{option} {path}: is a file, not a folder.");
        CheckFolderCanHold(option, path, full);
    }

    /// <summary>Refuses two options that name the same file (one would overwrite the other).</summary>
    public static void CheckDistinct(string option, string path, string otherOption, string otherPath)
    {
        if (string.Equals(Path.GetFullPath(path), Path.GetFullPath(otherPath),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            throw new ArgumentException($"{option} {path}: is also the {otherOption} file; give them different names.");
    }

    private static string FullPath(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"{option}: the path is empty.");
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"{option} {path}: not a valid path ({e.Message.TrimEnd('.')}).");
        }
    }

    // `folder` is where the output goes; it may not exist yet, in which case the nearest existing
    // folder above it must take new entries (the missing ones are created when writing).
    private static void CheckFolderCanHold(string option, string path, string folder)
    {
        string existing = folder;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new ArgumentException($"{option} {path}: cannot create the folder {folder}: {existing} is a file.");
            string? parent = Path.GetDirectoryName(existing);
            if (parent is null) throw new ArgumentException($"{option} {path}: cannot create the folder {folder}: no existing folder above it.");
            existing = parent;
        }
        if (ProbeWrite(existing) is { } reason)
            throw new ArgumentException(existing == folder
                ? $"{option} {path}: the folder {folder} is not writable ({reason})."
                : $"{option} {path}: cannot create the folder {folder}: {existing} is not writable ({reason}).");
    }

    // Creates and at once deletes a file in `folder`: the only test that holds for every cause
    // (permissions, a read-only mount, /proc, ACLs, running as root where permissions are ignored).
    private static string? ProbeWrite(string folder)
    {
        string probe = Path.Combine(folder, $".convolve-write-test.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return "permission denied";
        }
        catch (IOException e)
        {
            return e is DirectoryNotFoundException or FileNotFoundException ? "it does not take new files"
                : e.Message.Replace($" : '{probe}'", "").Replace($"'{probe}'", "").Trim().TrimEnd('.');
        }
    }
}
