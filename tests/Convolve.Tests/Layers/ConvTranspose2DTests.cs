using Convolve.Kernels.Cpu;
using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary><see cref="ConvTranspose2D"/>: gradients against finite differences, output sizes, bad options, steady-state allocation.</summary>
public sealed class ConvTranspose2DTests
{
    public static TheoryData<string, ConvTranspose2DConfig, int[]> Cases => new()
    {
        { "1x1 stride 1", new ConvTranspose2DConfig(2, 3, 1, 1), [2, 2, 3, 3] },
        { "3x3, padding 1", new ConvTranspose2DConfig(2, 2, 3, 3, Padding: 1), [2, 2, 4, 3] },
        { "DCGAN-like: 4x4, stride 2, padding 1", new ConvTranspose2DConfig(3, 2, 4, 4, 2, 2, 1), [2, 3, 3, 3] },
        { "stride 2, output padding 1, groups 2", new ConvTranspose2DConfig(4, 6, 3, 3, 2, 2, 1, 1, 1, Groups: 2), [2, 4, 3, 3] },
        { "stride (3, 2), output padding (2, 1), dilation 2, asymmetric pads, groups 2, no bias",
            new ConvTranspose2DConfig(4, 2, 2, 3, 3, 2, new Padding(1, 0, 2, 3), 2, 1, 2, 2, 2, Bias: false), [1, 4, 3, 4] },
        { "depthwise, stride > kernel", new ConvTranspose2DConfig(3, 3, 2, 2, 3, 3, Groups: 3), [2, 3, 2, 3] },
        { "dilation (1, 3), output padding larger than the stride", new ConvTranspose2DConfig(2, 3, 3, 2, 1, 2, 0, 2, 3, 1, 3), [1, 2, 3, 3] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifferences(string name, ConvTranspose2DConfig config, int[] inputShape)
    {
        _ = name;
        GradientCheck.Check(new ConvTranspose2D(config), new Shape(inputShape));
    }

    [Theory]
    [InlineData(16, 4, 2, 1, 0, 1, 32)]   // DCGAN: doubles the size
    [InlineData(7, 3, 2, 1, 1, 1, 14)]    // stride 2, output padding 1: doubles too
    [InlineData(3, 3, 3, 0, 0, 1, 9)]
    [InlineData(5, 3, 1, 0, 0, 2, 9)]     // dilation 2: a 5x5 reach
    [InlineData(4, 1, 1, 0, 0, 1, 4)]
    public void OutputSize_FollowsTheFormula(int size, int kernel, int stride, int padding, int outputPadding, int dilation, int expected)
    {
        var layer = new ConvTranspose2D(2, 3, kernel, stride, padding, outputPadding, dilation);
        Assert.Equal(new Shape(5, 3, expected, expected), layer.GetOutputShape(new Shape(5, 2, size, size)));
    }

    [Fact]
    public void BadOptions_AreRefused_WithTheReason()
    {
        Assert.Contains("groups (2) must divide", Assert.Throws<ArgumentException>(() => new ConvTranspose2D(3, 4, 3, groups: 2)).Message);
        Assert.Contains("'same' padding is not supported", Assert.Throws<ArgumentException>(
            () => new ConvTranspose2D(new ConvTranspose2DConfig(2, 2, 3, 3, Padding: Padding.Same))).Message);
        Assert.Contains("output padding must not be negative", Assert.Throws<ArgumentException>(() => new ConvTranspose2D(2, 2, 3, outputPadding: -1)).Message);
        var layer = new ConvTranspose2D(2, 2, 3, padding: 2);
        Assert.Contains("crops all of the output", Assert.Throws<ShapeException>(() => layer.GetOutputShape(new Shape(1, 2, 1, 1))).Message);
        Assert.Contains("expected input with 2 channels", Assert.Throws<ShapeException>(() => layer.GetOutputShape(new Shape(1, 3, 5, 5))).Message);
    }

    [Fact]
    public void WeightLayout_IsInputChannelsFirst_AsInOnnx()
    {
        var layer = new ConvTranspose2D(new ConvTranspose2DConfig(6, 4, 3, 2, Groups: 2));
        Assert.Equal(new Shape(6, 2, 3, 2), layer.Weight.Value.Shape);
        Assert.Equal(new Shape(4), layer.Bias!.Value.Shape);
    }

    [Fact]
    public void TrainingSteps_AllocateNothing_InSteadyState()
    {
        var layer = new ConvTranspose2D(8, 4, 4, 2, 1) { MaxThreads = 1 };
        var shape = new Shape(2, 8, 5, 5);
        layer.Build(shape);
        layer.ResetParameters(new Random(1));
        var x = GradientCheck.RandomTensor(shape, new Random(2));
        var dy = GradientCheck.RandomTensor(layer.GetOutputShape(shape), new Random(3));
        void Step()
        {
            layer.Forward(x, training: true);
            layer.Backward(dy);
        }
        Step();
        Gemm.ReserveThreadBuffer(); // as a thread\'s first GEMM would, whichever parts the warm-up gave it
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
