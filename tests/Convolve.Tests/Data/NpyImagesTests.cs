using Convolve.Data;

namespace Convolve.Tests.Data;

public class NpyImagesTests
{
    [Fact]
    public void ChannelsLast_IsTransposedToChannelsFirst_AndUint8IsScaledTo0To1()
    {
        // One 1x2 RGB image, pixels (R, G, B) = (0, 51, 255) and (102, 153, 204), stored H, W, C.
        var array = new NpyArray([1, 1, 2, 3], [0, 51, 255, 102, 153, 204], "|u1");
        var images = NpyImages.ToImages(array, "rgb.npy");
        Assert.Equal(new Convolve.Tensors.Shape(1, 3, 1, 2), images.Shape);
        // Planes R, G, B, each two pixels; value / 255.
        Assert.Equal([0f, 102 / 255f, 51 / 255f, 153 / 255f, 1f, 204 / 255f], images.ToArray());
    }

    [Fact]
    public void GrayStack_BecomesOneChannel_FloatValuesAsTheyAre()
    {
        var images = NpyImages.ToImages(new NpyArray([2, 1, 2], [0.1f, 0.2f, 0.3f, 0.4f], "<f8"), "g.npy");
        Assert.Equal(new Convolve.Tensors.Shape(2, 1, 1, 2), images.Shape);
        Assert.Equal([0.1f, 0.2f, 0.3f, 0.4f], images.ToArray());
    }

    [Fact]
    public void AShapeThatIsNotImages_IsRefused_WithTheShape()
    {
        var e = Assert.Throws<InvalidDataException>(() => NpyImages.ToImages(new NpyArray([6], new float[6], "<f4"), "v.npy"));
        Assert.Equal("v.npy: images of shape (6); expected (N, H, W) gray images, (N, H, W, C) or (N, C, H, W) with C 1 or 3.", e.Message);
    }

    [Fact]
    public void Runs_LabelConsecutiveImages_InOrderOfFirstAppearance()
    {
        var (labels, names) = NpyImages.ParseRuns("b:2,a:1,b:1", 4, "--labels");
        Assert.Equal([0, 0, 1, 0], labels);
        Assert.Equal(["b", "a"], names);
        var e = Assert.Throws<ArgumentException>(() => NpyImages.ParseRuns("a:2,b:2", 5, "--labels"));
        Assert.Equal("--labels: the runs 'a:2,b:2' label 4 images, but there are 5.", e.Message);
        e = Assert.Throws<ArgumentException>(() => NpyImages.ParseRuns("a:2,b", 3, "--labels"));
        Assert.Equal("--labels: 'b' is not a run NAME:COUNT (e.g. face:100,non-face:100).", e.Message);
    }

    [Fact]
    public void LfwSubset_IsKnownByName_100FacesThen100NonFaces()
    {
        var (labels, names) = NpyImages.KnownLabels("/some/where/lfw_subset.npy", 200)!.Value;
        Assert.Equal(["face", "non-face"], names);
        Assert.Equal(Enumerable.Repeat(0, 100).Concat(Enumerable.Repeat(1, 100)), labels);
        Assert.Null(NpyImages.KnownLabels("/some/where/lfw_subset.npy", 150));
        Assert.Null(NpyImages.KnownLabels("/some/where/other.npy", 200));
    }

    [Fact]
    public void LabelArrays_MustHoldOneWholeNumberPerImage()
    {
        var (labels, names) = NpyImages.FromArray(new NpyArray([3], [2, 0, 1], "<i8"), 3, "l.npy");
        Assert.Equal([2, 0, 1], labels);
        Assert.Equal(["0", "1", "2"], names);
        var e = Assert.Throws<InvalidDataException>(() => NpyImages.FromArray(new NpyArray([3], [0, 1.5f, 1], "<f4"), 3, "l.npy"));
        Assert.Equal("l.npy: label 1 is 1.5; labels must be whole numbers from 0.", e.Message);
        e = Assert.Throws<InvalidDataException>(() => NpyImages.FromArray(new NpyArray([2], [0, 1], "<i8"), 3, "l.npy"));
        Assert.Equal("l.npy: labels of shape (2); expected (3,), one per image.", e.Message);
    }
}
