using Convolve.Cli.Commands;
using Convolve.Data;
using Convolve.Imaging;
using Convolve.Serialization;
using Convolve.Training;

namespace Convolve.Cli.Tests;

/// <summary>train, evaluate and predict as a user runs them, on a small slice of the embedded digits.</summary>
public sealed class TrainEvaluatePredictTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-cli-train-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    private static string AccuracyLine(string output) =>
        output.Split('\n').Single(line => line.Contains("ccuracy: ") && line.Contains('%')).Trim();

    [Fact]
    public void Train_ThenEvaluate_ThenPredict_AgreeWithEachOther()
    {
        string model = PathOf("m.cvm");
        var train = CliRunner.Run("train", "--limit", "600", "--epochs", "1", "--out", model, "--curves", PathOf("curves"));
        Assert.True(train.ExitCode == 0, train.Error + train.Output);
        Assert.True(File.Exists(model));
        Assert.True(File.Exists(PathOf("curves/curves.csv")) && File.Exists(PathOf("curves/loss.png")) && File.Exists(PathOf("curves/accuracy.png")));
        Assert.Equal(2, File.ReadAllLines(PathOf("curves/curves.csv")).Length); // header + one epoch

        // evaluate recomputes the test accuracy that train reported, from the saved file.
        var evaluate = CliRunner.Run("evaluate", model, "--images", folder);
        Assert.True(evaluate.ExitCode == 0, evaluate.Error);
        string trained = AccuracyLine(train.Output), evaluated = AccuracyLine(evaluate.Output);
        Assert.Equal(trained[(trained.IndexOf(':') + 2)..trained.IndexOf('%')], evaluated[(evaluated.IndexOf(':') + 2)..evaluated.IndexOf('%')]);
        Assert.True(File.Exists(PathOf("confusion.png")));

        // predict on a PNG of test digit 0 gives the class the model gives that digit's tensor.
        var test = Datasets.LoadDigits().Test;
        var image = test.Images.Slice(0);
        SkiaImageEncoder.Save(ImageResize.ToImage(image.Span, 1, 28, 28), PathOf("digit.png"));
        var loaded = ModelFile.Load(model);
        int expected = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(loaded.Forward(image).Span);
        var predict = CliRunner.Run("predict", model, PathOf("digit.png"), "--top", "1");
        Assert.True(predict.ExitCode == 0, predict.Error);
        var row = predict.Output.Split('\n').Single(line => line.Contains("digit.png"));
        Assert.Equal(expected.ToString(), row.Split('|', StringSplitOptions.TrimEntries)[2]);
    }

    [Fact]
    public void AnInterruptedTraining_ResumesToTheSameModel()
    {
        var terminal = new Terminal(new StringWriter(), plain: true);
        TrainCommand.Settings Settings(string output, string? resume = null) => new()
        {
            Epochs = 2,
            Batch = 32,
            Momentum = 0.9f,
            Seed = 3,
            Validation = 0,
            Limit = 200,
            Shift = 0,
            Output = output,
            Resume = resume,
        };

        Assert.Equal(ConvolveApp.Success, TrainCommand.Run(terminal, Settings(PathOf("straight.cvm"))));

        using var stop = new CancellationTokenSource();
        stop.Cancel(); // as if Ctrl+C came during the first batch
        Assert.Equal(TrainCommand.Interrupted, TrainCommand.Run(terminal, Settings(PathOf("stopped.cvm")), stop.Token));
        string checkpoint = PathOf("stopped.ckpt.cvm");
        Assert.True(File.Exists(checkpoint));
        // A checkpoint is refused for another architecture or another data set.
        var otherModel = CliRunner.Run("train", "--model", "lenet5", "--resume", checkpoint);
        Assert.Equal(1, otherModel.ExitCode);
        Assert.Equal($"convolve: {checkpoint}: the checkpoint is of a 'seed' model, but --model is 'lenet5'.", otherModel.Error.Trim());
        var otherData = CliRunner.Run("train", "--data", "fashion-mnist", "--resume", checkpoint);
        Assert.Equal(1, otherData.ExitCode);
        Assert.Equal($"convolve: {checkpoint}: the checkpoint was trained on 'digits', but --data is 'fashion-mnist'.", otherData.Error.Trim());

        Assert.Equal(ConvolveApp.Success, TrainCommand.Run(terminal, Settings(PathOf("resumed.cvm"), resume: checkpoint)));
        Assert.Equal(ModelFile.Load(PathOf("straight.cvm")).ParameterValues.ToArray(), ModelFile.Load(PathOf("resumed.cvm")).ParameterValues.ToArray());
    }

    [Theory]
    [InlineData(new[] { "train", "--model", "resnet" }, 1, "convolve: 'resnet' is not a built-in architecture; known: article, seed, lenet5, mnist-cnn, mlp.")]
    [InlineData(new[] { "train", "--epochs", "0" }, 2, "convolve: --epochs must be a positive whole number, got 0.")]
    [InlineData(new[] { "train", "--validation", "1.5" }, 1, "convolve: --validation must be in [0, 1), got 1.5.")]
    [InlineData(new[] { "evaluate", "no-such-model.cvm" }, 1, "convolve: no-such-model.cvm: no such model file (train one with 'convolve train --out FILE').")]
    [InlineData(new[] { "predict", "no-such-model.cvm", "x.png" }, 1,
        "convolve: no-such-model.cvm: no such model file (train one with 'convolve train --out FILE').")]
    public void BadArguments_GiveAClearMessageAndANonZeroExitCode(string[] args, int exitCode, string message)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Equal(message, result.Error.Split('\n')[0].Trim());
    }

    [Fact]
    public void Train_OnAMissingFolder_SaysWhatDataItAccepts()
    {
        var result = CliRunner.Run("train", "--data", PathOf("nowhere"));
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"convolve: --data {PathOf("nowhere")}: not a data set name (digits, mnist, fashion-mnist) and not a folder", result.Error);
    }

    [Fact]
    public void Evaluate_RefusesACorruptModelFile_NamingIt()
    {
        string path = PathOf("corrupt.cvm");
        File.WriteAllText(path, "CONVOLVE and then nonsense that is long enough to have a checksum at its end.");
        var result = CliRunner.Run("evaluate", path);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"convolve: {path}: ", result.Error);
        Assert.DoesNotContain("   at ", result.Error); // no stack trace
    }
}
