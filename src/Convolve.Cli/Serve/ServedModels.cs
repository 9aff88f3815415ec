using Convolve.Cli.Commands;
using Convolve.Models;
using Convolve.Onnx;

namespace Convolve.Cli.Serve;

/// <summary>
/// The models the pages can use, by short name: those named on the command line and those trained
/// on the Train page during this run. The browser names a model, never a path, so it can reach no
/// other file. A model's layers keep buffers between calls, so each model is used by one request
/// at a time (<see cref="ServedModel.Use{T}"/>).
/// </summary>
internal sealed class ServedModels
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, ServedModel> byName = new(StringComparer.Ordinal);
    private readonly List<string> order = [];

    /// <summary>Loads every file in <paramref name="paths"/>; a missing or damaged file fails here, at start, naming it.</summary>
    public static ServedModels Load(IEnumerable<string> paths)
    {
        var models = new ServedModels();
        foreach (string path in paths)
        {
            var (model, classes) = ReadFile(path);
            models.Add(Path.GetFileNameWithoutExtension(path), model, classes, $"file {Path.GetFileName(path)}");
        }
        return models;
    }

    /// <summary>A .cvm model file (with its class names) or an ONNX file.</summary>
    public static (Model Model, IReadOnlyList<string>? ClassNames) ReadFile(string path)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(path)) throw new ArgumentException($"{path}: no such ONNX file.");
            return (OnnxImporter.Load(path), null);
        }
        var saved = SavedModel.Load(path);
        return (saved.Model, saved.ClassNames);
    }

    /// <summary>
    /// Adds <paramref name="model"/> under <paramref name="name"/> (made unique with a suffix if taken)
    /// and returns the name used. <paramref name="origin"/> says where it came from, for the page.
    /// </summary>
    public string Add(string name, Model model, IReadOnlyList<string>? classNames, string origin)
    {
        lock (gate)
        {
            string unique = name;
            for (int i = 2; byName.ContainsKey(unique); i++) unique = $"{name}-{i}";
            byName[unique] = new ServedModel(unique, model, classNames, origin);
            order.Add(unique);
            return unique;
        }
    }

    /// <summary>The names, in the order the models were added.</summary>
    public IReadOnlyList<string> Names
    {
        get { lock (gate) return [.. order]; }
    }

    /// <summary>The model called <paramref name="name"/>; an unknown name is a bad request that lists the known ones.</summary>
    public ServedModel Get(string? name)
    {
        lock (gate)
        {
            if (name is not null && byName.TryGetValue(name, out var model)) return model;
            string known = order.Count == 0 ? "none yet: pass model files to 'convolve serve' or train one on the Train page"
                : string.Join(", ", order);
            throw new ArgumentException(name is null ? $"No model named; the models are: {known}." : $"No model called '{name}'; the models are: {known}.");
        }
    }
}

/// <summary>One model the server offers, with the lock that keeps it to one request at a time.</summary>
internal sealed class ServedModel(string name, Model model, IReadOnlyList<string>? classNames, string origin)
{
    private readonly Lock gate = new();

    /// <summary>The short name the pages use.</summary>
    public string Name { get; } = name;

    /// <summary>Where it came from ("file mnist.cvm", "trained on the Train page").</summary>
    public string Origin { get; } = origin;

    /// <summary>Class names from the model file, or null (the classes are then numbered).</summary>
    public IReadOnlyList<string>? ClassNames { get; } = classNames;

    /// <summary>The name of class <paramref name="index"/>.</summary>
    public string ClassName(int index) => ClassNames is { } names && index < names.Count ? names[index] : index.ToString();

    /// <summary>Runs <paramref name="work"/> on the model, alone.</summary>
    public T Use<T>(Func<Model, T> work)
    {
        lock (gate) return work(model);
    }
}
