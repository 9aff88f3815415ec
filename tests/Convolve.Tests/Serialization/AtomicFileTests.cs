using System.Diagnostics;
using Convolve.Serialization;

namespace Convolve.Tests.Serialization;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-atomicfile-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    // The id of a process that has exited, as a save killed by `kill -9` leaves behind.
    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo(OperatingSystem.IsWindows() ? "cmd.exe" : "true")
        {
            Arguments = OperatingSystem.IsWindows() ? "/c exit" : ""
        })!;
        process.WaitForExit();
        return process.Id;
    }

    private static string TemporaryName(string target, int pid) => $".{target}.{pid}.{Guid.NewGuid():N}.tmp";

    [Fact]
    public void Write_DeletesTheTargetsTemporaryFilesOfExitedProcesses_AndNothingElse()
    {
        int dead = ExitedProcessId();
        string abandoned = PathOf(TemporaryName("model.cvm", dead));
        string live = PathOf(TemporaryName("model.cvm", Environment.ProcessId)); // a save in progress in this process
        string otherTarget = PathOf(TemporaryName("other.cvm", dead));
        string lookalike = PathOf(".model.cvm.notes.tmp"); // not of the form .NAME.PID.GUID.tmp: the user's
        foreach (var file in new[] { abandoned, live, otherTarget, lookalike }) File.WriteAllText(file, "partial");

        AtomicFile.Write(PathOf("model.cvm"), [1, 2, 3]);

        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(otherTarget));
        Assert.True(File.Exists(lookalike));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(PathOf("model.cvm")));
    }

    [Fact]
    public void RemoveAbandonedTemporaries_CountsWhatItDeleted_AndNeverThrows()
    {
        int dead = ExitedProcessId();
        File.WriteAllText(PathOf(TemporaryName("x.onnx", dead)), "");
        File.WriteAllText(PathOf(TemporaryName("x.onnx", dead)), "");

        Assert.Equal(2, AtomicFile.RemoveAbandonedTemporaries(PathOf("x.onnx")));
        Assert.Equal(0, AtomicFile.RemoveAbandonedTemporaries(PathOf("x.onnx")));
        Assert.Equal(0, AtomicFile.RemoveAbandonedTemporaries(PathOf("no-such-folder/x.onnx")));
    }

    [Fact]
    public void Write_OverAFolder_NamesTheTarget_AndLeavesNoTemporaryFile()
    {
        string target = PathOf("x.onnx");
        Directory.CreateDirectory(target);

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, [1]));

        Assert.Equal($"{target}: cannot write: it is a folder.", e.Message);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void Write_UnderAFileInsteadOfAFolder_NamesTheTarget()
    {
        File.WriteAllText(PathOf("plain-file"), "not a folder");
        string target = PathOf("plain-file/x.onnx");

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, [1]));

        Assert.StartsWith($"{target}: cannot create its folder {PathOf("plain-file")}: ", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
    }

    [Fact]
    public void Write_WhereNoFileCanBeCreated_NamesTheTarget_NotTheTemporaryFile()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc takes no new files, whoever runs the test (also root)
        const string Target = "/proc/convolve-atomicfile-test.onnx";

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(Target, [1]));

        Assert.StartsWith($"{Target}: cannot write: ", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
    }

    [Fact]
    public void Write_ReplacesTheFile_LeavingAReaderOfTheOldOneItsCompleteContent()
    {
        if (OperatingSystem.IsWindows()) return; // an open file cannot be replaced there
        string target = PathOf("curves.csv");
        File.WriteAllText(target, "old content");
        using var reader = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        AtomicFile.Write(target, "new"u8);

        Assert.Equal("old content", new StreamReader(reader).ReadToEnd());
        Assert.Equal("new", File.ReadAllText(target));
    }
}
