using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>The <see cref="Resize"/> layer: output shapes, gradients against finite differences, messages.</summary>
public sealed class ResizeTests
{
    public static TheoryData<ResizeInterpolation, ResizeCoordinates, float, float> Cases()
    {
        var cases = new TheoryData<ResizeInterpolation, ResizeCoordinates, float, float>();
        foreach (var mode in Enum.GetValues<ResizeInterpolation>())
        {
            cases.Add(mode, ResizeCoordinates.HalfPixel, 2f, 2f);
            cases.Add(mode, ResizeCoordinates.AlignCorners, 2f, 1.5f);
            cases.Add(mode, ResizeCoordinates.Asymmetric, 0.6f, 3f);
            cases.Add(mode, ResizeCoordinates.PytorchHalfPixel, 1.5f, 0.5f);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifferences(ResizeInterpolation mode, ResizeCoordinates coordinates, float scaleH, float scaleW)
    {
        GradientCheck.Check(new Resize(scaleH, scaleW, mode, coordinates), new Shape(2, 2, 3, 4));
    }

    [Theory]
    [InlineData(ResizeInterpolation.Nearest)]
    [InlineData(ResizeInterpolation.Linear)]
    public void FixedSize_Backward_MatchesFiniteDifferences(ResizeInterpolation mode)
    {
        GradientCheck.Check(Resize.ToSize(5, 7, mode, ResizeCoordinates.HalfPixel, ResizeRounding.RoundPreferCeil), new Shape(1, 2, 3, 4));
    }

    [Theory]
    [InlineData(2f, 2f, 6, 8)]
    [InlineData(0.6f, 0.6f, 1, 2)]
    [InlineData(1.5f, 2.5f, 4, 10)]
    public void OutputShape_IsTheFloorOfInputTimesScale(float scaleH, float scaleW, int h, int w)
    {
        Assert.Equal(new Shape(2, 3, h, w), new Resize(scaleH, scaleW).GetOutputShape(new Shape(2, 3, 3, 4)));
    }

    [Fact]
    public void BilinearAlignCorners_KeepsTheCornersAndInterpolatesBetween()
    {
        var layer = new Resize(2f, 2f, ResizeInterpolation.Linear, ResizeCoordinates.AlignCorners);
        var input = new Tensor(new Shape(1, 1, 2, 2), [0, 3, 6, 9]);
        var output = layer.Forward(input).ToArray();
        // Rows 0, 1/3, 2/3, 1 of the way down; columns likewise: value = 6 * row + 3 * column.
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal((6f * y / 3) + (3f * x / 3), output[(y * 4) + x], 1e-5f);
    }

    [Fact]
    public void BadInputs_AreRefusedNamingTheProblem()
    {
        Assert.Contains("[N, C, H, W]", Assert.Throws<ShapeException>(() => new Resize(2f, 2f).GetOutputShape(new Shape(2, 3, 4))).Message);
        Assert.Contains("empty 0x2 output", Assert.Throws<ShapeException>(() => new Resize(0.2f, 0.5f).GetOutputShape(new Shape(1, 1, 4, 4))).Message);
        Assert.Contains("must be positive", Assert.Throws<ArgumentException>(() => new Resize(0f, 2f)).Message);
        Assert.Contains("not positive", Assert.Throws<ArgumentException>(() => Resize.ToSize(0, 3)).Message);
    }

    [Fact]
    public void Config_RoundTripsThroughTheLayer()
    {
        var layer = Resize.ToSize(7, 9, ResizeInterpolation.Linear, ResizeCoordinates.AlignCorners);
        var copy = (Resize)layer.GetConfig().CreateLayer();
        Assert.Equal((7, 9, ResizeInterpolation.Linear, ResizeCoordinates.AlignCorners), (copy.Height, copy.Width, copy.Mode, copy.Coordinates));
        Assert.Equal(layer.GetConfig(), copy.GetConfig());
    }

    [Theory]
    [InlineData(ResizeInterpolation.Nearest, 2)]
    [InlineData(ResizeInterpolation.Linear, 2)]
    [InlineData(ResizeInterpolation.Nearest, 32)]
    [InlineData(ResizeInterpolation.Linear, 32)]
    public void ASecondBatch_AllocatesNothing(ResizeInterpolation mode, int channels)
    {
        var layer = new Resize(2, 1.5f, mode);
        var shape = new Shape(2, channels, 24, 20);
        layer.Build(shape);
        var input = GradientCheck.RandomTensor(shape, new Random(1));
        var dOutput = GradientCheck.RandomTensor(layer.Forward(input).Shape, new Random(2));
        layer.Backward(dOutput);
        // A second warm-up pass: the runtime's one-time work (a type's first use on some paths)
        // can land in it; steady state is what follows.
        layer.Forward(input);
        layer.Backward(dOutput);

        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(input);
        layer.Backward(dOutput);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
