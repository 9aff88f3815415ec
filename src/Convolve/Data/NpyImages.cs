using System.Globalization;
using Convolve.Tensors;

namespace Convolve.Data;

/// <summary>
/// Labelled images from NumPy files: the images from a <c>.npy</c> array, the labels from a
/// second array, from runs typed on the command line (<c>face:100,non-face:100</c>), or, for
/// scikit-image's <c>lfw_subset.npy</c>, from what that file is known to hold.
/// </summary>
public static class NpyImages
{
    /// <summary>
    /// The file name of scikit-image's face subset (Debian: python3-skimage,
    /// <c>/usr/lib/python3/dist-packages/skimage/data/lfw_subset.npy</c>): 200 gray 25x25 crops in
    /// 0..1 (float64), the first 100 faces from Labeled Faces in the Wild, then 100 non-faces cut
    /// from the backgrounds of the same photos (skimage.data.lfw_subset's docstring says so).
    /// </summary>
    public const string LfwSubsetFileName = "lfw_subset.npy";

    /// <summary>
    /// The images of <paramref name="array"/> as [N, C, H, W] in 0..1: uint8 values are divided by
    /// 255, float values are taken as they are. Shapes: (N, H, W) is gray; (N, H, W, C) with C 1
    /// or 3 is channels-last (NumPy's usual image layout); (N, C, H, W) with C 1 or 3 and a last
    /// dimension that is not 1 or 3 is channels-first.
    /// </summary>
    /// <exception cref="InvalidDataException">Another shape; the message names <paramref name="name"/>.</exception>
    public static Tensor ToImages(NpyArray array, string name)
    {
        int[] s = array.Shape;
        string shape = $"({string.Join(", ", s)})";
        if (s.Length is not (3 or 4) || s.Any(d => d == 0))
            throw new InvalidDataException($"{name}: images of shape {shape}; expected (N, H, W) gray images, (N, H, W, C) or (N, C, H, W) with C 1 or 3.");
        float divisor = array.DType == "|u1" ? 255f : 1f;
        if (s.Length == 3)
        {
            var gray = new Tensor(new Shape(s[0], 1, s[1], s[2]));
            for (int i = 0; i < gray.Length; i++) gray[i] = array.Values[i] / divisor;
            return gray;
        }
        if (s[3] is 1 or 3)
        {
            int n = s[0], h = s[1], w = s[2], c = s[3];
            var images = new Tensor(new Shape(n, c, h, w));
            var from = array.Values;
            for (int i = 0; i < n; i++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        for (int k = 0; k < c; k++)
                            images[i, k, y, x] = from[((i * h + y) * w + x) * c + k] / divisor;
            return images;
        }
        if (s[1] is 1 or 3)
        {
            var images = new Tensor(new Shape(s));
            for (int i = 0; i < images.Length; i++) images[i] = array.Values[i] / divisor;
            return images;
        }
        throw new InvalidDataException($"{name}: images of shape {shape}; expected (N, H, W) gray images, (N, H, W, C) or (N, C, H, W) with C 1 or 3.");
    }

    /// <summary>
    /// The labels and class names of <see cref="LfwSubsetFileName"/> when <paramref name="path"/>
    /// is that file (by name) with 200 images: "face" for the first 100, "non-face" for the rest;
    /// null otherwise.
    /// </summary>
    public static (int[] Labels, string[] ClassNames)? KnownLabels(string path, int count) =>
        string.Equals(Path.GetFileName(path), LfwSubsetFileName, StringComparison.OrdinalIgnoreCase) && count == 200
            ? ParseRuns("face:100,non-face:100", count, LfwSubsetFileName)
            : ((int[], string[])?)null;

    /// <summary>
    /// Labels from runs of consecutive images, <c>NAME:COUNT,NAME:COUNT,...</c> in file order: the
    /// first COUNT images are of the first class, and so on; the counts must add up to
    /// <paramref name="count"/>. A name may appear in several runs.
    /// </summary>
    /// <exception cref="ArgumentException">Malformed text or a wrong total; the message quotes <paramref name="source"/>.</exception>
    public static (int[] Labels, string[] ClassNames) ParseRuns(string text, int count, string source)
    {
        var names = new List<string>();
        var labels = new List<int>();
        foreach (string run in text.Split(',', StringSplitOptions.TrimEntries))
        {
            int colon = run.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(run.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n <= 0)
                throw new ArgumentException($"{source}: '{run}' is not a run NAME:COUNT (e.g. face:100,non-face:100).");
            string name = run[..colon];
            int label = names.IndexOf(name);
            if (label < 0)
            {
                label = names.Count;
                names.Add(name);
            }
            labels.AddRange(Enumerable.Repeat(label, n));
        }
        if (labels.Count != count)
            throw new ArgumentException($"{source}: the runs '{text}' label {labels.Count} images, but there are {count}.");
        return ([.. labels], [.. names]);
    }

    /// <summary>
    /// Labels from a .npy array of <paramref name="count"/> whole numbers (any supported type) in
    /// [0, classes); the class names are the numbers ("0", "1", ...).
    /// </summary>
    public static (int[] Labels, string[] ClassNames) FromArray(NpyArray array, int count, string name)
    {
        if (array.Shape.Length != 1 || array.Shape[0] != count)
            throw new InvalidDataException($"{name}: labels of shape ({string.Join(", ", array.Shape)}); expected ({count},), one per image.");
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            float v = array.Values[i];
            if (v < 0 || v != MathF.Floor(v) || v > 1_000_000)
                throw new InvalidDataException($"{name}: label {i} is {v.ToString(CultureInfo.InvariantCulture)}; labels must be whole numbers from 0.");
            labels[i] = (int)v;
        }
        int classes = labels.Max() + 1;
        return (labels, [.. Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture))]);
    }
}
