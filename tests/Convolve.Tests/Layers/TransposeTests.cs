using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Tests.Layers.TestTensors;

namespace Convolve.Tests.Layers;

/// <summary>Transpose against index arithmetic written out in the tests.</summary>
public class TransposeTests
{
    public static TheoryData<int[], int[]> Transposes => new()
    {
        { [2, 3, 4, 5], [0, 2, 3, 1] },    // NCHW -> NHWC: [C, HW] -> [HW, C], contiguous runs per column
        { [2, 3, 4, 5], [0, 3, 1, 2] },    // the other way: [C, HW] from [HW, C], tiles again
        { [2, 3, 4, 5], [0, 1, 3, 2] },
        { [2, 3, 4, 5], [0, 3, 2, 1] },    // no contiguous axis at the end: element by element
        { [2, 3, 4, 5], [0, 2, 1, 3] },    // the last axis stays: row copies
        { [2, 3, 4, 5], [0, 1, 2, 3] },
        { [1, 3, 40, 2], [0, 2, 3, 1] },   // 80 rows: three tiles of 32
        { [2, 1, 4, 1], [0, 3, 2, 1] },    // size-1 axes only move
        { [3, 5, 7], [0, 2, 1] },
    };

    [Theory]
    [MemberData(nameof(Transposes))]
    public void Transpose_MatchesIndexArithmetic_AndItsGradientIsTheInverse(int[] input, int[] permutation)
    {
        var shape = new Shape(input);
        var x = Numbered(shape);
        var layer = new Transpose(permutation);

        var y = layer.Forward(x);

        Assert.Equal(layer.GetOutputShape(shape), y.Shape);
        for (int i = 0; i < y.Length; i++)
        {
            var index = BroadcastReference.Index(i, y.Shape);
            int source = 0;
            for (int d = 0; d < shape.Rank; d++)   // input axis d is output axis inverse[d]
                source = source * shape[d] + index[Array.IndexOf(permutation, d)];
            Assert.Equal(x[source], y[i]);
        }
        Assert.Equal(x.ToArray(), layer.Backward(y).ToArray());   // transposing back restores the input
        GradientCheck.Check(new Transpose(permutation), new Shape([.. input.Select(d => Math.Min(d, 6))]));
    }

    [Fact]
    public void Transpose_RefusesToMoveTheBatch_AndWrongRanks()
    {
        Assert.Equal("Transpose([1, 0, 2, 3]): the batch axis must stay first (permutation[0] must be 0), got 1; a model's layers keep the batch as axis 0.",
            Assert.Throws<ArgumentException>(() => new Transpose(1, 0, 2, 3)).Message);
        Assert.Equal("Transpose([0, 2, 2]): expected a permutation of 0 to 2.", Assert.Throws<ArgumentException>(() => new Transpose(0, 2, 2)).Message);
        Assert.Equal("Transpose([0, 2, 1]): expected input with 3 dimensions (the permutation's length), got [2, 3, 4, 5].",
            Assert.Throws<ShapeException>(() => new Transpose(0, 2, 1).Build(new Shape(2, 3, 4, 5))).Message);
        Assert.Equal("Transpose([0, 3, 1, 2])", new Transpose(0, 3, 1, 2).ToString());
    }
}
