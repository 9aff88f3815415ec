using Convolve.Data;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Layers;
using Convolve.Training;
using Convolve.Transfer;
using static Convolve.Lessons.Tests.Transfer.TransferData;

namespace Convolve.Lessons.Tests.Transfer;

public class TransferLearningTests
{
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
}
