using Convolve.Tensors;

namespace Convolve.Data;

/// <summary>What to do with the items left over when the data set size is not a multiple of the batch size.</summary>
public enum LastBatch
{
    /// <summary>Yield them as a last, smaller batch (every item is seen once per epoch).</summary>
    Keep,

    /// <summary>Leave them out of this epoch (every batch has the same size; with shuffling, other items are left out next epoch).</summary>
    Drop,
}

/// <summary>Options of a <see cref="DataLoader"/>.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Images per batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Visit the items in a new random order each epoch (false: in data set order).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seed of the shuffling and augmentation; each epoch derives its own stream from it.</summary>
    public int Seed { get; init; }

    /// <summary>What to do with a last partial batch.</summary>
    public LastBatch LastBatch { get; init; } = LastBatch.Keep;

    /// <summary>Random changes to each image as it is batched; null for none.</summary>
    public Augmentation? Augmentation { get; init; }
}

/// <summary>
/// One batch: <see cref="Images"/> [n, C, H, W] and <see cref="Labels"/> (n class indices).
/// Both belong to the loader and are overwritten by the next batch: copy them to keep them.
/// </summary>
/// <param name="Index">The batch's position in the epoch, from 0.</param>
/// <param name="Images">The images, [n, C, H, W]; n is smaller than the batch size only for a last partial batch.</param>
/// <param name="Labels">The class index of each image, n of them.</param>
public readonly record struct Batch(Tensor Images, int[] Labels, int Index)
{
    /// <summary>Number of images in this batch.</summary>
    public int Count => Labels.Length;
}

/// <summary>
/// Cuts an in-memory <see cref="ImageDataset"/> into batches for training: a seeded order per
/// epoch, the images copied (and augmented) into one batch tensor that is reused for every batch.
/// </summary>
/// <remarks>
/// <para>The order and augmentation of epoch <c>e</c> depend only on (seed, e): a run resumed at
/// epoch <c>e</c>, or at batch <c>b</c> of it (<see cref="Epoch"/>'s <c>firstBatch</c>), sees the
/// same batches as one that never stopped. Shuffling is a Fisher-Yates pass with a
/// <see cref="Random"/> seeded from (seed, epoch); the augmentation of the item at position
/// <c>p</c> of the epoch is decided by a key hashed from (seed, epoch, p).</para>
/// <para>Batches are prepared on the training thread, with no prefetching: the data set is already
/// in memory, so a batch is a gather of <c>n</c> item copies (plus the shift/flip): copying an
/// image costs microseconds, a small part of the forward and backward pass of its batch. A
/// background thread would save that and take a core from the kernels. Image folders are decoded
/// once, when loaded, for the same reason.</para>
/// </remarks>
public sealed class DataLoader
{
    private readonly int[] order;
    private readonly int channels, height, width, itemSize;
    private readonly Tensor fullImages;
    private readonly int[] fullLabels;
    private Tensor? partialImages;
    private int[]? partialLabels;
    private bool iterating;

    /// <summary>A loader over <paramref name="data"/>; nothing is read or shuffled until it is enumerated.</summary>
    /// <param name="data">The images and labels to batch.</param>
    /// <param name="options">Batch size, shuffling, seed, augmentation and what to do with a last partial batch.</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is below 1 or the augmentation's shift is negative.</exception>
    public DataLoader(ImageDataset data, DataLoaderOptions options)
    {
        if (options.BatchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"DataLoader: batch size is {options.BatchSize}; it must be 1 or more.");
        if (options.Augmentation is { MaxShift: < 0 } bad)
            throw new ArgumentOutOfRangeException(nameof(options), $"DataLoader: augmentation MaxShift is {bad.MaxShift}; it must be 0 or more.");
        Data = data;
        Options = options;
        order = new int[data.Count];
        // Read once: ImageDataset.ImageShape makes a new Shape on every call.
        var item = data.ImageShape;
        (channels, height, width, itemSize) = (item[0], item[1], item[2], item.Size);
        int capacity = Math.Min(options.BatchSize, data.Count);
        fullImages = new Tensor(data.ImageShape.Prepend(capacity));
        fullLabels = new int[capacity];
    }

    /// <summary>The data set batched.</summary>
    public ImageDataset Data { get; }

    /// <summary>The options given.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>Batches in one epoch, counting a last partial batch when it is kept.</summary>
    public int BatchCount => Options.LastBatch == LastBatch.Keep
        ? (Data.Count + Options.BatchSize - 1) / Options.BatchSize
        : Data.Count / Options.BatchSize;

    /// <summary>Images in one epoch (fewer than the data set when a partial batch is dropped).</summary>
    public int ItemsPerEpoch => Options.LastBatch == LastBatch.Keep ? Data.Count : BatchCount * Options.BatchSize;

    /// <summary>The item order of the epoch last started (or being iterated), data set indices.</summary>
    public ReadOnlySpan<int> Order => order;

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> (from 0), starting at batch
    /// <paramref name="firstBatch"/>: a run stopped after batch <c>b</c> continues with
    /// <c>Epoch(epoch, b + 1)</c> and gets exactly the batches it would have had. A batch is valid
    /// until the next one is requested; one epoch at a time per loader.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int firstBatch = 0)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), $"DataLoader: epoch is {epoch}; epochs count from 0.");
        if (firstBatch < 0 || firstBatch > BatchCount)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), $"DataLoader: first batch is {firstBatch}; an epoch has batches 0..{BatchCount - 1}.");
        return Iterate(epoch, firstBatch);
    }

    private IEnumerable<Batch> Iterate(int epoch, int firstBatch)
    {
        if (iterating)
            throw new InvalidOperationException(
                "DataLoader: an epoch is already being iterated; its batches share one buffer, so finish it (or use a second loader) first.");
        iterating = true;
        try
        {
            for (int i = 0; i < order.Length; i++) order[i] = i;
            if (Options.Shuffle) Seeds.Shuffle(order.AsSpan(), new Random(Seeds.Derive(Options.Seed, epoch, Seeds.ShuffleStream)));
            var augmentation = Options.Augmentation is { IsIdentity: false } a ? a : null;

            int batchSize = Options.BatchSize;
            for (int b = firstBatch; b < BatchCount; b++)
            {
                int start = b * batchSize;
                int count = Math.Min(batchSize, order.Length - start);
                var (images, labels) = Buffers(count);
                Fill(epoch, start, count, images, labels, augmentation);
                yield return new Batch(images, labels, b);
            }
        }
        finally
        {
            iterating = false;
        }
    }

    private (Tensor Images, int[] Labels) Buffers(int count)
    {
        if (count == fullLabels.Length) return (fullImages, fullLabels);
        if (partialLabels is null || partialLabels.Length != count)
        {
            // A view on the front of the full buffer: the last batch allocates only once.
            partialImages = new Tensor(fullImages.Shape.WithBatch(count), fullImages.Buffer, fullImages.Offset);
            partialLabels = new int[count];
        }
        return (partialImages!, partialLabels);
    }

    private void Fill(int epoch, int start, int count, Tensor images, int[] labels, Augmentation? augmentation)
    {
        var source = Data.Images.Span;
        var target = images.Span;
        for (int i = 0; i < count; i++)
        {
            int item = order[start + i];
            var from = source.Slice(item * itemSize, itemSize);
            var to = target.Slice(i * itemSize, itemSize);
            if (augmentation is null) from.CopyTo(to);
            else augmentation.Apply(from, to, channels, height, width, Seeds.Key(Options.Seed, epoch, Seeds.AugmentStream, start + i));
            labels[i] = Data.Labels[item];
        }
    }
}
