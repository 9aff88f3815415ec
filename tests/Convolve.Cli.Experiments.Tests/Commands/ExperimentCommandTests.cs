namespace Convolve.Cli.Experiments.Tests.Commands;

public class ExperimentCommandTests
{
    [Fact]
    public void AnnVsCnn_TinyRun_PrintsTheTable_AndWritesCsv()
    {
        using var folder = new TempFolder();
        string csv = folder.File("results.csv");

        var (exit, output, error) = Cli.Run("experiment", "ann-vs-cnn", "--train-per-class", "3", "--test-per-class", "2",
            "--epochs", "1", "--csv", csv);

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("30 training images (3 per class), 20 test images (2 per class)", output);
        Assert.Contains("| mlp ", output);
        Assert.Contains("| seed ", output);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("model,parameters,test_accuracy,train_seconds,images_per_second", lines[0]);
        Assert.Equal(["mlp", "seed"], lines.Skip(1).Select(l => l.Split(',')[0]));
        // Parameter counts of mlp (784-100-10) and seed (32 3x3 filters, dense 5408 -> 10), by hand.
        Assert.Equal(["79510", "54410"], lines.Skip(1).Select(l => l.Split(',')[1]));
    }

    [Theory]
    [InlineData("--epochs", "0", "convolve: --epochs must be a positive whole number, got 0.")]
    [InlineData("--train-per-class", "-2", "convolve: --train-per-class must be a positive whole number, got -2.")]
    public void BadNumbers_AreUsageErrors(string option, string value, string message)
    {
        var (exit, _, error) = Cli.Run("experiment", "data-size", option, value);

        Assert.Equal(2, exit);
        Assert.Equal(message, error.ReplaceLineEndings("\n").Split('\n')[0]);
    }

    [Theory]
    [InlineData("translation", "--offsets", "0,x", "convolve: --offsets: 'x' is not a whole number (expected a comma-separated list like 0,7,14).")]
    [InlineData("translation", "--train-at", "3", "convolve: --train-at: expected Y,X (two numbers), got '3'.")]
    [InlineData("data-size", "--sizes", "10,lots", "convolve: --sizes: 'lots' is not a whole number (expected a comma-separated list like 0,7,14).")]
    [InlineData("ann-vs-cnn", "--models", "mlp,nope",
        "convolve: --models: 'nope' is not a model experiments know; known: seed, lenet5, mnist-cnn, mlp, cnn-gap.")]
    [InlineData("ann-vs-cnn", "--data", "nowhere", "convolve: --data nowhere: not a data set name (digits, mnist, fashion-mnist) and not a folder; " +
        "a folder holds either MNIST-named IDX files or one sub-folder of images per class.")]
    public void BadValues_AreNamedInTheMessage(string experiment, string option, string value, string message)
    {
        var (exit, _, error) = Cli.Run("experiment", experiment, option, value);

        Assert.Equal(1, exit);
        Assert.Equal(message + "\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Translation_OffsetBeyondTheCanvas_IsRefusedBeforeTraining()
    {
        var (exit, _, error) = Cli.Run("experiment", "translation", "--offsets", "0,29", "--train-per-class", "1", "--test-per-class", "1");

        Assert.Equal(1, exit);
        Assert.Equal("convolve: Translation: offset 29 is outside 0..28, where a 28x28 image fits on a 56x56 canvas.\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void DataSize_SizeLargerThanAClass_IsRefused()
    {
        var (exit, _, error) = Cli.Run("experiment", "data-size", "--sizes", "5", "--train-per-class", "4", "--test-per-class", "1");

        Assert.Equal(1, exit);
        Assert.Equal("convolve: DataSize: 5 images per class asked for, but the smallest class of the training set has 4.\n", error.ReplaceLineEndings("\n"));
    }
}
