using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;

namespace Convolve.Cli.Commands;

/// <summary>A model file read for a command, with the class names and data set it was trained on.</summary>
internal sealed record SavedModel(string Path, Model Model, IReadOnlyList<string>? ClassNames, string? Data)
{
    /// <summary>Reads <paramref name="path"/>; a missing or damaged file gives a message naming it.</summary>
    public static SavedModel Load(string path)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"{path}: is a directory, not a model file.");
        if (!File.Exists(path)) throw new ArgumentException($"{path}: no such model file (train one with 'convolve train --out FILE').");
        var (model, extras) = ModelFile.Read(path);
        var classes = extras.Metadata.TryGetValue("classes", out var text) ? text.Split('\n') : null;
        return new SavedModel(path, model, classes, extras.Metadata.GetValueOrDefault("data"));
    }

    /// <summary>The name of class <paramref name="index"/>: from the file when it has names, else the index.</summary>
    public string ClassName(int index) => ClassNames is { } names && index < names.Count ? names[index] : index.ToString();

    /// <summary>How the model wants its images prepared; a model that does not take images is refused, naming the file.</summary>
    public InputPreparation Preparation
    {
        get
        {
            try { return Model.PreparationOrDefault; }
            catch (ShapeException)
            {
                throw new ArgumentException($"{Path}: the model takes inputs {Model.InputShape}, not images [C, H, W] of 1 (gray) or 3 (RGB) channels.");
            }
        }
    }

    /// <summary>Throws, naming the file, unless the model takes images.</summary>
    public void RequireImages() => _ = Preparation;
}
