using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Models;

/// <summary>A named, ready-made network and the item shape it is made for.</summary>
/// <param name="Name">The name used on the command line, e.g. "lenet5".</param>
/// <param name="Description">One line saying what it is.</param>
/// <param name="InputShape">One input item, [C, H, W].</param>
/// <param name="Create">Creates a fresh, unbuilt model for (input channels, classes).</param>
public sealed record Architecture(string Name, string Description, Shape InputShape, Func<int, int, Sequential> Create)
{
    /// <summary>The number of classes the architecture has by default.</summary>
    public int DefaultClasses => Name == "article" ? 2 : 10;

    /// <summary>
    /// A fresh model built for <see cref="InputShape"/> (with <paramref name="channels"/> input
    /// channels when given) and <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.
    /// </summary>
    public Sequential Build(int seed = 0, int? channels = null, int? classes = null)
    {
        var model = Create(channels ?? InputShape[0], classes ?? DefaultClasses);
        model.Build(new Shape(channels ?? InputShape[0], InputShape[1], InputShape[2]), seed);
        return model;
    }
}

/// <summary>
/// The built-in networks, from the article's toy network to the classic MNIST ones. Each method
/// returns a new, unbuilt model; <see cref="Find"/> looks one up by name with its input shape.
/// </summary>
public static class Architectures
{
    /// <summary>
    /// The article's network for a 6x6 grayscale image: one 3x3 filter, ReLU, 2x2 max pooling,
    /// flatten, a dense layer to 2 classes and softmax (6x6x1 -> 4x4x1 -> 2x2x1 -> 4 -> 2).
    /// </summary>
    public static Sequential Article(int channels = 1, int classes = 2) => new(
        new Conv2D(channels, 1, kernelSize: 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(classes), new Softmax());

    /// <summary>The smallest useful MNIST CNN: 32 3x3 filters, ReLU, 2x2 max pooling, a dense layer to 10 classes, softmax.</summary>
    public static Sequential Seed(int channels = 1, int classes = 10) => new(
        new Conv2D(channels, 32, kernelSize: 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(classes), new Softmax());

    /// <summary>
    /// LeNet-5 in its modern form (ReLU and max pooling instead of tanh and subsampling): 6 and 16
    /// 5x5 filters, then dense layers of 120, 84 and 10 units. The first convolution pads by 2 so
    /// that a 28x28 image is treated like LeNet's original 32x32 input.
    /// </summary>
    public static Sequential LeNet5(int channels = 1, int classes = 10) => new(
        new Conv2D(channels, 6, kernelSize: 5, padding: 2), new ReLU(), new MaxPool2D(2),
        new Conv2D(6, 16, kernelSize: 5), new ReLU(), new MaxPool2D(2),
        new Flatten(), new Dense(120), new ReLU(), new Dense(84), new ReLU(), new Dense(classes));

    /// <summary>The classic Keras MNIST CNN without dropout: 32 and 64 3x3 filters, 2x2 max pooling, dense 128, dense 10.</summary>
    public static Sequential MnistCnn(int channels = 1, int classes = 10) => new(
        new Conv2D(channels, 32, kernelSize: 3), new ReLU(), new Conv2D(32, 64, kernelSize: 3), new ReLU(), new MaxPool2D(2),
        new Flatten(), new Dense(128), new ReLU(), new Dense(classes));

    /// <summary>A plain multilayer perceptron for MNIST: 784 inputs, 100 hidden ReLU units, 10 outputs.</summary>
    public static Sequential Mlp(int channels = 1, int classes = 10) => new(new Flatten(), new Dense(100), new ReLU(), new Dense(classes));

    /// <summary>All built-in architectures, in the order they are listed.</summary>
    public static IReadOnlyList<Architecture> All { get; } =
    [
        new("article", "the article's network for a 6x6 image: one 3x3 filter, 2 classes", new Shape(1, 6, 6), Article),
        new("seed", "a minimal MNIST CNN: conv 32 3x3, max pool, dense 10", new Shape(1, 28, 28), Seed),
        new("lenet5", "LeNet-5 (ReLU, max pooling) for 28x28 digits", new Shape(1, 28, 28), LeNet5),
        new("mnist-cnn", "the classic MNIST CNN: conv 32, conv 64, max pool, dense 128, dense 10", new Shape(1, 28, 28), MnistCnn),
        new("mlp", "a multilayer perceptron 784-100-10", new Shape(1, 28, 28), Mlp),
    ];

    /// <summary>The architecture called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static Architecture? Find(string name) =>
        All.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The architecture called <paramref name="name"/>; throws listing the known names otherwise.</summary>
    public static Architecture Get(string name) => Find(name)
        ?? throw new ArgumentException($"'{name}' is not a built-in architecture; known: {string.Join(", ", All.Select(a => a.Name))}.");
}
