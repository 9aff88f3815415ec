using Convolve.Experiments;

namespace Convolve.Lessons.Tests.Experiments;

public class AnnVsCnnTests
{
    private static readonly ExperimentSettings Quick = new(Epochs: 2, BatchSize: 8, Seed: 3);

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
}
