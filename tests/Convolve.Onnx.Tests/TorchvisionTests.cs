using System.Diagnostics;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;
using Xunit.Abstractions;

namespace Convolve.Onnx.Tests;

/// <summary>
/// The importer's acceptance set: torchvision's classification models as PyTorch exports them
/// (see <see cref="TorchvisionFiles"/>), at operator sets 11 and 13 with a dynamic batch. Each
/// imports, gives ONNX Runtime's logits on real photos within 1e-4 of the largest logit, and can
/// be fine-tuned: a few training steps on the photos lower the loss.
/// </summary>
public sealed class TorchvisionTests(ITestOutputHelper log)
{
    /// <summary>max |a - b| / max |b| per photo, a Convolve's logits and b ONNX Runtime's.</summary>
    public const double Tolerance = 1e-4;

    private const int PhotoCount = 3;

    public static TheoryData<string, int> Cases()
    {
        var cases = new TheoryData<string, int>();
        foreach (var model in TorchvisionFiles.Models)
            foreach (int opset in TorchvisionFiles.Opsets) cases.Add(model, opset);
        return cases;
    }

    public static TheoryData<string> ModelNames() => [.. TorchvisionFiles.Models];

    // The photos as torchvision's models expect them: RGB 224x224 in 0..1, normalised by ImageNet's
    // mean and deviation. Decoded once for every test (the models do not change their input).
    private static readonly Lazy<Tensor> PhotoBatch = new(DecodePhotos);

    private static Tensor Photos() => PhotoBatch.Value;

    private static Tensor DecodePhotos()
    {
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var batch = new Tensor(new Shape(PhotoCount, 3, 224, 224));
        int plane = 224 * 224;
        for (int n = 0; n < PhotoCount; n++)
        {
            var photo = ResNet18Files.Photo(ResNet18Files.Photos[n]).Span;
            for (int c = 0; c < 3; c++)
            {
                var to = batch.Span.Slice((n * 3 + c) * plane, plane);
                var from = photo.Slice(c * plane, plane);
                for (int i = 0; i < plane; i++) to[i] = (from[i] / 255f - mean[c]) / std[c];
            }
        }
        return batch;
    }

    [DataTheory(TestData.Torchvision)]
    [MemberData(nameof(Cases))]
    public void Imported_GivesOnnxRuntimesLogits_OnPhotos(string name, int opset)
    {
        TestDataRequirement.Require(TestData.Torchvision);
        string file = TorchvisionFiles.File(name, opset);
        var bytes = File.ReadAllBytes(file);
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, Path.GetFileName(file)));
        var input = Photos();
        model.Forward(input);   // the first pass sizes the buffers
        var clock = Stopwatch.StartNew();
        var logits = model.Forward(input).Clone();
        double convolveMs = clock.Elapsed.TotalMilliseconds / PhotoCount;
        Assert.Equal(new Shape(PhotoCount, 1000), logits.Shape);

        using var runtime = new OnnxRuntimeRunner(bytes);
        runtime.Run(input);
        clock.Restart();
        var expected = runtime.Run(input);
        double runtimeMs = clock.Elapsed.TotalMilliseconds / PhotoCount;
        double worstRelative = 0;
        for (int n = 0; n < PhotoCount; n++)
        {
            var a = logits.Span.Slice(n * 1000, 1000).ToArray();
            var b = expected.Span.Slice(n * 1000, 1000).ToArray();
            double largest = b.Max(Math.Abs), worst = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(largest > 0, $"{name}, opset {opset}, photo {n}: every logit is zero");
            worstRelative = Math.Max(worstRelative, worst / largest);
            Assert.True(worst <= Tolerance * largest,
                $"{name}, opset {opset}, photo {n}: max |a - b| = {worst:E3} is more than {Tolerance:E0} of the largest logit {largest:F4}");
        }
        // The photos give different logits (the comparison is not between two constants).
        Assert.NotEqual(expected.Span[..1000].ToArray(), expected.Span.Slice(1000, 1000).ToArray());
        log.WriteLine($"| {name} | {opset} | {model.GetType().Name}, {model.Layers.Count} layers | {worstRelative:E1} | " +
            $"{convolveMs:F0} ms | {runtimeMs:F0} ms |");
    }

    [DataTheory(TestData.Torchvision)]
    [MemberData(nameof(ModelNames))]
    public void Imported_FineTunes_LossFallsOverAFewSteps(string name)
    {
        TestDataRequirement.Require(TestData.Torchvision);
        string file = TorchvisionFiles.File(name, 13);
        var model = OnnxImporter.Load(file);
        var optimizer = new OptimizerSettings(OptimizerKind.Adam).Create(model.Parameters);
        var trainer = new Trainer(model, optimizer, learningRate: 1e-4f);
        var input = Photos();
        int[] labels = [1, 2, 3];
        var losses = new List<float>();
        for (int step = 0; step < 4; step++) losses.Add(trainer.TrainStep(input, labels).Loss);
        log.WriteLine($"{name}: losses {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        Assert.All(losses, l => Assert.True(float.IsFinite(l), $"{name}: loss {l}"));
        Assert.True(losses[^1] < losses[0], $"{name}: the loss did not fall over {losses.Count} steps: {string.Join(", ", losses)}");
    }
}
