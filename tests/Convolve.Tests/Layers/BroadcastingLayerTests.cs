using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>
/// Add, Subtract, Multiply, Divide (graph merges) and ElementwiseConstant against
/// <see cref="BroadcastReference"/>, and their gradients against central finite differences.
/// </summary>
public class BroadcastingLayerTests
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
        _ => new Divide(),
    };

    // Values in [-1, 1); a divisor gets magnitudes in [0.5, 1.5] to stay away from 0.
    private static Tensor Operand(Shape shape, Random random, bool divisor)
    {
        var t = GradientCheck.RandomTensor(shape, random);
        if (divisor) for (int i = 0; i < t.Length; i++) t[i] = (t[i] < 0 ? -1 : 1) * (0.5f + MathF.Abs(t[i]));
        return t;
    }

    [Theory]
    [MemberData(nameof(ShapePairs))]
    public void Merges_Forward_MatchTheReference(int[] aDims, int[] bDims)
    {
        var random = new Random(1);
        foreach (var operation in Enum.GetValues<BinaryOperation>())
        {
            var a = Operand(new Shape(aDims), random, divisor: false);
            var b = Operand(new Shape(bDims), random, divisor: operation == BinaryOperation.Divide);
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
            var a = Operand(new Shape(aDims), random, divisor: false);
            var b = Operand(new Shape(bDims), random, divisor: operation == BinaryOperation.Divide);
            MergeGradientCheck(Merge(operation), [a, b], random);
        }
    }

    [Fact]
    public void Add_OfThreeInputs_Broadcasting_MatchesReferenceAndFiniteDifferences()
    {
        var random = new Random(3);
        Tensor[] inputs = [Operand(new Shape(2, 3, 1, 4), random, false), Operand(new Shape(1, 1, 2, 4), random, false), Operand(new Shape(3, 1, 1), random, false)];
        var layer = new Add();

        var output = layer.Forward(inputs);

        var add = BroadcastReference.Function(BinaryOperation.Add);
        var firstTwo = BroadcastReference.Apply(add, inputs[0], inputs[1]);
        var expected = BroadcastReference.Apply(add, new Tensor(BroadcastReference.Shape(inputs[0].Shape, inputs[1].Shape), firstTwo), inputs[2]);
        Assert.Equal(new Shape(2, 3, 2, 4), output.Shape);
        Assert.Equal(expected, output.ToArray());
        MergeGradientCheck(new Add(), inputs, random);
    }

    [Fact]
    public void Add_OfEqualShapes_GivesEveryInputDOutputItself()
    {
        var random = new Random(4);
        Tensor[] inputs = [Operand(new Shape(2, 3), random, false), Operand(new Shape(2, 3), random, false), Operand(new Shape(2, 3), random, false)];
        var layer = new Add();
        var output = layer.Forward(inputs);
        var dOutput = Operand(output.Shape, random, false);

        var gradients = layer.BackwardAll(dOutput);

        Assert.All(gradients, g => Assert.Same(dOutput, g));
        for (int i = 0; i < output.Length; i++) Assert.Equal(inputs[0][i] + inputs[1][i] + inputs[2][i], output[i]);
    }

    [Fact]
    public void Merges_OfShapesThatDoNotBroadcast_AreRefusedWithTheShapes()
    {
        Assert.Equal("Add(): inputs [1, 2, 2, 2] and [1, 1, 4, 4] do not broadcast: input 1 differs in dimension 2 (counted in the broadcast result) and neither size is 1.",
            Assert.Throws<ShapeException>(() => new Add().GetOutputShape([new Shape(1, 2, 2, 2), new Shape(1, 1, 4, 4)])).Message);
        Assert.Equal("Subtract(): inputs [2, 3, 4] and [5, 4] do not broadcast: they differ in dimension 1 (counted in the broadcast result) and neither size is 1.",
            Assert.Throws<ShapeException>(() => new Subtract().GetOutputShape([new Shape(2, 3, 4), new Shape(5, 4)])).Message);
        Assert.Equal("Multiply(): needs two inputs, got 3.",
            Assert.Throws<ShapeException>(() => new Multiply().GetOutputShape([new Shape(2), new Shape(2), new Shape(2)])).Message);
        Assert.Equal("Divide(): inputs [3, 2] and [2, 2] do not broadcast: they differ in dimension 0 (counted in the broadcast result) and neither size is 1.",
            Assert.Throws<ShapeException>(() => new Divide().Forward([new Tensor(new Shape(3, 2)), new Tensor(new Shape(2, 2))])).Message);
    }

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
        new(operation, Operand(constantShape, random, divisor: operation == BinaryOperation.Divide && !left), left);

    [Theory]
    [MemberData(nameof(ConstantCases))]
    public void ElementwiseConstant_Forward_MatchesTheReference(BinaryOperation operation, bool left, int[] inputDims, int[] constantDims)
    {
        var random = new Random(5);
        var layer = ConstantLayer(operation, left, new Shape(constantDims), random);
        var x = Operand(new Shape(inputDims), random, divisor: operation == BinaryOperation.Divide && left);
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
            input: (r, shape) => Operand(shape, r, divisor: operation == BinaryOperation.Divide && left));
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
    public void ElementwiseConstant_DescribesItselfAndRefusesMisfits()
    {
        var perChannel = new ElementwiseConstant(BinaryOperation.Multiply, new Tensor(new Shape(3, 1, 1)));
        var scalar = new ElementwiseConstant(BinaryOperation.Subtract, Tensor.FromArray([1.5f], 1), constantOnLeft: true);
        Assert.Equal("ElementwiseConstant(x * c[3, 1, 1])", perChannel.ToString());
        Assert.Equal("ElementwiseConstant(1.5 - x)", scalar.ToString());
        Assert.False(perChannel.Constant.Trainable);
        Assert.Equal("constant", perChannel.Constant.Name);

        Assert.Equal("ElementwiseConstant(x * c[3, 1, 1]): the constant [3, 1, 1] does not broadcast against input [2, 4, 5, 5]: they differ in dimension 1 (counted in the input) and neither size is 1.",
            Assert.Throws<ShapeException>(() => perChannel.Build(new Shape(2, 4, 5, 5))).Message);
        Assert.Equal("ElementwiseConstant(x * c[3, 1, 1]): the constant [3, 1, 1] must have fewer dimensions than the input, or a leading 1 for the batch, got input [2, 3, 1].",
            Assert.Throws<ShapeException>(() => perChannel.Build(new Shape(2, 3, 1))).Message);
        var batched = new ElementwiseConstant(BinaryOperation.Add, new Tensor(new Shape(2, 3)));
        Assert.Equal("ElementwiseConstant(x + c[2, 3]): the constant [2, 3] must have fewer dimensions than the input, or a leading 1 for the batch, got input [2, 3].",
            Assert.Throws<ShapeException>(() => batched.Build(new Shape(2, 3))).Message);
    }

    /// <summary>
    /// Central finite differences of L = sum(output * R) for every element of every input of a
    /// merge layer, as <see cref="GradientCheck"/> does for one-input layers; also checks that each
    /// gradient has its input's shape and that BackwardAll twice gives the same gradients.
    /// </summary>
    internal static void MergeGradientCheck(MergeLayer layer, Tensor[] inputs, Random random)
    {
        var output = layer.Forward(inputs);
        var upstream = GradientCheck.RandomTensor(output.Shape, random);
        var analytic = layer.BackwardAll(upstream).Select(g => g.Clone()).ToArray();
        var again = layer.BackwardAll(upstream);
        for (int k = 0; k < inputs.Length; k++)
        {
            Assert.Equal(inputs[k].Shape, analytic[k].Shape);
            Assert.Equal(analytic[k].ToArray(), again[k].ToArray());
        }

        double Loss()
        {
            var y = layer.Forward(inputs).Span;
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * upstream[i];
            return sum;
        }

        const float step = 1e-2f;
        for (int k = 0; k < inputs.Length; k++)
        {
            for (int i = 0; i < inputs[k].Length; i++)
            {
                float original = inputs[k][i];
                inputs[k][i] = original + step;
                double plus = Loss();
                inputs[k][i] = original - step;
                double minus = Loss();
                inputs[k][i] = original;
                double numeric = (plus - minus) / (2 * step), exact = analytic[k][i];
                Assert.True(Math.Abs(numeric - exact) <= 2e-3 + 2e-2 * Math.Max(Math.Abs(numeric), Math.Abs(exact)),
                    $"{layer} input {k} [{i}]: finite difference {numeric:G6}, backward {exact:G6}");
            }
        }
    }
}
