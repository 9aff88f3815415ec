using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Tests.Data;

public class DataLoaderTests
{
    /// <summary>
    /// <paramref name="count"/> images of 1x2x3 whose every pixel holds the item's index, so a
    /// batch image tells which item it came from; labels are index % 3.
    /// </summary>
    internal static ImageDataset NumberedDataset(int count, int channels = 1, int height = 2, int width = 3)
    {
        var images = new Tensor(new Shape(count, channels, height, width));
        int itemSize = channels * height * width;
        for (int i = 0; i < count; i++) images.Span.Slice(i * itemSize, itemSize).Fill(i);
        var labels = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        return new ImageDataset(images, labels, ["a", "b", "c"]);
    }

    /// <summary>The item numbers of every batch of an epoch, read back from the pixels.</summary>
    private static List<int[]> ItemsOf(DataLoader loader, int epoch) =>
        loader.Epoch(epoch).Select(b => Enumerable.Range(0, b.Count).Select(i => (int)b.Images.Slice(i).Span[0]).ToArray()).ToList();

    [Theory]
    [InlineData(LastBatch.Keep, new[] { 4, 4, 2 })]
    [InlineData(LastBatch.Drop, new[] { 4, 4 })]
    public void Epoch_TenItemsInBatchesOfFour_GivesTheExpectedBatchSizes(LastBatch last, int[] sizes)
    {
        var loader = new DataLoader(NumberedDataset(10), new DataLoaderOptions { BatchSize = 4, LastBatch = last });

        var batches = loader.Epoch(0).Select(b => (b.Count, b.Images.Shape[0], b.Index)).ToList();

        Assert.Equal(sizes, batches.Select(b => b.Count));
        Assert.Equal(sizes, batches.Select(b => b.Item2));
        Assert.Equal(Enumerable.Range(0, sizes.Length), batches.Select(b => b.Index));
        Assert.Equal(sizes.Length, loader.BatchCount);
        Assert.Equal(sizes.Sum(), loader.ItemsPerEpoch);
    }

    [Fact]
    public void Epoch_EveryItemAppearsExactlyOnce_WithItsLabel()
    {
        var data = NumberedDataset(23);
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = 5, Seed = 7 });

        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = new List<int>();
            foreach (var batch in loader.Epoch(epoch))
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    int item = (int)batch.Images.Slice(i).Span[0];
                    Assert.Equal(item % 3, batch.Labels[i]);
                    seen.Add(item);
                }
            }
            Assert.Equal(Enumerable.Range(0, 23), seen.Order());
        }
    }

    [Fact]
    public void Epoch_SameSeed_SameBatches_OtherEpochOrSeed_OtherOrder()
    {
        var data = NumberedDataset(50);
        var options = new DataLoaderOptions { BatchSize = 8, Seed = 3 };
        var first = new DataLoader(data, options);
        var second = new DataLoader(data, options);

        var a0 = ItemsOf(first, 0).SelectMany(x => x).ToArray();
        var b0 = ItemsOf(second, 0).SelectMany(x => x).ToArray();
        var a1 = ItemsOf(first, 1).SelectMany(x => x).ToArray();
        var otherSeed = ItemsOf(new DataLoader(data, options with { Seed = 4 }), 0).SelectMany(x => x).ToArray();

        Assert.Equal(a0, b0);
        Assert.NotEqual(a0, a1);
        Assert.NotEqual(a0, otherSeed);
        Assert.NotEqual(Enumerable.Range(0, 50), a0);
        // Epoch 1 of a fresh loader equals epoch 1 of one that ran epoch 0 first (resumable).
        Assert.Equal(a1, ItemsOf(new DataLoader(data, options), 1).SelectMany(x => x));
    }

    [Fact]
    public void Epoch_WithoutShuffle_KeepsDataSetOrder()
    {
        var loader = new DataLoader(NumberedDataset(7), new DataLoaderOptions { BatchSize = 3, Shuffle = false });

        Assert.Equal(Enumerable.Range(0, 7), ItemsOf(loader, 0).SelectMany(x => x));
    }

    [Fact]
    public void Epoch_ReusesOneBatchTensor_AndOneLabelArray()
    {
        var loader = new DataLoader(NumberedDataset(20), new DataLoaderOptions { BatchSize = 6 });

        var batches = loader.Epoch(0).Select(b => (b.Images, b.Labels)).ToList();
        var again = loader.Epoch(1).Select(b => (b.Images, b.Labels)).ToList();

        Assert.Same(batches[0].Images, batches[1].Images);
        Assert.Same(batches[0].Labels, batches[2].Labels);
        // The last batch (2 items) is a view on the same buffer, made once.
        Assert.Same(batches[0].Images.Buffer, batches[3].Images.Buffer);
        Assert.Same(batches[3].Images, again[3].Images);
        Assert.Same(batches[3].Labels, again[3].Labels);
    }

    [Fact]
    public void Epoch_SteadyState_AllocatesNothingPerBatch()
    {
        var loader = new DataLoader(NumberedDataset(1000), new DataLoaderOptions { BatchSize = 1, Seed = 1 });
        foreach (var _ in loader.Epoch(0)) { }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int batches = 0;
        foreach (var _ in loader.Epoch(1)) batches++;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1000, batches);
        // One enumerator and one Random per epoch are a few hundred bytes; anything allocated per
        // batch, even a 24-byte object, would add 24,000.
        Assert.True(allocated < 4000, $"an epoch of 1,000 batches allocated {allocated} bytes");
    }

    [Fact]
    public void Epoch_AugmentationDoesNotChangeTheOrder()
    {
        var data = NumberedDataset(30);
        var plain = new DataLoader(data, new DataLoaderOptions { BatchSize = 4, Seed = 9 });
        var augmented = new DataLoader(data, new DataLoaderOptions { BatchSize = 4, Seed = 9, Augmentation = new Augmentation { MaxShift = 1 } });

        var plainLabels = plain.Epoch(0).SelectMany(b => b.Labels.ToArray()).ToArray();
        var plainOrder = plain.Order.ToArray();
        var augmentedLabels = augmented.Epoch(0).SelectMany(b => b.Labels.ToArray()).ToArray();

        Assert.Equal(plainLabels, augmentedLabels);
        Assert.Equal(plainOrder, augmented.Order.ToArray());
    }

    [Fact]
    public void Epoch_WhileAnotherIsRunning_Throws()
    {
        var loader = new DataLoader(NumberedDataset(10), new DataLoaderOptions { BatchSize = 2 });

        using var outer = loader.Epoch(0).GetEnumerator();
        outer.MoveNext();
        var e = Assert.Throws<InvalidOperationException>(() => loader.Epoch(1).First());

        Assert.StartsWith("DataLoader: an epoch is already being iterated", e.Message);
    }

    [Fact]
    public void Constructor_ZeroBatchSize_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(NumberedDataset(3), new DataLoaderOptions { BatchSize = 0 }));

        Assert.StartsWith("DataLoader: batch size is 0; it must be 1 or more.", e.Message);
    }

    [Fact]
    public void Epoch_BatchLargerThanDataSet_GivesOneBatchOrNone()
    {
        var keep = new DataLoader(NumberedDataset(3), new DataLoaderOptions { BatchSize = 10 });
        var drop = new DataLoader(NumberedDataset(3), new DataLoaderOptions { BatchSize = 10, LastBatch = LastBatch.Drop });

        Assert.Equal([3], keep.Epoch(0).Select(b => b.Count));
        Assert.Empty(drop.Epoch(0));
    }
}
