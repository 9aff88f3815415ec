using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>Inputs whose values name their positions, for tests that follow elements through a layer.</summary>
internal static class TestTensors
{
    public static Tensor Numbered(Shape shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t[i] = i;
        return t;
    }
}
