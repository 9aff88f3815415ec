using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Training;

public class ArticleNetworkTrainingTests
{
    /// <summary>
    /// 6x6 images like the article's anchor: half have a band of two rows (at a random height)
    /// brighter or darker than the rest, so each has a dark-to-bright and a bright-to-dark
    /// horizontal edge; the other half are one flat level anywhere from dark to bright, so that
    /// brightness alone tells nothing. Random contrast and noise throughout; values centred on 0.
    /// (With one 3x3 filter followed by ReLU the network sees one edge polarity only, so a lone
    /// edge of random polarity could not always be detected; a band always offers both.)
    /// </summary>
    private static ImageDataset EdgeImages(int count, Random random)
    {
        var images = new Tensor(new Shape(count, 1, 6, 6));
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = n % 2;
            int bandTop = random.Next(1, 4);
            float background = (float)random.NextDouble() * 0.3f, band = 0.7f + (float)random.NextDouble() * 0.3f;
            if (random.Next(2) == 0) (background, band) = (band, background);
            float flat = (float)random.NextDouble();
            for (int h = 0; h < 6; h++)
                for (int w = 0; w < 6; w++)
                {
                    bool inBand = labels[n] == 1 && h >= bandTop && h < bandTop + 2;
                    images[n, 0, h, w] = (labels[n] == 0 ? flat : inBand ? band : background) - 0.5f + (float)(random.NextDouble() - 0.5) * 0.1f;
                }
        }
        return new ImageDataset(images, labels, ["no edge", "edge"]);
    }

    private static Sequential ArticleNetwork() =>
        new(new Conv2D(1, 1, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(2), new Softmax());

    private static float TrainAndTest(int seed)
    {
        var random = new Random(seed);
        var train = EdgeImages(2000, random);
        var test = EdgeImages(500, random);
        var model = ArticleNetwork();
        model.Build(new Shape(1, 6, 6), seed);
        var trainer = new Trainer(model, new Adam(model.Parameters), learningRate: 0.02f);
        var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = 32, Seed = seed });
        for (int epoch = 0; epoch < 15; epoch++) trainer.TrainEpoch(loader, epoch);
        return trainer.Evaluate(test).Accuracy;
    }

    [Fact]
    public void ArticleNetwork_LearnsHorizontalEdges_AtLeast95PercentHeldOut()
    {
        float accuracy = TrainAndTest(seed: 1);
        Assert.True(accuracy >= 0.95f, $"held-out accuracy {accuracy:P1}");
    }

    /// <summary>
    /// One filter followed by ReLU can start dead (negative on every image) or settle on
    /// brightness instead of edges, so not every initialisation succeeds: measured here, 16 of
    /// seeds 1..20 reached 100% and 4 stayed near chance. The test guards that rate.
    /// </summary>
    [Fact]
    public void ArticleNetwork_LearnsHorizontalEdges_FromMostInitialisations()
    {
        int[] seeds = [.. Enumerable.Range(1, 20)];
        int successes = seeds.Count(seed => TrainAndTest(seed) >= 0.95f);
        Assert.True(successes >= 14, $"{successes} of {seeds.Length} seeds reached 95%");
    }

    [Fact]
    public void Training_WithTheSameSeed_RepeatsExactly()
    {
        Assert.Equal(TrainAndTest(seed: 5), TrainAndTest(seed: 5));
    }
}
