using Convolve.Data;
using Convolve.Experiments;

namespace Convolve.Tests.Experiments;

public class ExperimentRunTests
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

    [Fact]
    public void AnnVsCnn_ReportsEachModelsParameterCount_AndAnAccuracy()
    {
        var train = SyntheticBars.Create(perClass: 8, size: 28, seed: 1);
        var test = SyntheticBars.Create(perClass: 4, size: 28, seed: 2);

        var rows = AnnVsCnn.Run(train, test, AnnVsCnn.DefaultCandidates, Quick);

        Assert.Equal(["mlp", "seed"], rows.Select(r => r.Name));
        // mlp for 2 classes: 784*100 + 100 + 100*2 + 2; seed: 32*9 + 32 + 5408*2 + 2 (13x13x32 = 5408 pooled values).
        Assert.Equal([784 * 100 + 100 + 100 * 2 + 2, 32 * 9 + 32 + 5408 * 2 + 2], rows.Select(r => r.Parameters));
        Assert.All(rows, r => Assert.InRange(r.TestAccuracy, 0f, 1f));
        Assert.All(rows, r => Assert.True(r.TrainSeconds > 0 && r.ImagesPerSecond > 0));
    }

    [Fact]
    public void Translation_GivesEveryModelAnAccuracyAtEveryOffset()
    {
        var train = SyntheticBars.Create(perClass: 16, size: 6, seed: 1);
        var test = SyntheticBars.Create(perClass: 6, size: 6, seed: 2);
        var options = new TranslationOptions(CanvasSize: 12, TrainTop: 0, TrainLeft: 0, TestOffsets: [0, 3, 6], WithShiftAugmentation: true);

        var rows = Translation.Run(train, test, Translation.DefaultCandidates, options, Quick with { Epochs = 6 });

        Assert.Equal(6, rows.Count); // 3 models, each trained at (0, 0) and with random shifts
        Assert.Equal(["mlp", "seed", "cnn-gap", "mlp", "seed", "cnn-gap"], rows.Select(r => r.Name));
        Assert.Equal([TranslationTraining.FixedPosition, TranslationTraining.FixedPosition, TranslationTraining.FixedPosition,
            TranslationTraining.RandomShift, TranslationTraining.RandomShift, TranslationTraining.RandomShift], rows.Select(r => r.Training));
        var expectedOffsets = new[] { 0, 3, 6 }.SelectMany(y => new[] { 0, 3, 6 }.Select(x => (y, x))).ToList();
        foreach (var row in rows)
        {
            Assert.Equal(expectedOffsets, row.Offsets);
            Assert.Equal(9, row.Accuracy.Count);
            Assert.All(row.Accuracy, a => Assert.InRange(a, 0f, 1f));
            Assert.Equal(row.Accuracy[4], row.At(3, 3));
            Assert.Null(row.At(1, 1));
        }
        // Bars on a plain background are easy: the MLP learns them where it saw them.
        Assert.True(rows[0].At(0, 0) >= 0.9f, $"mlp at its training place: {rows[0].At(0, 0)}");
    }

    [Fact]
    public void Translation_OffsetOutsideTheCanvas_IsRefused()
    {
        var data = SyntheticBars.Create(perClass: 2, size: 6, seed: 1);
        var options = new TranslationOptions(12, 0, 0, [0, 7]);

        var e = Assert.Throws<ArgumentException>(() => Translation.Run(data, data, [Candidate.Mlp], options, Quick));

        Assert.Equal("Translation: offset 7 is outside 0..6, where a 6x6 image fits on a 12x12 canvas.", e.Message);
    }

    [Fact]
    public void Fit_SameSeed_GivesTheSameModel()
    {
        var train = SyntheticBars.Create(perClass: 6, size: 8, seed: 1);

        var a = ExperimentTraining.Fit(Candidate.GlobalPoolCnn, train, Quick);
        var b = ExperimentTraining.Fit(Candidate.GlobalPoolCnn, train, Quick);

        Assert.Equal(a.Model.ParameterValues.ToArray(), b.Model.ParameterValues.ToArray());
    }
}
