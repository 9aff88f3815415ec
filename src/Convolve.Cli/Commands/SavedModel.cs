using Convolve.Models;
using Convolve.Serialization;

namespace Convolve.Cli.Commands;

/// <summary>A model file read for a command, with the class names and data set it was trained on.</summary>
internal sealed record SavedModel(string Path, Model Model, IReadOnlyList<string>? ClassNames, string? Data)
{
    /// <summary>Reads <paramref name="path"/>; a missing or damaged file gives a message naming it.</summary>
    public static SavedModel Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{path}: no such model file (train one with 'convolve train --out FILE').");
        var (model, extras) = ModelFile.Read(path);
        var classes = extras.Metadata.TryGetValue("classes", out var text) ? text.Split('\n') : null;
        return new SavedModel(path, model, classes, extras.Metadata.GetValueOrDefault("data"));
    }

    /// <summary>The name of class <paramref name="index"/>: from the file when it has names, else the index.</summary>
    public string ClassName(int index) => ClassNames is { } names && index < names.Count ? names[index] : index.ToString();
}
