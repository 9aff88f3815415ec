using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Convolve.Data;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Transfer;

/// <summary>Features read from or written to a cache file.</summary>
/// <param name="Features">[N, ...the model's output item shape].</param>
/// <param name="Path">The cache file.</param>
/// <param name="Reused">Whether they were read from the file (false: computed, then written).</param>
/// <param name="Note">Why an existing file was not used, or null.</param>
public sealed record CachedFeatures(Tensor Features, string Path, bool Reused, string? Note);

/// <summary>
/// Runs a frozen model (a backbone, or the front of one) over many inputs once, and keeps the
/// result in a file so that a second run with the same model and inputs reads it instead.
/// </summary>
public static class Features
{
    /// <summary>
    /// The outputs of <paramref name="model"/> for every item of <paramref name="inputs"/>
    /// [N, ...model.InputShape], in evaluation mode, <paramref name="batchSize"/> items at a time:
    /// [N, ...output item shape]. <paramref name="progress"/> gets (items done, N) after each batch.
    /// </summary>
    public static Tensor Extract(Model model, Tensor inputs, int batchSize = 16, Action<int, int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int n = inputs.Shape[0];
        var itemShape = model.GetOutputShape(model.InputShape.Prepend(1)).ItemShape;
        var features = new Tensor(itemShape.Prepend(n));
        int itemSize = itemShape.Size;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var output = model.Forward(inputs.Slice(start, count), training: false);
            output.Span.CopyTo(features.Span.Slice(start * itemSize, count * itemSize));
            progress?.Invoke(start + count, n);
        }
        return features;
    }

    /// <summary>
    /// A hex SHA-256 over everything the outputs of <paramref name="model"/> on
    /// <paramref name="inputs"/> depend on: the layers and their options, every parameter value,
    /// the inputs' shape and values, and <paramref name="description"/> (what the caller knows
    /// besides, e.g. the hashes of the files the model came from).
    /// </summary>
    public static string Key(Model model, Tensor inputs, string description)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"convolve-features-1\n{description}\n{model.InputShape}\n"));
        foreach (var layer in model.Layers) hash.AppendData(Encoding.UTF8.GetBytes($"{layer.Name}:{layer}\n"));
        // Through the parameter objects, not Model.ParameterValues: a model cut by ModelParts no
        // longer holds its parameters in its own buffer.
        foreach (var (key, parameter) in model.NamedParameters)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{key}{parameter.Shape}\n"));
            hash.AppendData(MemoryMarshal.AsBytes(parameter.Value.Span));
        }
        hash.AppendData(Encoding.UTF8.GetBytes($"inputs{inputs.Shape}\n"));
        hash.AppendData(MemoryMarshal.AsBytes(inputs.Span));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The file that caches the features for <paramref name="key"/>:
    /// <c>{stem}.features-{first 16 hex digits of the key}.npy</c> in <paramref name="directory"/>.
    /// </summary>
    public static string CachePath(string directory, string stem, string key) =>
        System.IO.Path.Combine(directory, $"{stem}.features-{key[..16]}.npy");

    /// <summary>
    /// The features of <paramref name="model"/> on <paramref name="inputs"/>: read from
    /// <paramref name="path"/> when it holds float32 values of the expected shape, else computed with
    /// <see cref="Extract"/> and written there (a .npy file, atomically). The path should come from
    /// <see cref="CachePath"/> with a <see cref="Key"/> of the same model and inputs, so that a
    /// changed model or input lands in another file.
    /// </summary>
    public static CachedFeatures GetOrCompute(string path, Model model, Tensor inputs, int batchSize = 16, Action<int, int>? progress = null)
    {
        var expected = model.GetOutputShape(model.InputShape.Prepend(1)).ItemShape.Prepend(inputs.Shape[0]);
        string? note = null;
        if (File.Exists(path))
        {
            try
            {
                var cached = Npy.Read(path);
                if (cached.DType == "<f4" && cached.Shape.AsSpan().SequenceEqual(expected.Dims))
                    return new CachedFeatures(new Tensor(expected, cached.Values), path, Reused: true, Note: null);
                note = $"{path} holds {cached.DType} ({string.Join(", ", cached.Shape)}), not <f4 {expected}; computed again";
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                note = $"{e.Message} Computed again";
            }
        }
        var features = Extract(model, inputs, batchSize, progress);
        Npy.WriteFloat32(path, features.Shape.Dims, features.Span);
        return new CachedFeatures(features, path, Reused: false, note);
    }
}
