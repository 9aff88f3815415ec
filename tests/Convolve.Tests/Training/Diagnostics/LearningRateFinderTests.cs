using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;
using Convolve.Training.Diagnostics;

namespace Convolve.Tests.Training.Diagnostics;

public sealed class LearningRateFinderTests
{
    private static Sequential NetworkWithDropout()
    {
        var model = new Sequential(new Flatten(), new Dense(16), new ReLU(), new Dropout(0.2f), new Dense(3));
        model.Build(new Shape(1, 8, 8), seed: 4);
        return model;
    }

    [Fact]
    public void OnASeparableProblem_TheSuggestionTrainsWell_AndTheModelIsLeftExactlyAsItWas()
    {
        var model = NetworkWithDropout();
        var weights = model.ParameterValues.ToArray();
        var dropout = model.Layers.OfType<Dropout>().Single();
        dropout.Forward(new Tensor(new Shape(2, 16)), training: true); // move its random source off the start
        var randomState = dropout.RandomState!.ToArray();
        var data = TrainingMonitorTests.Separable(480, seed: 1, noise: 0.2f);

        var range = LearningRateFinder.Run(model, data, new OptimizerSettings(OptimizerKind.Sgd, Momentum: 0.9f),
            new LearningRateFinderOptions { BatchSize = 16, Seed = 2 });

        Assert.Equal(weights, model.ParameterValues.ToArray());
        Assert.Equal(randomState, dropout.RandomState);
        Assert.True(range.Points.Count > 20);
        Assert.True(range.Points.Zip(range.Points.Skip(1)).All(p => p.Second.Rate > p.First.Rate));
        Assert.InRange(range.Suggested, 1e-3f, 1f);
        Assert.True(range.Suggested <= range.MinimumLoss);

        // The rate it suggests trains the network; the smallest rate of the test does not.
        float Accuracy(float lr)
        {
            var session = new TrainingSession(NetworkWithDropout(),
                new TrainingOptions(3, 16, Seed: 1, new OptimizerSettings(OptimizerKind.Sgd, lr, Momentum: 0.9f)));
            while (!session.IsFinished) session.RunEpoch(data);
            return session.Trainer.Evaluate(TrainingMonitorTests.Separable(200, seed: 3, noise: 0.2f)).Accuracy;
        }
        Assert.True(Accuracy(range.Suggested) > 0.9f);
        Assert.True(Accuracy(1e-6f) < 0.6f);
    }

    [Fact]
    public void Suggest_PicksBetweenTheSteepestFallAndATenthOfTheMinimum()
    {
        // A made-up curve: flat, falling fastest at 1e-3, lowest at 1e-1, then blowing up.
        var points = new List<LearningRatePoint>();
        for (int i = 0; i <= 60; i++)
        {
            float rate = MathF.Pow(10, -6 + i / 10f);
            float loss = i <= 50 ? 2 - 1.5f / (1 + MathF.Exp(-(i - 30) / 3f)) : 0.5f + (i - 50) * 0.5f;
            points.Add(new LearningRatePoint(rate, loss, loss));
        }
        var range = LearningRateFinder.Suggest(points, diverged: true);
        Assert.Equal(1e-3f, range.Steepest, 1e-4f);
        Assert.Equal(0.1f, range.MinimumLoss, 1e-3f);
        Assert.Equal(MathF.Sqrt(1e-3f * 1e-2f), range.Suggested, 1e-4f);
    }

    [Fact]
    public void ARangeTestThatCannotStart_SaysWhatToChange()
    {
        var e = Assert.Throws<ArgumentException>(() => LearningRateFinder.Suggest([new LearningRatePoint(1, 2, 2)], diverged: true));
        Assert.Equal("The range test diverged after 1 step: start it at a smaller learning rate.", e.Message);
        Assert.Throws<InvalidSettingException>(() => new LearningRateFinderOptions { MinRate = 0 }.Validate());
    }
}
