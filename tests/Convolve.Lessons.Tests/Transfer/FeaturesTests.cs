using Convolve.Tensors;
using Convolve.Tests.Data;
using Convolve.Tests.Layers;
using Convolve.Transfer;
using static Convolve.Lessons.Tests.Transfer.TransferData;

namespace Convolve.Lessons.Tests.Transfer;

public class FeaturesTests
{
    [Fact]
    public void Extract_InBatches_EqualsRunningTheBackboneOnEachImage()
    {
        var backbone = Backbone();
        var images = GradientCheck.RandomTensor(new Shape(7, 1, 8, 8), new Random(1));
        var features = Features.Extract(backbone, images, batchSize: 3);
        Assert.Equal(new Shape(7, 4), features.Shape);
        for (int i = 0; i < 7; i++)
        {
            var one = backbone.Forward(images.Slice(i), training: false).ToArray();
            var extracted = features.Slice(i).ToArray();
            // Batches of 3 and of 1 may sum in another order in the matrix multiply: equal to float rounding.
            for (int k = 0; k < one.Length; k++) Assert.Equal(one[k], extracted[k], 1e-5f);
        }
    }

    [Fact]
    public void Cache_IsReusedForTheSameModelAndInputs_AndANewFileForChangedInputsOrWeights()
    {
        using var folder = new TempFolder();
        var backbone = Backbone();
        var images = GradientCheck.RandomTensor(new Shape(5, 1, 8, 8), new Random(2));
        string key = Features.Key(backbone, images, "test");
        string path = Features.CachePath(folder.Path, "head", key);

        var first = Features.GetOrCompute(path, backbone, images);
        Assert.False(first.Reused);
        Assert.True(File.Exists(path));
        var second = Features.GetOrCompute(path, backbone, images);
        Assert.True(second.Reused);
        Assert.Equal(first.Features.ToArray(), second.Features.ToArray());
        Assert.Equal(first.Features.Shape, second.Features.Shape);

        var changed = images.Clone();
        changed[17] += 0.5f;
        Assert.NotEqual(key, Features.Key(backbone, changed, "test"));
        Assert.NotEqual(key, Features.Key(backbone, images, "another preprocessing"));
        backbone.Parameters.First().Value[0] += 0.01f;
        Assert.NotEqual(key, Features.Key(backbone, images, "test"));
    }

    [Fact]
    public void Cache_ThatIsCorrupt_IsComputedAgain_AndSaysWhy()
    {
        using var folder = new TempFolder();
        var backbone = Backbone();
        var images = GradientCheck.RandomTensor(new Shape(2, 1, 8, 8), new Random(3));
        string path = folder.File("c.npy");
        File.WriteAllBytes(path, [1, 2, 3]);
        var result = Features.GetOrCompute(path, backbone, images);
        Assert.False(result.Reused);
        Assert.Equal($"{path}: byte 0: not a NumPy .npy file (it does not start with \\x93NUMPY). Computed again", result.Note);
        Assert.True(Features.GetOrCompute(path, backbone, images).Reused);
    }
}
