namespace Convolve.Serialization;

/// <summary>Writes files so that the target name only ever holds a complete file.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="content"/> to a temporary file in the target's folder, flushes it to
    /// disk, then renames it over <paramref name="path"/> (a rename within one folder is atomic).
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
