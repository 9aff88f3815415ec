using Convolve.Cli.Commands;
using Convolve.Cli.Pictures;
using Convolve.Serialization;
using Convolve.Training;

namespace Convolve.Cli.Tests;

/// <summary>
/// The user's files: a resumed run writes where the stopped one was to write and keeps its
/// settings, every output is checked before the work starts, pictures are written atomically,
/// and a finished run leaves no default checkpoint behind.
/// </summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-cli-outputs-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    private static TrainCommand.Settings Settings(string? output, string? resume = null, int limit = 200, int epochs = 2) =>
        new() { Epochs = epochs, Batch = 32, Momentum = 0.9f, Seed = 3, Validation = 0.1, Limit = limit, Shift = 0, Output = output, Resume = resume };

    // A run of Settings(output) stopped by Ctrl+C during its first batch; returns its printed text.
    private static string Stopped(string output)
    {
        var text = new StringWriter();
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        Assert.Equal(TrainCommand.Interrupted, TrainCommand.Run(new Terminal(text, plain: true), Settings(output), stop.Token));
        return text.ToString();
    }

    [Fact]
    public void Resume_WithoutOut_SavesToTheStoppedRunsOut_WithItsDataSettings_AndDeletesItsCheckpoint()
    {
        Assert.Equal(ConvolveApp.Success, TrainCommand.Run(new Terminal(new StringWriter(), plain: true), Settings(PathOf("straight.cvm"))));
        string output = PathOf("runs/mine.cvm"), checkpoint = PathOf("runs/mine.ckpt.cvm");
        string stopped = Stopped(output);
        Assert.Contains($"Continue with: convolve train --resume {checkpoint}\n", stopped.ReplaceLineEndings("\n"));

        // The command printed, as typed; an option equal to the checkpoint's is accepted.
        var resumed = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2");

        Assert.True(resumed.ExitCode == 0, resumed.Error + resumed.Output);
        Assert.Contains($"Model saved: {output}", resumed.Output);
        // --limit 200 and --validation 0.1 came back from the checkpoint: the same model as the uninterrupted run.
        Assert.Equal(ModelFile.Load(PathOf("straight.cvm")).ParameterValues.ToArray(), ModelFile.Load(output).ParameterValues.ToArray());
        Assert.False(File.Exists(checkpoint));
    }

    [Fact]
    public void Resume_RefusesTrainingOptionsThatDifferFromTheCheckpoint_NamingEach()
    {
        string checkpoint = PathOf("m.ckpt.cvm");
        Stopped(PathOf("m.cvm"));
        byte[] before = File.ReadAllBytes(checkpoint);

        var r = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "20", "--lr", "0.5", "--limit", "200", "--optimizer", "adam");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"convolve: {checkpoint}: --epochs 20 differs from the checkpoint's 2; --optimizer adam differs from the checkpoint's sgd. " +
            "A resumed run keeps its settings: leave these options out to continue it, or start a new run without --resume.",
            r.Error.Trim());
        Assert.Equal(before, File.ReadAllBytes(checkpoint));
        Assert.False(File.Exists(PathOf("m.cvm")));
    }

    [Fact]
    public void Resume_WithAnotherLearningRate_ContinuesWithIt_AndSaysSo()
    {
        Assert.Equal(ConvolveApp.Success, TrainCommand.Run(new Terminal(new StringWriter(), plain: true), Settings(PathOf("straight.cvm"))));
        string checkpoint = PathOf("slow.ckpt.cvm");
        Stopped(PathOf("slow.cvm"));

        var r = CliRunner.Run("train", "--resume", checkpoint, "--lr", "0.001");

        Assert.True(r.ExitCode == 0, r.Error + r.Output);
        Assert.Contains("Continuing with --lr 0.001 instead of the run's 0.05", r.Output);
        Assert.Contains("SGD(lr=0.001", r.Output);
        // The same start, another rate: not the model of the uninterrupted run.
        Assert.NotEqual(ModelFile.Load(PathOf("straight.cvm")).ParameterValues.ToArray(), ModelFile.Load(PathOf("slow.cvm")).ParameterValues.ToArray());
    }

    [Fact]
    public void Train_DeletesTheDefaultCheckpoint_WhenTheModelIsSaved_ButKeepsANamedOne()
    {
        var r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", PathOf("a.cvm"));
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.True(File.Exists(PathOf("a.cvm")));
        Assert.False(File.Exists(PathOf("a.ckpt.cvm")));

        var named = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", PathOf("b.cvm"), "--checkpoint", PathOf("b-state.cvm"));
        Assert.True(named.ExitCode == 0, named.Error);
        Assert.True(File.Exists(PathOf("b-state.cvm")));
    }

    [Fact]
    public void Train_RefusesAnOutputFolder_BeforeTraining()
    {
        var r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", folder);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"convolve: --out {folder}: is a folder; give a file name (for example {Path.Combine(folder, "seed-digits.cvm")}).", r.Error.Trim());
        Assert.DoesNotContain("Epoch", r.Output);
    }

    [Fact]
    public void Train_RefusesOutputsUnderAFile_ACurvesFile_AndACheckpointThatIsTheModel()
    {
        File.WriteAllText(PathOf("notes.txt"), "a file");
        string under = Path.Combine(PathOf("notes.txt"), "x.cvm");

        var r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", under);
        Assert.Equal($"convolve: --out {under}: cannot create the folder {PathOf("notes.txt")}: {PathOf("notes.txt")} is a file.", r.Error.Trim());

        r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", PathOf("m.cvm"), "--curves", PathOf("notes.txt"));
        Assert.Equal($"convolve: --curves {PathOf("notes.txt")}: is a file, not a folder.", r.Error.Trim());

        r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", PathOf("m.cvm"), "--checkpoint", PathOf("m.cvm"));
        Assert.Equal($"convolve: --checkpoint {PathOf("m.cvm")}: is also the --out file; give them different names.", r.Error.Trim());
        Assert.False(File.Exists(PathOf("m.cvm")));
    }

    [Fact]
    public void Train_RefusesAFolderThatTakesNoFiles_BeforeTraining()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc takes no new files, whoever runs the test (also root)
        var r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", "/proc/convolve-test.cvm");

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("convolve: --out /proc/convolve-test.cvm: the folder /proc is not writable (", r.Error);
        Assert.DoesNotContain("Epoch", r.Output);
    }

    public static TheoryData<string, string[]> OtherCommands => new()
    {
        { "--onnx", ["export", "model.cvm", "--onnx", "{dir}"] },
        { "--out", ["import", "{folder}/model.onnx", "--out", "{dir}"] },
        { "--out", ["filters", "model.cvm", "--out", "{dir}"] },
        { "--out", ["features", "model.cvm", "--out", "{dir}"] },
        { "--csv", ["experiment", "translation", "--csv", "{dir}"] },
        { "--out", ["transfer", "--backbone", "model.onnx", "--data", "images", "--out", "{dir}"] },
        { "--combined-out", ["transfer", "--backbone", "model.onnx", "--data", "images", "--out", "{folder}/head.cvm", "--combined-out", "{dir}"] },
    };

    [Theory]
    [MemberData(nameof(OtherCommands))]
    public void EveryCommand_RefusesAFolderAsItsOutputFile_BeforeAnyWork(string option, string[] template)
    {
        string dir = PathOf("taken.cvm");
        Directory.CreateDirectory(dir);
        File.WriteAllText(PathOf("model.onnx"), ""); // import checks that its input exists first
        var args = template.Select(a => a.Replace("{dir}", dir).Replace("{folder}", folder)).ToArray();

        var r = CliRunner.Run(args);

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"convolve: {option} {dir}: is a folder; give a file name", r.Error);
    }

    [Fact]
    public void Intro_RefusesAFileAsItsPictureFolder()
    {
        File.WriteAllText(PathOf("pictures"), "a file");
        var r = CliRunner.Run("intro", "--images", PathOf("pictures"));

        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"convolve: --images {PathOf("pictures")}: is a file, not a folder.", r.Error.Trim());
        Assert.Equal("", r.Output);
    }

    // Written to a new file and renamed: whoever has the old file open keeps reading all of it,
    // as a disk that fills during the write keeps the old picture instead of a truncated one.
    [Fact]
    public void Pictures_ReplaceTheOldFile_InsteadOfOverwritingItInPlace()
    {
        if (OperatingSystem.IsWindows()) return; // an open file cannot be replaced there
        float[,] values = { { -1, 1 } };
        var writers = new (string Name, Action<string> Write)[]
        {
            ("heat.png", path => HeatMap.WriteSigned(path, values)),
            ("grid.png", path => MapGrid.Write(path, [new MapSection("t", [new MapTile(values, null)], null, 4, 1)])),
            ("curves", path => Curves.Write(path, "t", FinishedSession())),
        };
        foreach (var (name, write) in writers)
        {
            string path = PathOf(name);
            string old = name == "curves" ? Path.Combine(path, "loss.png") : path;
            Directory.CreateDirectory(Path.GetDirectoryName(old)!);
            File.WriteAllText(old, "the old picture");
            using var reader = new FileStream(old, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

            write(path);

            Assert.Equal("the old picture", new StreamReader(reader).ReadToEnd());
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(old)[..4]);
        }
        Assert.Empty(Directory.GetFiles(folder, "*.tmp", SearchOption.AllDirectories));
    }

    private static TrainingSession FinishedSession()
    {
        var model = Models.Architectures.Get("mlp").Build(0, 1, 10);
        var session = new TrainingSession(model, new TrainingOptions(Epochs: 1, BatchSize: 32));
        var data = Data.Datasets.LoadDigits().Train;
        session.RunEpoch(data.Subset([.. Enumerable.Range(0, 64)]));
        return session;
    }
}
