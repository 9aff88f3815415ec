using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Data;

/// <summary>
/// Pairs an IDX images file ([N, H, W] unsigned bytes) with an IDX labels file ([N] unsigned bytes)
/// into an <see cref="ImageDataset"/> of [N, 1, H, W] images scaled to 0..1 (byte / 255).
/// </summary>
public static class IdxDataset
{
    /// <summary>Reads and pairs two IDX files (plain or gzipped).</summary>
    /// <exception cref="IdxFormatException">A file is invalid, or the two do not match.</exception>
    public static ImageDataset Load(string imagesPath, string labelsPath, IReadOnlyList<string> classNames) =>
        FromArrays(Idx.Read(imagesPath), imagesPath, Idx.Read(labelsPath), labelsPath, classNames);

    /// <summary>
    /// Pairs arrays already read; <paramref name="imagesName"/> and <paramref name="labelsName"/>
    /// are used in error messages.
    /// </summary>
    public static ImageDataset FromArrays(IdxArray images, string imagesName, IdxArray labels, string labelsName,
        IReadOnlyList<string> classNames)
    {
        if (images.Dimensions.Count != 3)
            throw new IdxFormatException(imagesName, 3,
                $"{imagesName}: expected images with 3 dimensions (count x height x width), " +
                $"found {images.Dimensions.Count} ({Idx.FormatDimensions(images.Dimensions)}).");
        if (labels.Dimensions.Count != 1)
            throw new IdxFormatException(labelsName, 3,
                $"{labelsName}: expected labels with 1 dimension (count), found {labels.Dimensions.Count} ({Idx.FormatDimensions(labels.Dimensions)}).");
        if (images.Count != labels.Count)
            throw new IdxFormatException(labelsName, 4,
                $"{imagesName} holds {Idx.N(images.Count)} images but {labelsName} holds {Idx.N(labels.Count)} labels; " +
                "the two files must hold the same number of items.");

        const int labelHeader = 8;
        var labelValues = new int[labels.Count];
        for (int i = 0; i < labelValues.Length; i++)
        {
            int label = labels.Data[i];
            if (label >= classNames.Count)
                throw new IdxFormatException(labelsName, labelHeader + i,
                    $"{labelsName}: byte offset {Idx.N(labelHeader + i)}: label {label} of item {Idx.N(i)} " +
                    $"is outside 0..{classNames.Count - 1} ({classNames.Count} classes).");
            labelValues[i] = label;
        }

        var tensor = new Tensor(new Shape(images.Count, 1, images.Dimensions[1], images.Dimensions[2]));
        ToUnitRange(images.Data, tensor.Span);
        return new ImageDataset(tensor, labelValues, classNames);
    }

    /// <summary>Scales bytes 0..255 to floats 0..1 (exactly <c>b / 255f</c>).</summary>
    public static void ToUnitRange(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        if (values.Length != bytes.Length)
            throw new ArgumentException($"ToUnitRange: {bytes.Length} bytes but {values.Length} floats.");
        // Vectorised, and optimised on first use: this runs once per data set (47 million pixels
        // for MNIST), where a plain loop would still be running tier-0 code.
        TensorPrimitives.ConvertChecked(bytes, values);
        TensorPrimitives.Divide(values, 255f, values);
    }
}
