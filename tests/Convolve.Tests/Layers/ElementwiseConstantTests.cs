using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>ElementwiseConstant against <see cref="BroadcastReference"/>, and its gradients against central finite differences.</summary>
public class ElementwiseConstantTests
{
    public static TheoryData<BinaryOperation, bool, int[], int[]> ConstantCases()
    {
        var cases = new TheoryData<BinaryOperation, bool, int[], int[]>();
        // Against inputs [2, 2, 3, 4]: a whole item, per channel, a row, a scalar, with a batch 1, [1], a last axis, a middle axis.
        int[][] constants = [[2, 3, 4], [2, 1, 1], [1, 4], [], [1, 2, 1, 1], [1], [4], [3, 1]];
        foreach (var operation in Enum.GetValues<BinaryOperation>())
            foreach (bool left in new[] { false, true })
                foreach (var c in constants)
                    cases.Add(operation, left, [2, 2, 3, 4], c);
        return cases;
    }

    private static ElementwiseConstant ConstantLayer(BinaryOperation operation, bool left, Shape constantShape, Random random) =>
        new(operation, BroadcastReference.For(operation, constantShape, random, divisor: operation == BinaryOperation.Divide && !left, second: true), left);

    [Theory]
    [MemberData(nameof(ConstantCases))]
    public void ElementwiseConstant_Forward_MatchesTheReference(BinaryOperation operation, bool left, int[] inputDims, int[] constantDims)
    {
        var random = new Random(5);
        var layer = ConstantLayer(operation, left, new Shape(constantDims), random);
        var x = BroadcastReference.Operand(new Shape(inputDims), random, divisor: operation == BinaryOperation.Divide && left);
        var c = layer.Constant.Value;

        var output = layer.Forward(x);

        var f = BroadcastReference.Function(operation);
        Assert.Equal(left ? BroadcastReference.Apply(f, c, x) : BroadcastReference.Apply(f, x, c), output.ToArray());
        Assert.Equal(layer.GetOutputShape(x.Shape), output.Shape);
    }

    [Theory]
    [MemberData(nameof(ConstantCases))]
    public void ElementwiseConstant_Backward_MatchesFiniteDifferences(BinaryOperation operation, bool left, int[] inputDims, int[] constantDims)
    {
        var random = new Random(6);
        var layer = ConstantLayer(operation, left, new Shape(constantDims), random);
        var constant = layer.Constant.Value.ToArray();
        GradientCheck.Check(layer, new Shape(inputDims), seed: 6,
            input: (r, shape) => BroadcastReference.For(operation, shape, r, divisor: operation == BinaryOperation.Divide && left, second: false));
        Assert.Equal(constant, layer.Constant.Value.ToArray());      // not trained, not re-initialised
    }

    [Fact]
    public void ElementwiseConstant_ThatGrowsTheInput_SumsTheGradientBack()
    {
        // [N, 1, H, W] * [C, 1, 1] gives [N, C, H, W]; the input's gradient sums over the C copies.
        var random = new Random(7);
        var layer = ConstantLayer(BinaryOperation.Multiply, false, new Shape(3, 1, 1), random);
        Assert.Equal(new Shape(2, 3, 2, 2), layer.GetOutputShape(new Shape(2, 1, 2, 2)));
        GradientCheck.Check(layer, new Shape(2, 1, 2, 2), seed: 7);
    }

    [Fact]
    public void ElementwiseConstant_MaxAndMin_PassTheGradientWhereTheInputIsTaken_NoneAtTies()
    {
        // max(x, 0) is ReLU, whose gradient at 0 is 0 in this library; min and max with a constant follow it.
        var x = Tensor.FromArray([-1f, 0, 2], 1, 3);
        var dy = Tensor.FromArray([10f, 20, 30], 1, 3);
        var max = new ElementwiseConstant(BinaryOperation.Max, Tensor.FromArray([0f], 1));
        Assert.Equal([0f, 0, 2], max.Forward(x).ToArray());
        Assert.Equal([0f, 0, 30], max.Backward(dy).ToArray());
        var min = new ElementwiseConstant(BinaryOperation.Min, Tensor.FromArray([0f], 1), constantOnLeft: true);
        Assert.Equal([-1f, 0, 0], min.Forward(x).ToArray());
        Assert.Equal([10f, 0, 0], min.Backward(dy).ToArray());
        Assert.Equal("ElementwiseConstant(max(x, 0))", max.ToString());
        Assert.Equal("ElementwiseConstant(min(0, x))", min.ToString());
    }

    [Fact]
    public void ElementwiseConstant_DescribesItselfAndRefusesMisfits()
    {
        var perChannel = new ElementwiseConstant(BinaryOperation.Multiply, new Tensor(new Shape(3, 1, 1)));
        var scalar = new ElementwiseConstant(BinaryOperation.Subtract, Tensor.FromArray([1.5f], 1), constantOnLeft: true);
        Assert.Equal("ElementwiseConstant(x * c[3, 1, 1])", perChannel.ToString());
        Assert.Equal("ElementwiseConstant(1.5 - x)", scalar.ToString());
        Assert.False(perChannel.Constant.Trainable);
        Assert.Equal("constant", perChannel.Constant.Name);

        Assert.Equal("ElementwiseConstant(x * c[3, 1, 1]): the constant [3, 1, 1] does not broadcast against input [2, 4, 5, 5]: " +
            "they differ in dimension 1 (counted in the input) and neither size is 1.",
            Assert.Throws<ShapeException>(() => perChannel.Build(new Shape(2, 4, 5, 5))).Message);
        Assert.Equal("ElementwiseConstant(x * c[3, 1, 1]): the constant [3, 1, 1] must have fewer dimensions than the input, " +
            "or a leading 1 for the batch, got input [2, 3, 1].",
            Assert.Throws<ShapeException>(() => perChannel.Build(new Shape(2, 3, 1))).Message);
        var batched = new ElementwiseConstant(BinaryOperation.Add, new Tensor(new Shape(2, 3)));
        Assert.Equal("ElementwiseConstant(x + c[2, 3]): the constant [2, 3] must have fewer dimensions than the input, " +
            "or a leading 1 for the batch, got input [2, 3].",
            Assert.Throws<ShapeException>(() => batched.Build(new Shape(2, 3))).Message);
    }
}
