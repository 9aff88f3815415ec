using Convolve.Data;
using Convolve.Imaging;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Cli.Commands;

/// <summary>Loading a saved model and one input image for the commands that look inside a model (filters, features).</summary>
internal static class ModelInput
{
    /// <summary>The model saved at <paramref name="path"/>; a missing or damaged file is reported by name.</summary>
    public static Model LoadModel(string path) => SavedModel.Load(path).Model;

    /// <summary>
    /// An image file decoded and prepared as <paramref name="model"/> expects (see
    /// <see cref="Model.PreparationOrDefault"/>), with what was done to it.
    /// </summary>
    public static (Tensor Image, PreparationReport Report) FromFile(string path, Model model)
    {
        var decoded = Decode(new SkiaImageDecoder(), path);
        var image = new Tensor(model.InputShape);
        var report = model.PreparationOrDefault.Prepare(decoded, image.Span);
        return (image, report);
    }

    /// <summary>Decodes <paramref name="path"/>; a folder or a missing file gets a message naming it once.</summary>
    public static DecodedImage Decode(IImageDecoder decoder, string path)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"{path}: is a directory, not an image.");
        if (!File.Exists(path)) throw new ArgumentException($"{path}: no such file.");
        return decoder.Decode(path);
    }

    /// <summary><paramref name="message"/> about <paramref name="file"/>, starting with the file's name once (decoders already put it first).</summary>
    public static string NameOnce(string file, string message) =>
        message.StartsWith(file + ":", StringComparison.Ordinal) ? message : $"{file}: {message}";

    /// <summary>
    /// Test image <paramref name="index"/> of the data set <paramref name="data"/>, prepared for <paramref name="model"/>, with its class name.
    /// </summary>
    public static (Tensor Image, string ClassName) FromTestSet(string data, int index, Model model, Terminal terminal)
    {
        var inputShape = model.InputShape;
        var test = DataOption.Load(data, terminal, channels: inputShape[0], height: inputShape[1], width: inputShape[2]).Test;
        if (index < 0 || index >= test.Count)
            throw new ArgumentException($"--index {index} is outside the test set of '{data}', which has images 0 to {test.Count - 1}.");
        if (test.ImageShape != inputShape)
            throw new ArgumentException($"The model takes {inputShape.ToImageString()} images, but '{data}' has {test.ImageShape.ToImageString()}.");
        int size = inputShape.Size;
        var image = new Tensor(inputShape);
        test.Images.Span.Slice(index * size, size).CopyTo(image.Span);
        model.PreparationOrDefault.Apply(image.Span);
        return (image, test.ClassNames[test.Labels[index]]);
    }
}
