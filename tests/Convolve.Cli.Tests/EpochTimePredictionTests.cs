using Convolve.Cli.Report;
using Convolve.Data;
using Convolve.Models;
using Convolve.Training;

namespace Convolve.Cli.Tests;

/// <summary>
/// The calibration behind the report's predicted epoch time: it runs on a twin of the model, so
/// the session it times trains exactly as it would have without it.
/// </summary>
public sealed class EpochTimePredictionTests
{
    private static (ImageDataset Train, ImageDataset Validation) Data()
    {
        var loaded = Imaging.DataSource.Load(Datasets.Digits, new ImageFolderOptions { Channels = 1, Height = 28, Width = 28 }, seed: 3).Splits;
        return DatasetSplit.TrainValidation(loaded.Train.Subset([.. Enumerable.Range(0, 400)]), 0.25, 3);
    }

    private static TrainingSession Session(ImageDataset train) =>
        new(Architectures.Get("seed").Build(3, train.ImageShape[0], train.ClassCount),
            new TrainingOptions(2, 32, 3, new OptimizerSettings(OptimizerKind.Sgd, 0.05f), new Augmentation { MaxShift = 2 }, ScheduleKind.Cosine));

    [Fact]
    public void Calibrate_LeavesTheSessionUntouched_AndItTrainsAsAnUncalibratedOne()
    {
        var (train, validation) = Data();
        var calibrated = Session(train);
        var plain = Session(train);
        var before = calibrated.Model.Parameters.Select(p => p.Value.ToArray()).ToList();

        var prediction = EpochTimePrediction.Calibrate(Architectures.Get("seed").Build(99, 1, 10), calibrated, train, validation);

        Assert.NotNull(prediction);
        Assert.Equal(before, calibrated.Model.Parameters.Select(p => p.Value.ToArray()).ToList());
        Assert.Equal(0, calibrated.Trainer.Optimizer.Steps);
        Assert.Equal(0, calibrated.CompletedEpochs);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var a = calibrated.RunEpoch(train, validation)!;
            var b = plain.RunEpoch(train, validation)!;
            Assert.Equal((b.TrainLoss, b.TrainAccuracy, b.ValidationLoss, b.ValidationAccuracy),
                (a.TrainLoss, a.TrainAccuracy, a.ValidationLoss, a.ValidationAccuracy));
        }
        Assert.Equal(plain.Model.Parameters.Select(p => p.Value.ToArray()), calibrated.Model.Parameters.Select(p => p.Value.ToArray()));
    }

    [Fact]
    public void Prediction_IsTheTimedTrainingPerImageOverAnEpoch_PlusTheValidationPass()
    {
        var (train, validation) = Data();
        var session = Session(train);
        var p = EpochTimePrediction.Calibrate(Architectures.Get("seed").Build(3, 1, 10), session, train, validation)!;

        Assert.InRange(p.Batches, 3, EpochTimePrediction.MaxBatches);
        Assert.True(p.WarmupSteps >= 1, $"{p.WarmupSteps} warm-up steps");
        Assert.True(p.SecondsPerImage > 0 && p.ValidationSecondsPerImage > 0);
        Assert.Equal(p.SecondsPerImage * train.Count + p.ValidationSecondsPerImage * validation.Count, p.Seconds, 12);
        Assert.True(p.CalibrationSeconds > p.SecondsPerImage * 32 * p.Batches, "the calibration's own time includes the timed steps");
    }

    [Fact]
    public void Prediction_RoundTripsThroughCheckpointMetadata_AndUnreadableOnesAreLeftOut()
    {
        var p = new EpochTimePrediction(4.125, 0.002, 0.0005, 8, 200, 1.5);
        var metadata = new Dictionary<string, string>();
        p.WriteTo(metadata);
        Assert.Equal(p, EpochTimePrediction.From(metadata));
        Assert.Null(EpochTimePrediction.From(new Dictionary<string, string>()));
        Assert.Null(EpochTimePrediction.From(new Dictionary<string, string> { [metadata.Keys.Single()] = "4.1;x" }));
    }

    [Theory]
    [InlineData(0.4213, "0.42 s")]
    [InlineData(4.14, "4.1 s")]
    [InlineData(95.4, "95 s")]
    [InlineData(750, "12.5 min")]
    public void Duration_IsWrittenAsPeopleSayIt(double seconds, string expected) => Assert.Equal(expected, EpochTimePrediction.Duration(seconds));
}
