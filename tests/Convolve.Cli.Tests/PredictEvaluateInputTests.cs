using System.Globalization;
using Convolve.Data;
using Convolve.Imaging;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Training;
using Convolve.Transfer;

namespace Convolve.Cli.Tests;

/// <summary>
/// predict and evaluate prepare images as the model file says (a transfer model's pixel scale),
/// report each unusable file once on the error output, note what they did to an image, and warn
/// when a data set's classes are not the model's.
/// </summary>
public sealed class PredictEvaluateInputTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-cli-inputs-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    // A model for 8x8 gray images with classes a and b.
    private string SmallModel()
    {
        var model = new Sequential(new Flatten(), new Dense(2), new Softmax());
        model.Build(new Shape(1, 8, 8), seed: 1);
        string path = PathOf("small.cvm");
        ModelFile.Save(model, path, new ModelFileExtras(new Dictionary<string, string> { ["classes"] = "a\nb" }, new Dictionary<string, Tensor>()));
        return path;
    }

    // A folder with one sub-folder per class of 5 dark and 5 light 8x8 gray PNGs.
    private string TwoClassFolder(string name, string dark, string light)
    {
        foreach (var (cls, bright) in new[] { (dark, false), (light, true) })
        {
            Directory.CreateDirectory(PathOf(Path.Combine(name, cls)));
            for (int i = 0; i < 5; i++)
            {
                var pixels = Enumerable.Range(0, 64).Select(p => (byte)((bright ? 180 : 30) + (p * 7 + i * 13) % 40)).ToArray();
                SkiaImageEncoder.Save(new DecodedImage(8, 8, 1, pixels), PathOf(Path.Combine(name, cls, $"{i}.png")));
            }
        }
        return PathOf(name);
    }

    [Fact]
    public void Predict_OnADirectoryNamedLikeAnImage_SaysSoOnce_OnTheErrorOutput_WithoutATable()
    {
        string model = SmallModel();
        string directory = PathOf("x.png");
        Directory.CreateDirectory(directory);

        var r = CliRunner.Run("predict", model, directory);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Output);
        Assert.Equal($"convolve: {directory}: is a directory, not an image.", r.Error.Trim());
    }

    [Fact]
    public void Predict_OnAFileThatIsNotAnImage_NamesItOnce()
    {
        string model = SmallModel();
        string bad = PathOf("bad.png");
        File.WriteAllText(bad, "not an image at all");

        var r = CliRunner.Run("predict", model, bad);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Output);
        string message = r.Error.Trim();
        Assert.StartsWith($"convolve: {bad}: not a PNG, JPEG", message);
        Assert.Single(message.Split('\n'));
        Assert.Equal(1, (message.Length - message.Replace(bad, "").Length) / bad.Length);
    }

    [Fact]
    public void Predict_WithOneGoodAndOneMissingFile_PredictsTheGoodOne_AndFails()
    {
        string model = SmallModel();
        string good = Path.Combine(TwoClassFolder("images", "a", "b"), "a", "0.png");
        string missing = PathOf("missing.png");

        var r = CliRunner.Run("predict", model, good, missing);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains(good, r.Output);
        Assert.DoesNotContain("missing", r.Output);
        Assert.Equal($"convolve: {missing}: no such file.\nconvolve: 1 of 2 images could not be used.", r.Error.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Train_StoresTheTrainingStatistics_AndPredict_NotesAPhotoAndATinyImage()
    {
        string model = PathOf("digits.cvm");
        var train = CliRunner.Run("train", "--limit", "300", "--epochs", "1", "--out", model);
        Assert.True(train.ExitCode == 0, train.Error);
        var preparation = ModelFile.Load(model).Preparation!;
        Assert.Equal(new Shape(1, 28, 28), preparation.InputShape);
        Assert.True(preparation.KeepsValues);
        Assert.InRange(preparation.Training!.Images, 260, 280); // the 300 less about 10% held out for validation

        // A colour photo-like gradient, larger than the input, and a one-pixel image.
        int w = 120, h = 90;
        var pixels = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                (pixels[(y * w + x) * 3], pixels[(y * w + x) * 3 + 1], pixels[(y * w + x) * 3 + 2]) = ((byte)(2 * x), (byte)(2 * y), 140);
        SkiaImageEncoder.Save(new DecodedImage(w, h, 3, pixels), PathOf("photo.png"));
        SkiaImageEncoder.Save(new DecodedImage(1, 1, 1, [200]), PathOf("one.png"));

        var r = CliRunner.Run("predict", model, PathOf("photo.png"), PathOf("one.png"));

        Assert.Equal((0, ""), (r.ExitCode, r.Error));
        Assert.Contains("Notes:", r.Output);
        Assert.Contains($"{PathOf("photo.png")}: resized from 120x90 to 28x28; converted to gray from colour; " +
            "unlike the training images: brightness (mean) ", r.Flat);
        Assert.Contains($"{PathOf("one.png")}: resized from 1x1 to 28x28 (enlarged from a tiny image: there is little for the model to see); " +
            "unlike the training images", r.Flat);
    }

    [Fact]
    public void Evaluate_OnADataSetWithOtherClassNames_Warns_AndGoesOn()
    {
        string model = SmallModel();
        string data = TwoClassFolder("pets", "cat", "dog");

        var r = CliRunner.Run("evaluate", model, "--data", data);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("convolve: warning: the model's classes are a, b, the data's are cat, dog: accuracy compares class indices only.", r.Error.Trim());
        Assert.Contains("Accuracy: ", r.Output);

        var same = CliRunner.Run("evaluate", model, "--data", TwoClassFolder("letters", "a", "b"));
        Assert.Equal((0, ""), (same.ExitCode, same.Error));
    }

    [Fact]
    public void ACombinedTransferModel_WithPixelScale255_PredictsAndEvaluatesAsItWasTrained()
    {
        // A "pre-trained" backbone for 1x8x8 images whose features depend on the input's scale (bias, ReLU).
        var backbone = new Sequential(new Conv2D(1, 4, 3, padding: 1), new ReLU(), new GlobalAvgPool2D(keepDims: false));
        backbone.Build(new Shape(1, 8, 8), seed: 1);
        ModelFile.Save(backbone, PathOf("backbone.cvm"));
        string data = TwoClassFolder("images", "dark", "light");
        string combined = PathOf("combined.cvm");
        var transfer = CliRunner.Run("transfer", "--backbone", PathOf("backbone.cvm"), "--data", data, "--pixel-scale", "255", "--epochs", "3",
            "--scratch-size", "8,8", "--out", PathOf("head.cvm"), "--combined-out", combined);
        Assert.Equal((0, ""), (transfer.ExitCode, transfer.Error));
        var model = ModelFile.Load(combined);
        Assert.Equal(255f, model.Preparation!.Scale);

        // The training path: decoded, made 0..1, then fitted to the backbone with the pixel scale.
        string image = Path.Combine(data, "light", "0.png");
        var zeroToOne = new Tensor(new Shape(1, 1, 8, 8));
        ImageResize.ToTensor(new SkiaImageDecoder().Decode(image), 1, 8, 8, zeroToOne.Span);
        float[] expected = model.Forward(BackboneInput.Fit(zeroToOne, model.InputShape, 255)).ToArray();
        string Percent(float p) => (p * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

        var predict = CliRunner.Run("predict", combined, image, "--top", "2");

        Assert.Equal((0, ""), (predict.ExitCode, predict.Error));
        var rows = predict.Output.Split('\n').Where(l => l.Contains("| dark ") || l.Contains("| light "))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal([Percent(expected[0]), Percent(expected[1])], rows.OrderBy(cells => cells[2]).Select(cells => cells[3]));
        // Values in 0..1, what predict fed every model before, give another answer.
        Assert.NotEqual(Percent(expected[1]), Percent(model.Forward(zeroToOne).ToArray()[1]));

        // evaluate on the data's held-out images: the accuracy and loss of the training path.
        var test = Imaging.DataSource.Load(data, new ImageFolderOptions { Channels = 1, Height = 8, Width = 8 }).Splits.Test;
        var fitted = new ImageDataset(BackboneInput.Fit(test.Images, model.InputShape, 255), test.Labels, test.ClassNames);
        var evaluation = new Trainer(model, new Sgd(model.Parameters)).Evaluate(fitted);
        var evaluate = CliRunner.Run("evaluate", combined, "--data", data);
        Assert.Equal((0, ""), (evaluate.ExitCode, evaluate.Error));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Accuracy: {evaluation.Accuracy * 100:F2}%   (loss {evaluation.Loss:F4})"),
            evaluate.Output);
    }
}
