using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Training;

public sealed class TrainingSessionTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-session-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static ImageDataset RandomImages(int count, int seed)
    {
        var random = new Random(seed);
        var images = new Tensor(new Shape(count, 1, 8, 8));
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = random.Next(3);
            for (int i = 0; i < 64; i++) images[n * 64 + i] = (float)random.NextDouble() + (i % 3 == labels[n] ? 0.5f : 0);
        }
        return new ImageDataset(images, labels, ["a", "b", "c"]);
    }

    private static Sequential SmallNetwork()
    {
        var model = new Sequential(new Conv2D(1, 4, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dropout(0.3f), new Dense(3), new Softmax());
        model.Build(new Shape(1, 8, 8), seed: 4);
        return model;
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void AnInterruptedRun_ResumedFromItsCheckpoint_EndsInTheSameState(OptimizerKind kind)
    {
        var train = RandomImages(100, seed: 1);
        var options = new TrainingOptions(Epochs: 3, BatchSize: 16, Seed: 9, new OptimizerSettings(kind, LearningRate: 0.01f));

        var straight = new TrainingSession(SmallNetwork(), options);
        while (!straight.IsFinished) straight.RunEpoch(train);

        // Stop the second epoch after three batches, as Ctrl+C would, and save a checkpoint.
        var interrupted = new TrainingSession(SmallNetwork(), options);
        interrupted.RunEpoch(train);
        using var stop = new CancellationTokenSource();
        var record = interrupted.RunEpoch(train, onBatch: progress => { if (progress.Batch == 3) stop.Cancel(); }, cancellation: stop.Token);
        Assert.Null(record);
        Assert.True(interrupted.IsMidEpoch);
        string path = Path.Combine(folder, "run.ckpt.cvm");
        interrupted.SaveCheckpoint(path);

        var (resumed, _) = TrainingSession.Resume(path);
        Assert.Equal(1, resumed.CompletedEpochs);
        while (!resumed.IsFinished) resumed.RunEpoch(train);

        Assert.Equal(straight.Model.ParameterValues.ToArray(), resumed.Model.ParameterValues.ToArray());
        Assert.Equal(straight.History.Select(r => (r.TrainLoss, r.TrainAccuracy)), resumed.History.Select(r => (r.TrainLoss, r.TrainAccuracy)));
    }

    [Fact]
    public void APlainModelFile_IsRefusedAsACheckpoint()
    {
        string path = Path.Combine(folder, "model.cvm");
        ModelFile.Save(SmallNetwork(), path);
        var error = Assert.Throws<ModelFormatException>(() => TrainingSession.Resume(path));
        Assert.Equal($"{path}: a model file, but not a training checkpoint (no training state in it).", error.Message);
    }

    [Fact]
    public void HistoryCsv_HasAHeaderAndARowPerEpoch()
    {
        var session = new TrainingSession(SmallNetwork(), new TrainingOptions(Epochs: 2, BatchSize: 32));
        var data = RandomImages(40, seed: 2);
        session.RunEpoch(data, validation: data);
        session.RunEpoch(data, validation: data);
        var lines = session.HistoryCsv().TrimEnd().Split('\n');
        Assert.Equal("epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("2,", lines[2]);
    }
}
