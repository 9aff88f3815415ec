using Convolve.Models;
using Convolve.Tensors;
using Xunit.Abstractions;

namespace Convolve.Onnx.Tests;

/// <summary>
/// The real test of the importer: ImageNet ResNet-18 (see <see cref="ResNet18Files"/>; 22
/// convolutions, 9 residual additions, opset 8) with its preprocessing graph (Split of the colour
/// channels, Concat in BGR order, Sub of a mean image) imported into Convolve gives ONNX Runtime's
/// features on photos. The rule, per photo: <c>max |a - b| / max |b| &lt;= 1e-4</c> over the 512
/// features, a the feature from Convolve and b from ONNX Runtime (relative to the largest
/// feature, since features near zero carry the same absolute rounding as the large ones).
/// </summary>
public sealed class ResNet18Tests(ITestOutputHelper log)
{
    /// <summary>The tolerance of the rule above.</summary>
    public const double Tolerance = 1e-4;

    [DataFact(TestData.ResNet18)]
    public void ResNet18WithItsPreprocessing_Imported_GivesOnnxRuntimesFeatures_OnPhotos()
    {
        TestDataRequirement.Require(TestData.ResNet18);
        var bytes = ResNet18Files.PreprocessingAndModel();
        var model = Assert.IsType<Graph>(OnnxImporter.Import(OnnxModel.Parse(bytes, "ResNetPreprocess.onnx + ResNet18.onnx")));
        Assert.Equal(22, model.Layers.Count(l => l is Layers.Conv2D));
        Assert.Equal(9, model.Layers.Count(l => l is Layers.Add));
        Assert.Equal(3, model.Layers.Count(l => l is Layers.Slice));
        var photos = ResNet18Files.Photos.Select(ResNet18Files.Photo).ToList();
        var input = new Tensor(new Shape(photos.Count, 3, 224, 224));
        for (int n = 0; n < photos.Count; n++) photos[n].Span.CopyTo(input.Span.Slice(n * photos[n].Length, photos[n].Length));

        // Convolve runs the photos as one batch; the files fix ONNX Runtime's batch at 1.
        var features = TestModels.Forward(model, input);
        Assert.Equal(new Shape(photos.Count, 512, 1, 1), features.Shape);
        using var runtime = new OnnxRuntimeRunner(bytes);
        var expected = new List<float[]>();
        for (int n = 0; n < photos.Count; n++)
        {
            var b = runtime.Run(Tensor.FromArray(photos[n].Span, 1, 3, 224, 224), "OriginalInput", "Pooling395_Output_0").ToArray();
            var a = features.Span.Slice(n * 512, 512).ToArray();
            double largest = b.Max(Math.Abs), worst = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
            double worstPerElement = a.Zip(b).Max(p => Math.Abs(p.First - p.Second) / Math.Max(1, Math.Abs(p.Second)));
            string photo = Path.GetFileName(ResNet18Files.Photos[n]);
            log.WriteLine($"{photo}: largest feature {largest:F3}, max |a - b| = {worst:E2}, relative {worst / largest:E2}, " +
                $"per element |a - b| / max(1, |b|) {worstPerElement:E2}");
            Assert.True(largest > 0, $"{photo}: every feature is zero");
            Assert.True(worst <= Tolerance * largest, $"{photo}: max |a - b| = {worst:E3} is more than {Tolerance:E0} of the largest feature {largest:F4}");
            expected.Add(b);
        }
        // Different photos give different features (the comparison is not between two constants).
        for (int i = 1; i < expected.Count; i++)
            Assert.NotEqual(expected[0], expected[i]);
    }

    /// <summary>
    /// The network file on its own, loaded as the command line would, fed the preprocessing
    /// written out (<see cref="ResNet18Files.Preprocess"/>), on three of the photos.
    /// </summary>
    [DataFact(TestData.ResNet18)]
    public void ResNet18_Loaded_GivesOnnxRuntimesFeatures()
    {
        TestDataRequirement.Require(TestData.ResNet18);
        var model = OnnxImporter.Load(ResNet18Files.Model);
        var photos = ResNet18Files.Photos.Take(3).Select(ResNet18Files.Photo).ToList();
        var input = ResNet18Files.Preprocess(photos);
        var features = TestModels.Forward(model, input);
        using var runtime = new OnnxRuntimeRunner(File.ReadAllBytes(ResNet18Files.Model));
        var item = new Shape(1, 3, 224, 224);
        for (int n = 0; n < photos.Count; n++)
        {
            var b = runtime.Run(Tensor.FromArray(input.Span.Slice(n * item.Size, item.Size), 1, 3, 224, 224), "Input247", "Pooling395_Output_0").ToArray();
            var a = features.Span.Slice(n * 512, 512).ToArray();
            double largest = b.Max(Math.Abs), worst = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
            log.WriteLine($"{Path.GetFileName(ResNet18Files.Photos[n])}: max |a - b| / max |b| = {worst / largest:E2}");
            Assert.True(worst <= Tolerance * largest,
                $"{ResNet18Files.Photos[n]}: max |a - b| = {worst:E3} is more than {Tolerance:E0} of the largest feature {largest:F4}");
        }
    }

    /// <summary>
    /// The imported preprocessing graph (three Slices, a Concat, an ElementwiseConstant) computes
    /// bit for bit what its three nodes say, written out in <see cref="ResNet18Files.Preprocess"/>.
    /// </summary>
    [DataFact(TestData.ResNet18)]
    public void Preprocessing_Imported_ReversesTheChannels_AndSubtractsTheMeanImage()
    {
        TestDataRequirement.Require(TestData.ResNet18);
        var model = OnnxImporter.Load(ResNet18Files.Preprocessing);
        Assert.Equal("Graph(Slice(axis=1, 0:1)<-[input], Slice(axis=1, 1:2)<-[input], Slice(axis=1, 2:3)<-[input], " +
            "Concat()<-[slice_3, slice_2, slice_1], ElementwiseConstant(x - c[1, 3, 224, 224])<-[concat_1])", model.ToString());
        var photos = ResNet18Files.Photos.Take(2).Select(ResNet18Files.Photo).ToList();
        var input = new Tensor(new Shape(2, 3, 224, 224));
        for (int n = 0; n < 2; n++) photos[n].Span.CopyTo(input.Span.Slice(n * photos[n].Length, photos[n].Length));
        Assert.Equal(ResNet18Files.Preprocess(photos).ToArray(), TestModels.Forward(model, input).ToArray());
    }
}
