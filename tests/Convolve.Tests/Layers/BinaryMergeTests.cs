using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>
/// The broadcasting merges Add, Subtract, Multiply, Divide, Minimum and Maximum against <see cref="BroadcastReference"/>,
/// and their gradients against central finite differences.
/// </summary>
public class BinaryMergeTests
{
    // Pairs of operand shapes: equal, per-channel, rank-lower, row, batch 1 against N, both repeated, scalar.
    public static TheoryData<int[], int[]> ShapePairs => new()
    {
        { [2, 3, 4, 5], [2, 3, 4, 5] },
        { [2, 3, 4, 5], [1, 3, 1, 1] },
        { [2, 3, 4, 5], [3, 1, 1] },
        { [2, 3, 4, 5], [1, 5] },
        { [1, 3, 4, 5], [2, 3, 4, 5] },
        { [2, 1, 4, 1], [2, 3, 1, 5] },
        { [2, 3, 4, 5], [] },
        { [3, 1, 1], [2, 3, 4, 5] },
        { [], [2, 3, 2] },
        { [2, 3, 1, 1], [2, 3, 4, 5] },
    };

    private static MergeLayer Merge(BinaryOperation operation) => operation switch
    {
        BinaryOperation.Add => new Add(),
        BinaryOperation.Subtract => new Subtract(),
        BinaryOperation.Multiply => new Multiply(),
        BinaryOperation.Min => new Minimum(),
        BinaryOperation.Max => new Maximum(),
        _ => new Divide(),
    };

    [Theory]
    [MemberData(nameof(ShapePairs))]
    public void Merges_Forward_MatchTheReference(int[] aDims, int[] bDims)
    {
        var random = new Random(1);
        foreach (var operation in Enum.GetValues<BinaryOperation>())
        {
            var a = BroadcastReference.Operand(new Shape(aDims), random, divisor: false);
            var b = BroadcastReference.Operand(new Shape(bDims), random, divisor: operation == BinaryOperation.Divide);
            var layer = Merge(operation);

            var output = layer.Forward([a, b]);

            Assert.Equal(BroadcastReference.Shape(a.Shape, b.Shape), output.Shape);
            Assert.Equal(layer.GetOutputShape([a.Shape, b.Shape]), output.Shape);
            Assert.Equal(BroadcastReference.Apply(BroadcastReference.Function(operation), a, b), output.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(ShapePairs))]
    public void Merges_Backward_MatchFiniteDifferences(int[] aDims, int[] bDims)
    {
        foreach (var operation in Enum.GetValues<BinaryOperation>())
        {
            var random = new Random(2);
            var a = BroadcastReference.For(operation, new Shape(aDims), random, divisor: false, second: false);
            var b = BroadcastReference.For(operation, new Shape(bDims), random, divisor: operation == BinaryOperation.Divide, second: true);
            GradientCheck.CheckMerge(Merge(operation), [a, b], random);
        }
    }

    [Fact]
    public void Merges_OfShapesThatDoNotBroadcast_AreRefusedWithTheShapes()
    {
        Assert.Equal("Add(): inputs [1, 2, 2, 2] and [1, 1, 4, 4] do not broadcast: " +
            "input 1 differs in dimension 2 (counted in the broadcast result) and neither size is 1.",
            Assert.Throws<ShapeException>(() => new Add().GetOutputShape([new Shape(1, 2, 2, 2), new Shape(1, 1, 4, 4)])).Message);
        Assert.Equal("Subtract(): inputs [2, 3, 4] and [5, 4] do not broadcast: " +
            "they differ in dimension 1 (counted in the broadcast result) and neither size is 1.",
            Assert.Throws<ShapeException>(() => new Subtract().GetOutputShape([new Shape(2, 3, 4), new Shape(5, 4)])).Message);
        Assert.Equal("Multiply(): needs two inputs, got 3.",
            Assert.Throws<ShapeException>(() => new Multiply().GetOutputShape([new Shape(2), new Shape(2), new Shape(2)])).Message);
        Assert.Equal("Divide(): inputs [3, 2] and [2, 2] do not broadcast: they differ in dimension 0 (counted in the broadcast result) and neither size is 1.",
            Assert.Throws<ShapeException>(() => new Divide().Forward([new Tensor(new Shape(3, 2)), new Tensor(new Shape(2, 2))])).Message);
    }
    [Fact]
    public void MinimumAndMaximum_SendTheGradientToTheOperandTaken_TheFirstAtTies()
    {
        var a = Tensor.FromArray([1f, 5, 3], 1, 3);
        var b = Tensor.FromArray([2f, 4, 3], 1, 3);
        var dy = Tensor.FromArray([10f, 20, 30], 1, 3);
        var max = new Maximum();
        Assert.Equal([2f, 5, 3], max.Forward([a, b]).ToArray());
        var grads = max.BackwardAll(dy);
        Assert.Equal([0f, 20, 30], grads[0].ToArray());
        Assert.Equal([10f, 0, 0], grads[1].ToArray());
        var min = new Minimum();
        Assert.Equal([1f, 4, 3], min.Forward([a, b]).ToArray());
        grads = min.BackwardAll(dy);
        Assert.Equal([10f, 0, 30], grads[0].ToArray());
        Assert.Equal([0f, 20, 0], grads[1].ToArray());
    }
}
