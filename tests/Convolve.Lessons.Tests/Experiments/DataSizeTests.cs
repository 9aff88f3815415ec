using Convolve.Data;
using Convolve.Experiments;

namespace Convolve.Lessons.Tests.Experiments;

public class DataSizeTests
{
    private static readonly ExperimentSettings Quick = new(Epochs: 2, BatchSize: 8, Seed: 3);

    [Fact]
    public void EpochsFor_SmallSets_GetEnoughEpochsForTheMinimumSteps()
    {
        // 100 images in batches of 64 are 2 steps per epoch; 300 steps need 150 epochs.
        Assert.Equal(150, DataSize.EpochsFor(100, 64, epochs: 3, minSteps: 300));
        // 10,000 images are 157 steps per epoch: 3 epochs already give 471 >= 300.
        Assert.Equal(3, DataSize.EpochsFor(10_000, 64, epochs: 3, minSteps: 300));
        // 3,000 images are 47 steps per epoch: ceil(300 / 47) = 7.
        Assert.Equal(7, DataSize.EpochsFor(3_000, 64, epochs: 3, minSteps: 300));
    }

    [Fact]
    public void DataSize_TrainsOnTheRequestedNumberPerClass_ForEveryModel()
    {
        var train = SyntheticBars.Create(perClass: 20, size: 8, seed: 1);
        var test = SyntheticBars.Create(perClass: 5, size: 8, seed: 2);

        var rows = DataSize.Run(train, test, [Candidate.Mlp, Candidate.DenseHeadCnn], [3, 10], includeAll: true, Quick, minSteps: 4);

        Assert.Equal([(int?)3, 3, 10, 10, null, null], rows.Select(r => r.PerClass));
        Assert.Equal([6, 6, 20, 20, 40, 40], rows.Select(r => r.TrainCount));
        Assert.Equal(["mlp", "seed", "mlp", "seed", "mlp", "seed"], rows.Select(r => r.Name));
        // 6 images in batches of 8 are 1 step per epoch, so 4 steps need 4 epochs; 20 images are 3 steps, 2 epochs give 6 >= 4.
        Assert.Equal([4, 4, 2, 2, 2, 2], rows.Select(r => r.Epochs));
        Assert.All(rows, r => Assert.InRange(r.TestAccuracy, 0f, 1f));
    }

    [Fact]
    public void DataSize_MoreImagesPerClassThanTheSmallestClassHas_IsRefused()
    {
        var train = SyntheticBars.Create(perClass: 4, size: 8, seed: 1);

        var e = Assert.Throws<ArgumentException>(() =>
            DataSize.Run(train, train, [Candidate.Mlp], [5], includeAll: false, Quick, minSteps: 0));

        Assert.Equal("DataSize: 5 images per class asked for, but the smallest class of the training set has 4.", e.Message);
    }
}
