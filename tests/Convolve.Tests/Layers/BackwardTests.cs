using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>Every layer's backward pass against central finite differences (see <see cref="GradientCheck"/>).</summary>
public class BackwardTests
{
    public static TheoryData<string, Conv2DConfig, int[]> Convolutions => new()
    {
        { "article 3x3", new Conv2DConfig(1, 1, 3, 3), [2, 1, 6, 6] },
        { "stride 2, padding 1", new Conv2DConfig(2, 3, 3, 3, StrideH: 2, StrideW: 2, Padding: 1), [2, 2, 7, 6] },
        { "same padding, 2x4 kernel", new Conv2DConfig(2, 2, 2, 4, Padding: Padding.Same), [1, 2, 5, 5] },
        { "dilation 2, asymmetric padding", new Conv2DConfig(1, 2, 3, 2, DilationH: 2, DilationW: 2, Padding: new Padding(1, 0, 2, 1)), [2, 1, 6, 5] },
        { "groups 2, no bias", new Conv2DConfig(4, 6, 3, 3, Groups: 2, Bias: false), [1, 4, 4, 4] },
        { "depthwise, stride > kernel", new Conv2DConfig(3, 3, 1, 1, StrideH: 3, StrideW: 2, Groups: 3), [2, 3, 5, 5] },
        { "kernel as large as input", new Conv2DConfig(2, 2, 4, 4), [1, 2, 4, 4] },
    };

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void Conv2D_Backward_MatchesFiniteDifferences(string name, Conv2DConfig config, int[] inputShape)
    {
        _ = name;
        GradientCheck.Check(new Conv2D(config), new Shape(inputShape));
    }

    [Fact]
    public void Dense_Backward_MatchesFiniteDifferences() => GradientCheck.Check(new Dense(5, 3), new Shape(4, 5));

    [Fact]
    public void Dense_WithoutBias_Backward_MatchesFiniteDifferences() => GradientCheck.Check(new Dense(3, 4, bias: false), new Shape(2, 3));

    [Theory]
    [InlineData(2, 2, 0, false)]
    [InlineData(3, 2, 1, false)]
    [InlineData(3, 2, 1, true)]
    [InlineData(2, 3, 0, true)]
    public void MaxPool2D_Backward_MatchesFiniteDifferences(int kernel, int stride, int padding, bool ceilMode) =>
        GradientCheck.Check(new MaxPool2D(kernel, stride, padding, ceilMode: ceilMode), new Shape(2, 2, 7, 6), input: GradientCheck.Spread);

    [Theory]
    [InlineData(2, 2, 0, false, true)]
    [InlineData(3, 2, 1, false, true)]
    [InlineData(3, 2, 1, true, false)]
    [InlineData(3, 2, 1, true, true)]
    public void AvgPool2D_Backward_MatchesFiniteDifferences(int kernel, int stride, int padding, bool ceilMode, bool countIncludePad) =>
        GradientCheck.Check(new AvgPool2D(kernel, stride, padding, ceilMode, countIncludePad), new Shape(2, 2, 6, 7));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GlobalAvgPool2D_Backward_MatchesFiniteDifferences(bool keepDims) =>
        GradientCheck.Check(new GlobalAvgPool2D(keepDims), new Shape(2, 3, 4, 5));

    public static TheoryData<string> ActivationNames => ["ReLU", "LeakyReLU", "Sigmoid", "Tanh"];

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void Activation_Backward_MatchesFiniteDifferences(string name)
    {
        Layer layer = name switch
        {
            "ReLU" => new ReLU(),
            "LeakyReLU" => new LeakyReLU(0.1f),
            "Sigmoid" => new Sigmoid(),
            _ => new Tanh(),
        };
        GradientCheck.Check(layer, new Shape(2, 3, 4, 4), input: GradientCheck.Spread);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void Softmax_Backward_MatchesFiniteDifferences(int axis) =>
        GradientCheck.Check(new Softmax(axis), new Shape(2, 4, 3, 2));

    [Fact]
    public void Flatten_Backward_MatchesFiniteDifferences() => GradientCheck.Check(new Flatten(), new Shape(2, 3, 2, 2));

    [Fact]
    public void Dropout_InTraining_Backward_MatchesFiniteDifferences_ForTheSameMask() =>
        GradientCheck.Check(new Dropout(0.4f), new Shape(3, 10), training: true,
            beforeForward: layer => layer.ResetParameters(new Random(7)));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNorm2D_Backward_MatchesFiniteDifferences(bool training) =>
        GradientCheck.Check(new BatchNorm2D(3), new Shape(2, 3, 3, 2), training: training);
}
