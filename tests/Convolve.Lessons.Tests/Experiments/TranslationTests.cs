using Convolve.Experiments;

namespace Convolve.Lessons.Tests.Experiments;

public class TranslationTests
{
    private static readonly ExperimentSettings Quick = new(Epochs: 2, BatchSize: 8, Seed: 3);

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
}
