using Convolve.Tensors;

namespace Convolve.Data;

/// <summary>
/// Labelled images held in memory: <see cref="Images"/> is [N, C, H, W] with values scaled as the
/// model expects (usually 0..1), <see cref="Labels"/> holds N class indices in [0, ClassCount).
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Labelled images (not copied).</summary>
    /// <param name="images">The images, [N, C, H, W].</param>
    /// <param name="labels">N class indices, each in [0, <paramref name="classNames"/>.Count).</param>
    /// <param name="classNames">The name of each class, by index.</param>
    /// <exception cref="Tensors.ShapeException">The images are not [N, C, H, W].</exception>
    /// <exception cref="ArgumentException">The label count is not N, or a label is out of range.</exception>
    public ImageDataset(Tensor images, int[] labels, IReadOnlyList<string> classNames)
    {
        if (images.Shape.Rank != 4)
            throw new ShapeException($"ImageDataset: expected images [N, C, H, W], got {images.Shape}.");
        if (labels.Length != images.Shape[0])
            throw new ArgumentException($"ImageDataset: {images.Shape[0]} images but {labels.Length} labels.");
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"ImageDataset: label {labels[i]} of image {i} is outside [0, {classNames.Count}).");
        }
        Images = images;
        ImageShape = images.Shape.ItemShape;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>The images, [N, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>One class index per image.</summary>
    public int[] Labels { get; }

    /// <summary>The name of each class, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>The shape of one image, [C, H, W].</summary>
    public Shape ImageShape { get; }

    /// <summary>A new data set with the images at <paramref name="indices"/>, in that order (copied).</summary>
    public ImageDataset Subset(ReadOnlySpan<int> indices)
    {
        if (indices.Length == 0) throw new ArgumentException("ImageDataset.Subset: no indices given.");
        int itemSize = ImageShape.Size;
        var images = new Tensor(Images.Shape.WithBatch(indices.Length));
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Images.Span.Slice(indices[i] * itemSize, itemSize).CopyTo(images.Span.Slice(i * itemSize, itemSize));
            labels[i] = Labels[indices[i]];
        }
        return new ImageDataset(images, labels, ClassNames);
    }
}
