using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Data;
using Convolve.Tests.Layers;
using Convolve.Training;
using Convolve.Transfer;

namespace Convolve.Tests.Transfer;

public class TransferTests
{
    // A small "pre-trained" backbone: conv, batch norm, relu, conv, relu, global pool to 4 features.
    private static Sequential Backbone(int seed = 3)
    {
        var model = new Sequential(new Conv2D(1, 4, 3, padding: 1), new BatchNorm2D(4), new ReLU(), new Conv2D(4, 4, 3), new ReLU(), new GlobalAvgPool2D(keepDims: false));
        model.Build(new Shape(1, 8, 8), seed);
        // Running statistics away from their initial 0 and 1, as after pre-training.
        var bn = (BatchNorm2D)model.Layers[1];
        bn.RunningMean.Value.Span.Fill(0.1f);
        bn.RunningVar.Value.Span.Fill(2f);
        return model;
    }

    // Two classes of 8x8 gray images: bright in the left half (class 0) or in the right half (class 1), plus noise.
    private static ImageDataset Halves(int perClass, int seed)
    {
        var random = new Random(seed);
        var images = new Tensor(new Shape(2 * perClass, 1, 8, 8));
        var labels = new int[2 * perClass];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 2;
            for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                images[i, 0, y, x] = ((x < 4) == (labels[i] == 0) ? 0.8f : 0.1f) + 0.1f * (float)random.NextDouble();
        }
        return new ImageDataset(images, labels, ["left", "right"]);
    }

    [Fact]
    public void Extract_InBatches_EqualsRunningTheBackboneOnEachImage()
    {
        var backbone = Backbone();
        var images = GradientCheck.RandomTensor(new Shape(7, 1, 8, 8), new Random(1));
        var features = Features.Extract(backbone, images, batchSize: 3);
        Assert.Equal(new Shape(7, 4), features.Shape);
        for (int i = 0; i < 7; i++)
        {
            var one = backbone.Forward(images.Slice(i), training: false).ToArray();
            var extracted = features.Slice(i).ToArray();
            // Batches of 3 and of 1 may sum in another order in the matrix multiply: equal to float rounding.
            for (int k = 0; k < one.Length; k++) Assert.Equal(one[k], extracted[k], 1e-5f);
        }
    }

    [Fact]
    public void Cache_IsReusedForTheSameModelAndInputs_AndANewFileForChangedInputsOrWeights()
    {
        using var folder = new TempFolder();
        var backbone = Backbone();
        var images = GradientCheck.RandomTensor(new Shape(5, 1, 8, 8), new Random(2));
        string key = Features.Key(backbone, images, "test");
        string path = Features.CachePath(folder.Path, "head", key);

        var first = Features.GetOrCompute(path, backbone, images);
        Assert.False(first.Reused);
        Assert.True(File.Exists(path));
        var second = Features.GetOrCompute(path, backbone, images);
        Assert.True(second.Reused);
        Assert.Equal(first.Features.ToArray(), second.Features.ToArray());
        Assert.Equal(first.Features.Shape, second.Features.Shape);

        var changed = images.Clone();
        changed[17] += 0.5f;
        Assert.NotEqual(key, Features.Key(backbone, changed, "test"));
        Assert.NotEqual(key, Features.Key(backbone, images, "another preprocessing"));
        backbone.Parameters.First().Value[0] += 0.01f;
        Assert.NotEqual(key, Features.Key(backbone, images, "test"));
    }

    [Fact]
    public void Cache_ThatIsCorrupt_IsComputedAgain_AndSaysWhy()
    {
        using var folder = new TempFolder();
        var backbone = Backbone();
        var images = GradientCheck.RandomTensor(new Shape(2, 1, 8, 8), new Random(3));
        string path = folder.File("c.npy");
        File.WriteAllBytes(path, [1, 2, 3]);
        var result = Features.GetOrCompute(path, backbone, images);
        Assert.False(result.Reused);
        Assert.Equal($"{path}: byte 0: not a NumPy .npy file (it does not start with \\x93NUMPY). Computed again", result.Note);
        Assert.True(Features.GetOrCompute(path, backbone, images).Reused);
    }

    [Fact]
    public void FineTuningTheLastLayer_ChangesOnlyItAndTheHead_AndKeepsBatchNormStatistics()
    {
        var backbone = Backbone();
        var data = Halves(12, seed: 4);
        var before = backbone.NamedParameters.ToDictionary(p => p.Key, p => p.Parameter.Value.ToArray());
        var flags = backbone.Parameters.Select(p => p.Trainable).ToArray();

        var features = Features.Extract(backbone, data.Images);
        var featureSet = new ImageDataset(features.Reshape(new Shape(data.Count, 4, 1, 1)), data.Labels, data.ClassNames);
        var head = TransferLearning.CreateHead(featureSet.ImageShape, 2, hidden: 0, seed: 1);
        var options = new TransferOptions(Epochs: 3, BatchSize: 8);
        TransferLearning.TrainAndTest("head", "features", head, featureSet, featureSet, options.Training());
        // Training the head on cached features leaves the backbone as it was.
        foreach (var (key, p) in backbone.NamedParameters) Assert.Equal(before[key], p.Value.ToArray());

        var parts = TransferLearning.Cut(backbone, layers: 1);   // the last conv: cut after layer 3
        Assert.Equal(3, parts.FrontLayers);
        var frontOut = Features.Extract(parts.Front!, data.Images);
        var backSet = new ImageDataset(frontOut, data.Labels, data.ClassNames);
        var headBefore = head.ParameterValues.ToArray();
        var result = TransferLearning.FineTune(parts, 1, head, backSet, backSet, options.Training(), frontParameters: 0);

        var lastConv = backbone.Layers[3].Name;
        foreach (var (key, p) in backbone.NamedParameters)
        {
            if (key.StartsWith(lastConv + ".")) Assert.NotEqual(before[key], p.Value.ToArray());
            else Assert.Equal(before[key], p.Value.ToArray());   // first conv, batch norm weights and running statistics
        }
        Assert.Equal(flags, backbone.Parameters.Select(p => p.Trainable).ToArray());
        // The head given is copied, not changed; the fine-tuned copy is.
        Assert.Equal(headBefore, head.ParameterValues.ToArray());
        var tuned = ((BodyWithHead)result.Model).Head;
        Assert.NotEqual(headBefore, tuned.Parameters.SelectMany(p => p.Value.ToArray()).ToArray());
        // Trained: the conv (4*4*9 + 4) and the head (4*2 + 2).
        Assert.Equal(4 * 4 * 9 + 4 + 4 * 2 + 2, result.TrainedParameters);
    }

    [Fact]
    public void FineTuningThroughBatchNorm_TrainsItsWeights_ButNotItsRunningStatistics()
    {
        var backbone = Backbone();
        var data = Halves(8, seed: 5);
        var before = backbone.NamedParameters.ToDictionary(p => p.Key, p => p.Parameter.Value.ToArray());
        var head = TransferLearning.CreateHead(new Shape(4, 1, 1), 2, hidden: 0, seed: 1);
        // The last two layers with weights are the batch norm (layer 1) and the last conv (layer 3).
        var parts = TransferLearning.Cut(backbone, layers: 2);
        Assert.Equal(1, parts.FrontLayers);
        var backSet = new ImageDataset(Features.Extract(parts.Front!, data.Images), data.Labels, data.ClassNames);
        TransferLearning.FineTune(parts, 2, head, backSet, backSet, new TransferOptions(Epochs: 2, BatchSize: 4).Training(), frontParameters: 0);

        string conv = backbone.Layers[0].Name, bn = backbone.Layers[1].Name;
        Assert.Equal(before[conv + ".weight"], backbone.NamedParameters.Single(p => p.Key == conv + ".weight").Parameter.Value.ToArray());
        foreach (string name in new[] { "running_mean", "running_var" })
            Assert.Equal(before[$"{bn}.{name}"], backbone.NamedParameters.Single(p => p.Key == $"{bn}.{name}").Parameter.Value.ToArray());
        Assert.NotEqual(before[bn + ".weight"], backbone.NamedParameters.Single(p => p.Key == bn + ".weight").Parameter.Value.ToArray());
    }

    [Fact]
    public void BodyWithHead_RunsTheBodyInEvaluationMode_EvenWhenTraining()
    {
        var backbone = Backbone();
        var head = TransferLearning.CreateHead(new Shape(4), 2, hidden: 3, seed: 2);
        var images = GradientCheck.RandomTensor(new Shape(4, 1, 8, 8), new Random(5));
        var expected = head.Forward(backbone.Forward(images, training: false)).ToArray();
        var model = new BodyWithHead(backbone, head);
        model.BuildShapes(new Shape(1, 8, 8));
        Assert.Equal(expected, model.Forward(images, training: true).ToArray());
    }

    [Fact]
    public void BackboneJoinedWithTheHead_ComputesTheHeadOfTheFeatures()
    {
        var backbone = Backbone();
        var images = GradientCheck.RandomTensor(new Shape(3, 1, 8, 8), new Random(9));
        var features = Features.Extract(backbone, images);
        // The head is trained on features held as images [4, 1, 1]; the joined model feeds it [4].
        var head = TransferLearning.CreateHead(new Shape(4, 1, 1), 2, hidden: 3, seed: 4);
        var expected = head.Forward(features.Reshape(new Shape(3, 4, 1, 1))).ToArray();
        var joined = ModelParts.Concatenate(backbone, TransferLearning.CopyHead(head, new Shape(4)));
        Assert.Equal(expected, joined.Forward(images).ToArray());
    }

    [Fact]
    public void HeadOnSeparableFeatures_LearnsThem()
    {
        // Features that are the class (plus noise): a linear head must get every held-out item.
        var data = Halves(20, seed: 6);
        var features = new Tensor(new Shape(data.Count, 2, 1, 1));
        var random = new Random(7);
        for (int i = 0; i < data.Count; i++)
        {
            features[2 * i] = data.Labels[i] == 0 ? 1 : -1;
            features[2 * i + 1] = (float)random.NextDouble();
        }
        var set = new ImageDataset(features, data.Labels, data.ClassNames);
        var (train, test) = DatasetSplit.TrainValidation(set, 0.25, seed: 0);
        var head = TransferLearning.CreateHead(set.ImageShape, 2, hidden: 0, seed: 0);
        var result = TransferLearning.TrainAndTest("head", "2 features", head, train, test,
            new TransferOptions(Epochs: 30, BatchSize: 8, Optimizer: new OptimizerSettings(OptimizerKind.Adam, 0.05f)).Training());
        Assert.Equal(1f, result.Accuracy);
        Assert.Equal(test.Count, result.Correct);
        Assert.Equal(2 * 2 + 2, result.TrainedParameters);
    }

    [Fact]
    public void Fit_RepeatsGrayIntoRgb_ResizesAndScales()
    {
        var gray = new Tensor(new Shape(1, 1, 2, 2));
        float[] values = [0.1f, 0.2f, 0.3f, 0.4f];
        values.CopyTo(gray.Span);
        var same = BackboneInput.Fit(gray, new Shape(3, 2, 2), pixelScale: 255);
        // An image of the requested size is copied unchanged (ImageResize's rule), then scaled.
        Assert.Equal(values.Select(v => v * 255).Concat(values.Select(v => v * 255)).Concat(values.Select(v => v * 255)), same.ToArray());
        Assert.Equal(new Shape(1, 3, 5, 7), BackboneInput.Fit(gray, new Shape(3, 5, 7)).Shape);
        var e = Assert.Throws<ShapeException>(() => BackboneInput.Fit(gray, new Shape(2, 4, 4)));
        Assert.Equal("The backbone takes 2-channel inputs [2, 4, 4]; images with 1 channel cannot be converted to that (only gray to RGB and RGB to gray).", e.Message);
        e = Assert.Throws<ShapeException>(() => BackboneInput.Fit(gray, new Shape(5)));
        Assert.Equal("The backbone takes inputs [5]; images of 1x2x2 (C x H x W) cannot be made to fit (expected a backbone input [C, H, W], or [4]).", e.Message);
    }
}
