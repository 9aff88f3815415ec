using Convolve.Data;
using Convolve.Imaging;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Cli.Commands;

/// <summary>Loading a saved model and one input image for the commands that look inside a model (filters, features).</summary>
internal static class ModelInput
{
    /// <summary>The model saved at <paramref name="path"/>; a missing or damaged file is reported by name.</summary>
    public static Model LoadModel(string path) => SavedModel.Load(path).Model;

    /// <summary>An image file decoded and resized to the model's input [C, H, W] (values 0..1).</summary>
    public static Tensor FromFile(string path, Shape inputShape)
    {
        if (!File.Exists(path)) throw new ArgumentException($"IMAGE '{path}' does not exist.");
        var decoded = new SkiaImageDecoder().Decode(path);
        var image = new Tensor(inputShape);
        ImageResize.ToTensor(decoded, inputShape[0], inputShape[1], inputShape[2], image.Span);
        return image;
    }

    /// <summary>Test image <paramref name="index"/> of the data set <paramref name="data"/>, with its class name.</summary>
    public static (Tensor Image, string ClassName) FromTestSet(string data, int index, Shape inputShape, Terminal terminal)
    {
        var test = DataOption.Load(data, terminal, channels: inputShape[0], height: inputShape[1], width: inputShape[2]).Test;
        if (index < 0 || index >= test.Count)
            throw new ArgumentException($"--index {index} is outside the test set of '{data}', which has images 0 to {test.Count - 1}.");
        if (test.ImageShape != inputShape)
            throw new ArgumentException($"The model takes {inputShape.ToImageString()} images, but '{data}' has {test.ImageShape.ToImageString()}.");
        int size = inputShape.Size;
        var image = new Tensor(inputShape);
        test.Images.Span.Slice(index * size, size).CopyTo(image.Span);
        return (image, test.ClassNames[test.Labels[index]]);
    }
}
