using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;
using Convolve.Training.Diagnostics;

namespace Convolve.Tests.Training.Diagnostics;

/// <summary>The training diagnostics on small synthetic problems: each finding appears when it should and not otherwise.</summary>
public sealed class TrainingMonitorTests
{
    /// <summary>
    /// 8x8 images of 3 classes, each class brighter by 0.5 on its own third of the pixels (easy to learn), over noise of 0..<paramref name="noise"/>.
    /// </summary>
    internal static ImageDataset Separable(int count, int seed, float scale = 1, float noise = 0.5f)
    {
        var random = new Random(seed);
        var images = new Tensor(new Shape(count, 1, 8, 8));
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = random.Next(3);
            for (int i = 0; i < 64; i++) images[n * 64 + i] = scale * ((float)random.NextDouble() * noise + (i % 3 == labels[n] ? 0.5f : 0));
        }
        return new ImageDataset(images, labels, ["a", "b", "c"]);
    }

    /// <summary>conv2d_1, relu_1, maxpool2d_1, flatten_1, dense_1.</summary>
    internal static Sequential SmallNetwork(int seed = 4)
    {
        var model = new Sequential(new Conv2D(1, 4, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(3));
        model.Build(new Shape(1, 8, 8), seed);
        return model;
    }

    private static TrainingOptions Options(float learningRate, int epochs = 1, int batch = 16) =>
        new(epochs, batch, Seed: 1, new OptimizerSettings(OptimizerKind.Sgd, learningRate, Momentum: 0.9f));

    private static List<Diagnostic> Collect(TrainingSession session)
    {
        var raised = new List<Diagnostic>();
        session.Monitor.Raised += raised.Add;
        return raised;
    }

    [Fact]
    public void AHealthyRun_RaisesNothing()
    {
        var session = new TrainingSession(SmallNetwork(), Options(0.05f, epochs: 4));
        var raised = Collect(session);
        var data = Separable(400, seed: 1);
        while (!session.IsFinished) session.RunEpoch(data, validation: Separable(100, seed: 2));
        Assert.Empty(raised);
        Assert.True(session.History[^1].ValidationAccuracy > 0.9f);
    }

    [Fact]
    public void AHugeLearningRate_StopsAtTheFirstNonFiniteLoss_NamesTheLayer_AndKeepsTheLastGoodWeights()
    {
        var model = SmallNetwork();
        var initial = model.ParameterValues.ToArray();
        var session = new TrainingSession(model, Options(1e30f));
        var raised = Collect(session);

        var e = Assert.Throws<TrainingDivergedException>(() => session.RunEpoch(Separable(200, seed: 1)));

        // Step 1 moved every weight by about 1e29; at step 2 the dense layer's products overflow.
        Assert.Equal("dense_1", e.Layer);
        Assert.Equal(1, e.Step);
        Assert.Equal(0, e.LastGoodStep);
        Assert.StartsWith("The loss became NaN at step 2: the output of dense_1 (Dense(36->3)) was the first to overflow", e.Diagnostic.Message);
        Assert.Contains("Training diverged: the learning rate (1e+30) is too large.", e.Diagnostic.Suggestion);
        Assert.Equal(DiagnosticSeverity.Error, e.Diagnostic.Severity);
        Assert.Equal(e.Diagnostic, Assert.Single(raised));
        // The model holds the weights checked at step 1 (the initial ones), not the broken ones.
        Assert.Equal(initial, model.ParameterValues.ToArray());
        Assert.Equal(0, session.CompletedEpochs);
    }

    [Fact]
    public void WeightsBrokenByAnEpochsLastUpdate_AreCaughtBeforeTheEpochEnds()
    {
        // One batch per epoch: its update overflows the weights, and no later loss reads them.
        var model = new Sequential(new Flatten(), new Dense(3));
        model.Build(new Shape(1, 8, 8), seed: 1);
        var initial = model.ParameterValues.ToArray();
        var session = new TrainingSession(model,
            new TrainingOptions(Epochs: 2, BatchSize: 16, Optimizer: new OptimizerSettings(LearningRate: float.MaxValue, Momentum: 0)));

        var e = Assert.Throws<TrainingDivergedException>(() => session.RunEpoch(Separable(16, seed: 1, scale: 100)));

        Assert.Equal("dense_1", e.Layer);
        Assert.StartsWith("The weights of dense_1 became infinite or NaN by step 1.", e.Diagnostic.Message);
        Assert.Equal(initial, model.ParameterValues.ToArray());
        Assert.Empty(session.History);
    }

    [Fact]
    public void InAGraph_TheFirstLayerToOverflowIsNamedToo()
    {
        var graph = new Graph();
        var x = graph.Apply(new ReLU(), graph.Apply(new Conv2D(1, 4, 3, padding: 1), graph.Input));
        var branch = graph.Apply(new Conv2D(4, 4, 3, padding: 1), x);
        x = graph.Apply(new Add(), x, branch);
        graph.Apply(new Dense(3), graph.Apply(new Flatten(), x));
        graph.Build(new Shape(1, 8, 8), seed: 2);
        var initial = graph.ParameterValues.ToArray();

        var e = Assert.Throws<TrainingDivergedException>(() => new TrainingSession(graph, Options(1e30f)).RunEpoch(Separable(64, seed: 1)));

        Assert.Contains(e.Layer, graph.Layers.Select(l => l.Name));
        Assert.Contains($"the output of {e.Layer} (", e.Diagnostic.Message);
        Assert.Contains("was the first to overflow", e.Diagnostic.Message);
        Assert.Equal(initial, graph.ParameterValues.ToArray());
        Assert.EndsWith("The model holds the weights of step 1, the last checked good. " + e.Diagnostic.Suggestion, e.Message);
    }

    [Theory]
    [InlineData("conv2d_1")]
    [InlineData("dense_1")]
    public void NaNWeights_AreCaught_AndTheirLayerNamed(string layer)
    {
        var model = SmallNetwork();
        var trainer = new Trainer(model, new Sgd(model.Parameters, momentum: 0), learningRate: 0.01f);
        var data = Separable(64, seed: 1);
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = 16 });
        var batches = loader.Epoch(0).GetEnumerator();
        batches.MoveNext();
        trainer.TrainStep(batches.Current.Images, batches.Current.Labels);
        var good = model.ParameterValues.ToArray();

        model.Layers.Single(l => l.Name == layer).Parameters[0].Value.Span[0] = float.NaN;
        batches.MoveNext();
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.TrainStep(batches.Current.Images, batches.Current.Labels));

        Assert.Equal(layer, e.Layer);
        Assert.Contains($"the weights of {layer} are no longer finite", e.Diagnostic.Message);
        Assert.All(model.ParameterValues.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.NotEqual(good, model.ParameterValues.ToArray()); // the snapshot was taken before step 1's update
    }

    [Fact]
    public void ANaNInTheInputs_IsBlamedOnTheInputs()
    {
        var data = Separable(32, seed: 1);
        data.Images[5] = float.NaN;
        var session = new TrainingSession(SmallNetwork(), Options(0.01f, batch: 32));
        var e = Assert.Throws<TrainingDivergedException>(() => session.RunEpoch(data));
        Assert.Null(e.Layer);
        Assert.Contains("the input batch itself has infinite or NaN values", e.Message);
    }

    [Fact]
    public void ALossThatRises_IsReported_OnceAndWithTheRate()
    {
        var (monitor, trainer, images) = Fed();
        for (int i = 0; i < 100; i++) monitor.AfterLoss(trainer, images, 2.3f - i * 0.018f, 10);
        Assert.Empty(monitor.Diagnostics);
        for (int i = 0; i < 100; i++) monitor.AfterLoss(trainer, images, 6f, 10);

        var d = Assert.Single(monitor.Diagnostics);
        Assert.Equal(DiagnosticCode.LossRising, d.Code);
        Assert.StartsWith("The loss has risen for 20 steps", d.Message);
        Assert.Equal("The learning rate (0.01) is probably too large. " +
            "Try a smaller learning rate, e.g. 0.001, or run a learning-rate range test to choose one.", d.Suggestion);
        Assert.True(monitor.LossRose);
    }

    [Fact]
    public void ALossStuckAtChance_IsReported_WithARangeTestSuggestionWhenKnown()
    {
        var (monitor, trainer, images) = Fed();
        monitor.SuggestedLearningRate = 0.02f;
        var random = new Random(3);
        for (int i = 0; i < 200; i++) monitor.AfterLoss(trainer, images, (float)(Math.Log(10) + (random.NextDouble() - 0.5) * 0.1), 10);

        var d = Assert.Single(monitor.Diagnostics);
        Assert.Equal(DiagnosticCode.LossAtChance, d.Code);
        Assert.StartsWith("After 150 steps the loss (2.3", d.Message);
        Assert.EndsWith("Try a learning rate near 0.02 (a range test's suggestion).", d.Suggestion);
    }

    [Fact]
    public void ALossThatFalls_RaisesNothing()
    {
        var (monitor, trainer, images) = Fed();
        var random = new Random(4);
        for (int i = 0; i < 500; i++) monitor.AfterLoss(trainer, images, (float)(2.3 * Math.Exp(-i / 100.0) + random.NextDouble() * 0.3), 10);
        Assert.Empty(monitor.Diagnostics);
    }

    private static (TrainingMonitor, Trainer, Tensor) Fed()
    {
        var model = SmallNetwork();
        var trainer = new Trainer(model, new Sgd(model.Parameters, momentum: 0), learningRate: 0.01f);
        return (trainer.Monitor!, trainer, Separable(4, seed: 1).Images);
    }

    [Fact]
    public void PixelsOf0To255_AreReportedAsNotNormalised_WithTheirRange()
    {
        var session = new TrainingSession(SmallNetwork(), Options(1e-5f));
        var raised = Collect(session);
        var data = Separable(64, seed: 1, scale: 255);
        session.RunEpoch(data);

        var d = Assert.Single(raised, r => r.Code == DiagnosticCode.InputsNotNormalised);
        Assert.Matches(@"^The inputs are not normalised: the first batch's values range from [0-9.]+ to 25[0-5](\.\d+)? \(mean", d.Message);
        Assert.Equal("Pixels of 0..255 train poorly: divide them by 255 (or subtract the mean and divide by the deviation).", d.Suggestion);

        var normal = new TrainingSession(SmallNetwork(), Options(1e-5f));
        var none = Collect(normal);
        normal.RunEpoch(Separable(64, seed: 1));
        Assert.DoesNotContain(none, r => r.Code == DiagnosticCode.InputsNotNormalised);
    }

    [Fact]
    public void ReLUsThatNeverFire_AreReportedPerLayer_AndTheGradientBelowThemVanishes()
    {
        var model = SmallNetwork();
        model.Layers[0].Parameters[1].Value.Span.Fill(-1000); // conv2d_1's bias: no output above 0
        var session = new TrainingSession(model, Options(0.01f));
        var raised = Collect(session);
        session.RunEpoch(Separable(64, seed: 1), validation: Separable(32, seed: 2));

        var dead = Assert.Single(raised, r => r.Code == DiagnosticCode.DeadReLUs);
        Assert.Equal("relu_1", dead.Layer);
        Assert.StartsWith("4 of 4 units of relu_1 (100%) were never active on 32 validation images", dead.Message);
        var vanished = Assert.Single(raised, r => r.Code == DiagnosticCode.VanishingGradient);
        Assert.Equal("conv2d_1", vanished.Layer);
        Assert.StartsWith("The gradient of conv2d_1 has vanished: its norm is 0, against ", vanished.Message);
    }

    [Fact]
    public void AGradientHugeNextToItsWeights_IsReportedAsExploding()
    {
        var model = new Sequential(new Flatten(), new Dense(3));
        model.Build(new Shape(1, 8, 8), seed: 1);
        var trainer = new Trainer(model, new Sgd(model.Parameters, momentum: 0), learningRate: 1e-12f);
        var raised = new List<Diagnostic>();
        trainer.Monitor!.Raised += raised.Add;
        var data = Separable(16, seed: 1, scale: 1e5f);
        trainer.TrainStep(data.Images, data.Labels);

        var d = Assert.Single(raised, r => r.Code == DiagnosticCode.ExplodingGradient);
        Assert.Equal("dense_1", d.Layer);
        Assert.StartsWith("The gradient of dense_1 is exploding: its norm is ", d.Message);
    }

    [Fact]
    public void AModelNoBetterThanTheCommonestClass_IsReported()
    {
        // Labels unrelated to the images, 80% of them 'a': nothing beats always answering 'a'.
        var random = new Random(5);
        var images = new Tensor(new Shape(200, 1, 8, 8));
        for (int i = 0; i < images.Length; i++) images[i] = (float)random.NextDouble();
        var labels = Enumerable.Range(0, 200).Select(i => i % 5 == 0 ? 1 + random.Next(2) : 0).ToArray();
        var data = new ImageDataset(images, labels, ["a", "b", "c"]);
        var session = new TrainingSession(SmallNetwork(), Options(0.01f, epochs: 2));
        var raised = Collect(session);
        session.RunEpoch(data);

        var d = Assert.Single(raised, r => r.Code == DiagnosticCode.BelowClassPrior);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Matches(@"^After epoch 1 the training accuracy \([0-9.]+%\) is no better than always answering the most common class, " +
            @"'a' \(80\.0% of the training images\)\.$", d.Message);
        Assert.Null(session.Monitor.EpochVerdict);
    }

    [Fact]
    public void TrainStep_WithTheMonitorCheckingEveryStep_AllocatesNothingInSteadyState()
    {
        var model = SmallNetwork();
        // One thread: with two, each thread's GEMM pack buffer grows the first time it happens to
        // claim the largest part, which may fall after any number of warm-up steps.
        model.SetMaxThreads(1);
        var trainer = new Trainer(model, new Sgd(model.Parameters, momentum: 0.9f), learningRate: 0.01f)
        {
            Monitor = new TrainingMonitor(model, new MonitorOptions { CheckInterval = 1 }),
        };
        var data = Separable(16, seed: 1);
        for (int i = 0; i < 3; i++) trainer.TrainStep(data.Images, data.Labels);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) trainer.TrainStep(data.Images, data.Labels);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Empty(trainer.Monitor.Diagnostics);
    }
}
