using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>Configs holding arrays compare by value (a record alone would compare the arrays by reference).</summary>
public class ConfigEqualityTests
{
    public static TheoryData<LayerConfig, LayerConfig, LayerConfig> Configs() => new()
    {
        { new PadConfig([1, 2, 1, 2]), new PadConfig([1, 2, 1, 2]), new PadConfig([1, 2, 2, 1]) },
        { new PadConfig([1, 1], PadMode.Edge), new PadConfig([1, 1], PadMode.Edge), new PadConfig([1, 1], PadMode.Reflect) },
        { new ReshapeConfig([4, -1]), new ReshapeConfig([4, -1]), new ReshapeConfig([-1, 4]) },
        { new TransposeConfig([0, 2, 1]), new TransposeConfig([0, 2, 1]), new TransposeConfig([0, 1, 2]) },
        { new ElementwiseConstantConfig(BinaryOperation.Subtract, [3, 1, 1]), new ElementwiseConstantConfig(BinaryOperation.Subtract, [3, 1, 1]),
          new ElementwiseConstantConfig(BinaryOperation.Subtract, [3, 1, 1], ConstantOnLeft: true) },
        { new ReduceConfig(Convolve.Kernels.ReduceKind.Mean, [2, 3]), new ReduceConfig(Convolve.Kernels.ReduceKind.Mean, [2, 3]),
          new ReduceConfig(Convolve.Kernels.ReduceKind.Mean, [3, 2]) },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void EqualValues_AreEqual_OtherValuesAreNot(LayerConfig config, LayerConfig same, LayerConfig other)
    {
        Assert.Equal(config, same);
        Assert.Equal(config.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(config, other);
        Assert.NotEqual<LayerConfig>(config, new ReLUConfig());
    }
}
