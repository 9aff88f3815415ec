using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Tests.Serialization;
using Convolve.Transfer;

namespace Convolve.Tests.Models;

/// <summary>A model carries how images become its inputs, in its file, and <see cref="Model.Predict"/> applies it.</summary>
public sealed class InputPreparationTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-preparation-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    // Conv, ReLU, pool, dense to 3 classes: its output depends on the scale of its input in more
    // than a common factor, as a pre-trained backbone's does.
    private static Sequential SmallModel(int channels = 1, int size = 8)
    {
        var model = new Sequential(new Conv2D(channels, 4, 3, padding: 1), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(3), new Softmax());
        model.Build(new Shape(channels, size, size), seed: 5);
        return model;
    }

    private static DecodedImage Noise(int width, int height, int channels, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[width * height * channels];
        random.NextBytes(pixels);
        return new DecodedImage(width, height, channels, pixels);
    }

    [Fact]
    public void APixelScaleOf255_IsSaved_AndPredictGivesWhatTheTrainingPathGave()
    {
        // The combined model of 'transfer --pixel-scale 255' saw images as BackboneInput.Fit made them.
        var model = SmallModel();
        var image = Noise(8, 8, 1, seed: 1);
        var zeroToOne = new Tensor(new Shape(1, 1, 8, 8));
        ImageResize.ToTensor(image, 1, 8, 8, zeroToOne.Span);
        var fitted = BackboneInput.Fit(zeroToOne, model.InputShape, pixelScale: 255);
        model.Preparation = BackboneInput.Preparation(model.InputShape, 255, fitted);
        var expected = model.Forward(fitted).ToArray();
        ModelFile.Save(model, PathOf("scaled.cvm"));

        var loaded = ModelFile.Load(PathOf("scaled.cvm"));
        var prediction = loaded.Predict(image);

        Assert.Equal(255f, loaded.Preparation!.Scale);
        Assert.Equal(expected, prediction.Probabilities);
        // What feeding 0..1 values gives instead: a different answer, so the scale matters here.
        Assert.NotEqual(expected, loaded.Forward(zeroToOne).ToArray());
    }

    [Fact]
    public void MeanStdAndChannelOrder_AreAppliedInTorchvisionOrder()
    {
        var preparation = new InputPreparation(3, 1, 1) { ChannelOrder = ChannelOrder.Bgr, Scale = 255, Mean = [10, 20, 30], Std = [2, 4, 5] };
        var image = new DecodedImage(1, 1, 3, [50, 100, 200]); // R, G, B
        var input = new float[3];

        preparation.Prepare(image, input);

        // Channel 0 is blue now: (200 - 10) / 2, then green (100 - 20) / 4, then red (50 - 30) / 5.
        Assert.Equal([95f, 20f, 4f], input, (a, b) => Math.Abs(a - b) < 1e-3f);
        // The same on a data set's 0..1 images.
        var data = new ImageDataset(new Tensor(new Shape(1, 3, 1, 1), [50 / 255f, 100 / 255f, 200 / 255f]), [0], ["a"]);
        Assert.Equal([95f, 20f, 4f], preparation.Apply(data).Images.ToArray(), (a, b) => Math.Abs(a - b) < 1e-3f);
    }

    [Fact]
    public void ThePreparation_SurvivesSaveAndLoad_WithTheTrainingStatistics()
    {
        var model = SmallModel(channels: 3, size: 4);
        var images = new Tensor(new Shape(2, 3, 4, 4));
        for (int i = 0; i < images.Length; i++) images.Span[i] = i % 7 / 7f;
        var training = InputStatistics.Of(images);
        model.Preparation = new InputPreparation(3, 4, 4)
        {
            ChannelOrder = ChannelOrder.Bgr,
            Scale = 255,
            Mean = [1, 2, 3],
            Std = [4, 5, 6],
            Training = training
        };

        ModelFile.Save(model, PathOf("p.cvm"));
        var back = ModelFile.Load(PathOf("p.cvm")).Preparation!;

        Assert.Equal((ChannelOrder.Bgr, 255f, training), (back.ChannelOrder, back.Scale, back.Training));
        Assert.Equal([1f, 2f, 3f], back.Mean!);
        Assert.Equal([4f, 5f, 6f], back.Std!);
        Assert.Equal(new Shape(3, 4, 4), back.InputShape);
    }

    [Fact]
    public void AFileWithoutThePreparation_GetsZeroToOneValues()
    {
        var model = SmallModel();
        model.Preparation = InputPreparation.Default(model.InputShape) with { Scale = 255 };
        ModelFile.Save(model, PathOf("m.cvm"));
        var bytes = ModelFileBytes.Rewrite(File.ReadAllBytes(PathOf("m.cvm")), header =>
            System.Text.RegularExpressions.Regex.Replace(header, ",\"preparation\":\\{[^}]*\\}", ""));

        var (old, _) = ModelFile.Parse(bytes, "old.cvm");

        Assert.Null(old.Preparation);
        Assert.Equal(new InputPreparation(1, 8, 8), old.PreparationOrDefault);
        Assert.True(old.PreparationOrDefault.KeepsValues);
    }

    [Fact]
    public void APreparationThatDoesNotFitTheModel_IsRefused_OnSaveAndOnLoad()
    {
        var model = SmallModel();
        model.Preparation = new InputPreparation(1, 28, 28);
        var e = Assert.Throws<ArgumentException>(() => ModelFile.Save(model, PathOf("m.cvm")));
        Assert.Equal("ModelFile.Save: the model's input preparation makes inputs [1, 28, 28], but the model takes [1, 8, 8].", e.Message);

        model.Preparation = new InputPreparation(1, 8, 8) { Std = [2] };
        ModelFile.Save(model, PathOf("m.cvm"));
        var bytes = ModelFileBytes.Rewrite(File.ReadAllBytes(PathOf("m.cvm")), header => header.Replace("\"std\":[2]", "\"std\":[0]"));
        var refused = Assert.Throws<ModelFormatException>(() => ModelFile.Parse(bytes, "m.cvm"));
        Assert.Equal("m.cvm: the input preparation in the header has std [0]; expected one positive finite number per channel (1 channel).", refused.Message);
    }

    [Fact]
    public void TrainingStatistics_AreThoseOfTheImagesAndOfTheirMeansAndStds()
    {
        // Image 0 is all 0, image 1 half 0 and half 1.
        var images = new Tensor(new Shape(2, 1, 1, 4), [0, 0, 0, 0, 0, 0, 1, 1]);

        var s = InputStatistics.Of(images);

        Assert.Equal(2, s.Images);
        Assert.Equal(0.25f, s.PixelMean, 6);
        Assert.Equal(MathF.Sqrt(0.25f - 0.0625f), s.PixelStd, 6);
        Assert.Equal((0.25f, 0.25f), (s.ImageMeanMean, s.ImageMeanStd)); // means 0 and 0.5
        Assert.Equal((0.25f, 0.25f), (s.ImageStdMean, s.ImageStdStd));   // stds 0 and 0.5
        // Images scaled by 255 give the same figures in 0..1 units.
        var scaled = new Tensor(images.Shape, images.ToArray().Select(v => v * 255).ToArray());
        Assert.Equal(s.ImageMeanMean, InputStatistics.Of(scaled, 255).ImageMeanMean, 6);
    }

    private static InputPreparation DigitsLike() => new(1, 28, 28)
    {
        Training = new InputStatistics(1000, PixelMean: 0.13f, PixelStd: 0.31f, ImageMeanMean: 0.13f, ImageMeanStd: 0.04f,
            ImageStdMean: 0.30f, ImageStdStd: 0.04f),
    };

    [Fact]
    public void AColourPhoto_IsNotedAsResizedConvertedAndUnlikeTheTrainingImages()
    {
        // A smooth colour gradient, brighter than dark-background digits, 200x150.
        int w = 200, h = 150;
        var pixels = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                pixels[(y * w + x) * 3] = (byte)(x * 255 / w);
                pixels[(y * w + x) * 3 + 1] = (byte)(y * 255 / h);
                pixels[(y * w + x) * 3 + 2] = 128;
            }
        var report = DigitsLike().Prepare(new DecodedImage(w, h, 3, pixels), new float[28 * 28]);

        Assert.True(report is { Resized: true, Enlarged: false, ConvertedToGray: true, Unusual: true });
        Assert.Equal("resized from 200x150 to 28x28", report.Notes[0]);
        Assert.Equal("converted to gray from colour", report.Notes[1]);
        Assert.StartsWith("unlike the training images: brightness (mean) 0.", report.Notes[2]);
        Assert.EndsWith("where the training images have 0.13 ± 0.04 and 0.30 ± 0.04; the prediction may mean little", report.Notes[2]);
    }

    [Fact]
    public void AOnePixelImage_IsNotedAsEnlargedFromATinyImage()
    {
        var report = DigitsLike().Prepare(new DecodedImage(1, 1, 1, [200]), new float[28 * 28]);

        Assert.True(report is { Resized: true, Enlarged: true, ConvertedToGray: false, Unusual: true });
        Assert.Equal("resized from 1x1 to 28x28 (enlarged from a tiny image: there is little for the model to see)", report.Notes[0]);
        Assert.InRange(report.Std, 0f, 1e-6f); // one value everywhere: no contrast at all
    }

    [Fact]
    public void AnImageLikeTheTrainingImages_GetsNoNote()
    {
        // A light stroke on black, the size of the input: nothing to say.
        var pixels = new byte[28 * 28];
        for (int y = 4; y < 24; y++)
            for (int x = 12; x < 16; x++) pixels[y * 28 + x] = 255;
        var report = DigitsLike().Prepare(new DecodedImage(28, 28, 1, pixels), new float[28 * 28]);

        Assert.Empty(report.Notes);
        Assert.False(report.Unusual);
    }

    [Fact]
    public void FromTrainingData_KeepsTheValues_AndRecordsTheirStatistics()
    {
        var digits = Datasets.LoadDigits().Train.Subset([.. Enumerable.Range(0, 500)]);

        var preparation = InputPreparation.FromTrainingData(digits);

        Assert.Equal(new Shape(1, 28, 28), preparation.InputShape);
        Assert.True(preparation.KeepsValues);
        Assert.Same(digits, preparation.Apply(digits));
        Assert.Equal(500, preparation.Training!.Images);
        Assert.InRange(preparation.Training.ImageMeanMean, 0.08f, 0.2f); // MNIST: light strokes on black
    }

    [Fact]
    public void Predict_OnAModelEndingInLogits_GivesProbabilities()
    {
        var model = new Sequential(new Flatten(), new Dense(3));
        model.Build(new Shape(1, 2, 2), seed: 1);

        var prediction = model.Predict(new DecodedImage(2, 2, 1, [0, 80, 160, 255]));

        Assert.Equal(1f, prediction.Probabilities.Sum(), 5);
        Assert.All(prediction.Probabilities, p => Assert.InRange(p, 0f, 1f));
    }

}
