using Convolve.Layers;
using Convolve.Models;

namespace Convolve.Experiments;

/// <summary>
/// A network taking part in an experiment: a name for tables and a factory for a fresh, unbuilt
/// model with (input channels, classes). The experiment builds it for its own input size, so
/// the same candidate works on 28x28 digits and on a 56x56 canvas.
/// </summary>
public sealed record Candidate(string Name, string Description, Func<int, int, Sequential> Create)
{
    /// <summary>A candidate from a built-in architecture (<see cref="Architectures"/>).</summary>
    public static Candidate From(Architecture architecture) => new(architecture.Name, architecture.Description, architecture.Create);

    /// <summary>The built-in architecture called <paramref name="name"/> as a candidate.</summary>
    public static Candidate Named(string name) => From(Architectures.Get(name));

    /// <summary>The article's ANN: <c>mlp</c>, 100 hidden units.</summary>
    public static Candidate Mlp { get; } = Named("mlp");

    /// <summary>
    /// The <c>seed</c> CNN: convolution and pooling, then a dense layer that reads every position
    /// of the pooled maps with its own weight, so it learns where things were.
    /// </summary>
    public static Candidate DenseHeadCnn { get; } = Named("seed");

    /// <summary>
    /// A CNN whose head averages each feature map over all positions before the dense layer:
    /// conv 8, pool, conv 16, pool, conv 32 (3x3, padding 1, ReLU), global average pooling,
    /// dense. The average does not care where a feature appeared; what remains position-dependent
    /// is the image border (zero padding) and the 2x2 pooling grid (a shift by a multiple of 4
    /// pixels moves every pooled map by whole cells; other shifts change which pixels share a cell).
    /// </summary>
    public static Candidate GlobalPoolCnn { get; } = new("cnn-gap",
        "conv 8, pool, conv 16, pool, conv 32 (3x3, padding 1), global average pooling, dense", CreateGlobalPoolCnn);

    /// <summary>The networks experiments know by name: the built-in architectures and <see cref="GlobalPoolCnn"/>.</summary>
    public static IReadOnlyList<Candidate> All { get; } =
        [.. Architectures.All.Where(a => a.Name != "article").Select(From), GlobalPoolCnn];

    /// <summary>The candidate called <paramref name="name"/> (case-insensitive); throws listing the known names otherwise.</summary>
    public static Candidate Find(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"'{name}' is not a model experiments know; known: {string.Join(", ", All.Select(c => c.Name))}.");

    private static Sequential CreateGlobalPoolCnn(int channels, int classes) => new(
        new Conv2D(channels, 8, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2D(2),
        new Conv2D(8, 16, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2D(2),
        new Conv2D(16, 32, kernelSize: 3, padding: 1), new ReLU(),
        new GlobalAvgPool2D(), new Dense(classes), new Softmax());
}
