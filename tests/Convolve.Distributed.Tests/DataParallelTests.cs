using Convolve.Data;
using Convolve.Models;
using Convolve.Training;

namespace Convolve.Distributed.Tests;

/// <summary>
/// <see cref="DataParallel"/> with ranks as threads (<see cref="ThreadCommunicator"/>): what the
/// trainer does across processes, without MPI.
/// </summary>
public sealed class DataParallelTests
{
    private static readonly ImageDataset Digits = Datasets.LoadDigits().Train.Subset([.. Enumerable.Range(0, 600)]);

    // 600 digits in batches of 64: 9 full batches and one of 24.
    private static TrainingSession NewSession(int batch = 64)
    {
        var model = Architectures.Get("seed").Build(seed: 3);
        model.SetMaxThreads(1);
        return new TrainingSession(model, new TrainingOptions(Epochs: 2, BatchSize: batch, Seed: 5,
            Optimizer: new OptimizerSettings(OptimizerKind.Sgd, LearningRate: 0.05f), Augmentation: new Augmentation { MaxShift = 1 }));
    }

    [Fact]
    public void Shards_CoverEveryImageOfABatchOnce_InRankOrder()
    {
        for (int size = 1; size <= 5; size++)
            for (int count = 0; count <= 70; count++)
            {
                int next = 0;
                for (int rank = 0; rank < size; rank++)
                {
                    var (start, n) = new DataParallel(new FixedRank(rank, size)).Shard(count);
                    Assert.Equal(next, start);
                    Assert.InRange(n, count / size, count / size + 1);
                    next += n;
                }
                Assert.Equal(count, next);
            }
    }

    [Fact]
    public void OneRank_TrainsBitForBitAsWithout()
    {
        var plain = NewSession();
        plain.RunEpoch(Digits);
        var alone = ThreadCommunicator.Group.Run(1, c =>
        {
            var session = NewSession();
            session.Distribute(new DataParallel(c));
            return (session.RunEpoch(Digits)!, session.Model.ParameterValues.ToArray());
        })[0];
        Assert.Equal(plain.History[0].TrainLoss, alone.Item1.TrainLoss);
        Assert.Equal(plain.History[0].TrainAccuracy, alone.Item1.TrainAccuracy);
        Assert.Equal(plain.Model.ParameterValues.ToArray(), alone.Item2);
    }

    [Fact]
    public void ThreeRanks_TrainAsOneProcess_AndEndWithTheSameWeights()
    {
        var plain = NewSession();
        plain.RunEpoch(Digits);
        plain.RunEpoch(Digits);
        var ranks = ThreadCommunicator.Group.Run(3, c =>
        {
            var session = NewSession();
            if (c.Rank > 0) session.Model.ResetParameters(seed: 99); // rank 0's weights are broadcast
            session.Distribute(new DataParallel(c, bucketSize: 10_000)); // several buckets
            session.RunEpoch(Digits);
            session.RunEpoch(Digits);
            return (session.History, Weights: session.Model.ParameterValues.ToArray());
        });
        Assert.Equal(ranks[0].Weights, ranks[1].Weights);
        Assert.Equal(ranks[0].Weights, ranks[2].Weights);
        var expected = plain.Model.ParameterValues.ToArray();
        float largest = expected.Max(MathF.Abs);
        // Float rounding: each rank sums a third of each batch's gradients, then the thirds are added.
        Assert.All(expected.Zip(ranks[0].Weights), p => Assert.True(MathF.Abs(p.First - p.Second) <= 2e-6f * largest, $"{p.First} against {p.Second}"));
        for (int e = 0; e < 2; e++)
        {
            Assert.Equal(plain.History[e].TrainLoss, ranks[0].History[e].TrainLoss, 1e-5f);
            Assert.Equal(plain.History[e].TrainAccuracy, ranks[0].History[e].TrainAccuracy);
        }
    }

    [Theory]
    [InlineData(2, 64)]
    [InlineData(3, 64)]
    [InlineData(3, 2)] // rank 0's shard of each batch is empty: it starts every bucket after its (absent) backward pass
    public void Overlap_EndsWithTheSameWeightsBitForBit_AsSummingAfterTheBackwardPass(int size, int batch)
    {
        var data = batch == 64 ? Digits : Digits.Subset([.. Enumerable.Range(0, 10)]);
        (float[] Weights, float Loss, int Started) Train(bool overlap) => ThreadCommunicator.Group.Run(size, c =>
        {
            var session = NewSession(batch);
            session.Distribute(new DataParallel(c, bucketSize: 10_000) { Overlap = overlap });
            session.RunEpoch(data);
            return (session.Model.ParameterValues.ToArray(), session.History[0].TrainLoss, c.Started);
        })[0];
        var after = Train(overlap: false);
        var during = Train(overlap: true);
        int steps = (data.Count + batch - 1) / batch, buckets = (after.Weights.Length + 9_999) / 10_000;
        Assert.Equal(0, after.Started);
        Assert.Equal(steps * buckets, during.Started);
        Assert.Equal(after.Loss, during.Loss);
        Assert.Equal(after.Weights, during.Weights);
    }

    [Fact]
    public void Overlap_StartsTheBucketsDuringTheBackwardPass_LastLayersFirst_AsTheyAreSummedAfterIt()
    {
        List<string> Step(bool overlap)
        {
            var model = Architectures.Get("seed").Build(seed: 3);
            var recorder = new Recording();
            var trainer = new Trainer(model, new OptimizerSettings(OptimizerKind.Sgd, LearningRate: 0.01f).Create(model.Parameters), 0.01f)
            {
                Parallel = new DataParallel(recorder, bucketSize: 1_000) { Overlap = overlap },
            };
            var batch = new DataLoader(Digits, new DataLoaderOptions { BatchSize = 16 }).Epoch(0).First();
            trainer.TrainStep(batch.Images, batch.Labels);
            return recorder.Events;
        }
        var after = Step(overlap: false).Where(e => e.StartsWith("sum", StringComparison.Ordinal)).ToList();
        var during = Step(overlap: true);
        // The same buckets in the same order, from the end of the gradients.
        Assert.Equal(after.Select(e => e.Replace("sum", "start", StringComparison.Ordinal)),
            during.Where(e => e.StartsWith("start", StringComparison.Ordinal)));
        Assert.Equal(55, after.Count); // 54,410 gradients in buckets of 1,000
        // Started over several steps of the backward pass (a progress call after each), not all at its end.
        int firstStart = during.IndexOf(during.First(e => e.StartsWith("start", StringComparison.Ordinal)));
        int lastStart = during.LastIndexOf(during.Last(e => e.StartsWith("start", StringComparison.Ordinal)));
        Assert.Contains("test", during[firstStart..lastStart]);
        Assert.Equal("wait", during[^1]);
    }

    [Fact]
    public void RanksWithDifferentOverlap_AreRefusedBeforeTraining()
    {
        var messages = ThreadCommunicator.Group.Run(2, c =>
            Assert.Throws<RankMismatchException>(() => NewSession().Distribute(new DataParallel(c) { Overlap = c.Rank == 1 })).Message);
        Assert.All(messages, m => Assert.StartsWith("rank 1 of 2 has a different gradient all-reduce (bucket size, overlap) from rank 0", m));
    }

    [Fact]
    public void RanksWithDifferentData_AreRefusedOnEveryRank_NamingTheRank()
    {
        var other = Datasets.LoadDigits().Train.Subset([.. Enumerable.Range(1, 600)]);
        var messages = ThreadCommunicator.Group.Run(2, c =>
        {
            var session = NewSession();
            session.Distribute(new DataParallel(c));
            return Assert.Throws<RankMismatchException>(() => session.RunEpoch(c.Rank == 0 ? Digits : other)).Message;
        });
        Assert.All(messages, m => Assert.Equal(
            "rank 1 of 2 has a different training data from rank 0; every rank must start from the same files and options.", m));
    }

    [Fact]
    public void RanksWithDifferentOptions_AreRefusedBeforeTraining()
    {
        var messages = ThreadCommunicator.Group.Run(3, c =>
        {
            var session = NewSession();
            if (c.Rank == 2) session = new TrainingSession(session.Model, session.Options with { Seed = 6 });
            return Assert.Throws<RankMismatchException>(() => session.Distribute(new DataParallel(c))).Message;
        });
        Assert.All(messages, m => Assert.StartsWith("rank 2 of 3 has a different training options or position in the run from rank 0", m));
    }

    [Fact]
    public void AStopOnOneRank_StopsEveryRankAfterTheSameStep()
    {
        var cursors = ThreadCommunicator.Group.Run(2, c =>
        {
            var session = NewSession();
            session.Distribute(new DataParallel(c));
            using var stop = new CancellationTokenSource();
            if (c.Rank == 1) stop.Cancel();
            var record = session.RunEpoch(Digits, cancellation: stop.Token);
            Assert.Null(record);
            return (session.IsMidEpoch, session.Trainer.Optimizer.Steps);
        });
        Assert.All(cursors, c => Assert.Equal((true, 1L), c));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AStep_AllocatesNothing_AfterTheFirstEpoch(bool overlap)
    {
        // One rank whose collectives do nothing: what is measured is the trainer's side of a step.
        var model = Architectures.Get("seed").Build(seed: 3);
        model.SetMaxThreads(1);
        var trainer = new Trainer(model, new OptimizerSettings(OptimizerKind.Sgd, LearningRate: 0.01f).Create(model.Parameters), 0.01f)
        {
            Parallel = new DataParallel(new Silent(), bucketSize: 10_000) { Overlap = overlap },
        };
        long Epoch(int batches, int epoch)
        {
            var loader = new DataLoader(Digits.Subset([.. Enumerable.Range(0, batches * 32)]), new DataLoaderOptions { BatchSize = 32, Seed = 1 });
            trainer.TrainEpoch(loader, epoch); // warm-up: buffers sized, kernels chosen
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.TrainEpoch(loader, epoch + 1);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        long few = Epoch(4, 0), many = Epoch(12, 2);
        Assert.True(many == few, $"an epoch of 4 batches allocated {few} bytes, one of 12 batches {many}: the extra batches allocated");
    }

    private sealed class Silent : ICommunicator
    {
        public int Rank => 0;
        public int Size => 1;
        public void AllReduceSum(Span<float> values) { }
        public void AllReduceSum(Span<double> values) { }
        public void AllReduceSum(Span<long> values) { }
        public void AllReduceMax(Span<long> values) { }
        public void Broadcast(Span<float> values, int root) { }
        public void Barrier() { }
        public void Abort(int exitCode) => throw new NotSupportedException();
    }

    // One rank that records its gradient sums: "sum COUNT" after the backward pass; "start COUNT", "test" and "wait" with overlap.
    private sealed class Recording : ICommunicator
    {
        public List<string> Events { get; } = [];
        public int Rank => 0;
        public int Size => 1;
        public void AllReduceSum(Span<float> values) => Events.Add($"sum {Describe(values)}");
        public void StartAllReduceSum(Memory<float> values) => Events.Add($"start {Describe(values.Span)}");
        public bool TestAll()
        {
            Events.Add("test");
            return true;
        }

        public void WaitAll() => Events.Add("wait");
        public void AllReduceSum(Span<double> values) { }
        public void AllReduceSum(Span<long> values) { }
        public void AllReduceMax(Span<long> values) { }
        public void Broadcast(Span<float> values, int root) { }
        public void Barrier() { }
        public void Abort(int exitCode) => throw new NotSupportedException();

        // The buckets are slices of one array: their lengths and their order identify them.
        private static string Describe(Span<float> values) => values.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class FixedRank(int rank, int size) : ICommunicator
    {
        public int Rank => rank;
        public int Size => size;
        public void AllReduceSum(Span<float> values) => throw new NotSupportedException();
        public void AllReduceSum(Span<double> values) => throw new NotSupportedException();
        public void AllReduceSum(Span<long> values) => throw new NotSupportedException();
        public void AllReduceMax(Span<long> values) => throw new NotSupportedException();
        public void Broadcast(Span<float> values, int root) => throw new NotSupportedException();
        public void Barrier() => throw new NotSupportedException();
        public void Abort(int exitCode) => throw new NotSupportedException();
    }
}
