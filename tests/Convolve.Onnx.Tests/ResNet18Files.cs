using System.Reflection;
using Convolve.Data;
using Convolve.Imaging;
using Convolve.Tensors;

namespace Convolve.Onnx.Tests;

/// <summary>
/// The files of the ResNet-18 test: the ONNX models of the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (MIT; its path is compiled into this assembly
/// by the project file), and photos from two Debian packages, python3-skimage (scikit-image's
/// sample images) and darknet (its sample data).
/// </summary>
public static class ResNet18Files
{
    /// <summary>The restored package's folder, as MSBuild knew it when it built the tests.</summary>
    public static string PackageDirectory =>
        typeof(ResNet18Files).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "ResNet18Package")?.Value ?? "";

    /// <summary>ImageNet ResNet-18 without its classifier: [1, 3, 224, 224] BGR minus the mean image to [1, 512, 1, 1] features (opset 8).</summary>
    public static string Model => Path.Combine(PackageDirectory, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The preprocessing graph: RGB [1, 3, 224, 224] in 0..255 to BGR minus a mean image (Split, Concat, Sub).</summary>
    public static string Preprocessing => Path.Combine(PackageDirectory, "tools", "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    private const string Skimage = "/usr/lib/python3/dist-packages/skimage/data";
    private const string Darknet = "/usr/share/darknet/data";

    /// <summary>The photos: people, animals, objects and scenes, of several sizes, PNG and JPEG.</summary>
    public static IReadOnlyList<string> Photos { get; } =
    [
        $"{Skimage}/astronaut.png", $"{Skimage}/chelsea.png", $"{Skimage}/coffee.png", $"{Skimage}/rocket.jpg", $"{Skimage}/motorcycle_left.png",
        $"{Darknet}/dog.jpg", $"{Darknet}/eagle.jpg", $"{Darknet}/horses.jpg",
    ];

    /// <summary>Why the test cannot run here, or null when every file is present (see <see cref="TestDataRequirement"/>).</summary>
    public static string? Missing
    {
        get
        {
            var why = new List<string>();
            if (!File.Exists(Model) || !File.Exists(Preprocessing))
                why.Add("the ONNX files of NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 are not at " +
                    $"{Path.GetDirectoryName(Path.GetDirectoryName(Model))} (restore the test project)");
            var photos = Photos.Where(p => !File.Exists(p)).ToList();
            if (photos.Count > 0)
                why.Add($"photos missing: {string.Join(", ", photos)} (apt-get install python3-skimage darknet)");
            return why.Count == 0 ? null : $"{string.Join("; ", why)}.";
        }
    }

    /// <summary>
    /// The preprocessing graph and the network as one model: the network's input is fed by the
    /// preprocessing's output (both files use operator set 8 and share no value names). Input:
    /// RGB [1, 3, 224, 224] in 0..255; output: the 512 features [1, 512, 1, 1].
    /// </summary>
    public static byte[] PreprocessingAndModel()
    {
        var preprocessing = OnnxModel.Load(Preprocessing).Proto;
        var network = OnnxModel.Load(Model).Proto;
        var combined = preprocessing.Clone();
        var graph = combined.Graph;
        string from = network.Graph.Input.Single().Name, to = preprocessing.Graph.Output.Single().Name;
        foreach (var node in network.Graph.Node)
        {
            var copy = node.Clone();
            for (int i = 0; i < copy.Input.Count; i++)
                if (copy.Input[i] == from) copy.Input[i] = to;
            graph.Node.Add(copy);
        }
        graph.Initializer.Add(network.Graph.Initializer);
        graph.ValueInfo.Add(network.Graph.ValueInfo);
        graph.Output.Clear();
        graph.Output.Add(network.Graph.Output);
        return Google.Protobuf.MessageExtensions.ToByteArray(combined);
    }

    /// <summary>
    /// The photo at <paramref name="path"/> as the preprocessing graph's input: RGB resized to
    /// 224x224 (bilinear, by Convolve.Imaging and <see cref="ImageResize"/>), values 0..255, [3, 224, 224].
    /// </summary>
    public static Tensor Photo(string path)
    {
        var image = new SkiaImageDecoder().Decode(path);
        var pixels = new Tensor(new Shape(3, 224, 224));
        ImageResize.ToTensor(image, 3, 224, 224, pixels.Span);
        System.Numerics.Tensors.TensorPrimitives.Multiply(pixels.Span, 255f, pixels.Span);
        return pixels;
    }

    /// <summary>
    /// What the preprocessing graph computes, written out: channels reversed (RGB to BGR) and the
    /// graph's MeanImage initializer [1, 3, 224, 224] subtracted. Batch of <paramref name="photos"/>.
    /// </summary>
    public static Tensor Preprocess(IReadOnlyList<Tensor> photos)
    {
        var meanImage = OnnxModel.Load(Preprocessing).Initializers["MeanImage"];
        var mean = OnnxTensor.ToTensor(meanImage, "MeanImage");
        int plane = 224 * 224;
        var batch = new Tensor(new Shape(photos.Count, 3, 224, 224));
        for (int n = 0; n < photos.Count; n++)
            for (int c = 0; c < 3; c++)
                System.Numerics.Tensors.TensorPrimitives.Subtract(
                    photos[n].Span.Slice((2 - c) * plane, plane), mean.Span.Slice(c * plane, plane), batch.Span.Slice((n * 3 + c) * plane, plane));
        return batch;
    }
}
