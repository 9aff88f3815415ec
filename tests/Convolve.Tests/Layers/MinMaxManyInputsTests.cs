using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary><see cref="Minimum"/> and <see cref="Maximum"/> of three or more inputs: values against a fold of the binary reference, gradients, ties.</summary>
public sealed class MinMaxManyInputsTests
{
    public static TheoryData<int[][]> ShapeSets() => new()
    {
        new[] { new[] { 2, 3, 4 }, new[] { 2, 3, 4 }, new[] { 2, 3, 4 } },
        new[] { new[] { 2, 3, 1, 5 }, new[] { 3, 4, 1 }, new int[0], new[] { 1, 1, 4, 5 } },
        new[] { new[] { 2, 1, 4 }, new[] { 2, 3, 1 }, new[] { 1, 3, 4 } },
    };

    private static Tensor[] Distinct(int[][] shapes, Random random)
    {
        // Values 0.1 apart, shuffled over all inputs: no ties, and far from them for finite differences.
        int total = shapes.Sum(s => s.Aggregate(1, (p, d) => p * d));
        int[] order = [.. Enumerable.Range(0, total)];
        random.Shuffle(order);
        int next = 0;
        return [.. shapes.Select(s =>
        {
            var t = new Tensor(new Shape(s));
            for (int i = 0; i < t.Length; i++) t[i] = (order[next++] - total / 2 + 0.5f) * 0.1f;
            return t;
        })];
    }

    [Theory]
    [MemberData(nameof(ShapeSets))]
    public void Forward_IsTheBinaryReferenceFolded(int[][] shapes)
    {
        var random = new Random(4);
        foreach (var operation in new[] { BinaryOperation.Min, BinaryOperation.Max })
        {
            var inputs = Distinct(shapes, random);
            MergeLayer layer = operation == BinaryOperation.Min ? new Minimum() : new Maximum();
            var expected = inputs[0];
            foreach (var next in inputs.Skip(1))
                expected = Tensor.FromArray(BroadcastReference.Apply(BroadcastReference.Function(operation), expected, next),
                    BroadcastReference.Shape(expected.Shape, next.Shape).Dims.ToArray());
            var output = layer.Forward(inputs);
            Assert.Equal(expected.Shape, output.Shape);
            Assert.Equal(expected.ToArray(), output.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(ShapeSets))]
    public void Backward_MatchesFiniteDifferences(int[][] shapes)
    {
        var random = new Random(5);
        GradientCheck.CheckMerge(new Minimum(), Distinct(shapes, random), random);
        GradientCheck.CheckMerge(new Maximum(), Distinct(shapes, random), random);
    }

    [Fact]
    public void TheGradient_GoesToTheFirstInputHoldingTheValue_AndTheLayerStillDoesTwo()
    {
        var a = Tensor.FromArray([1f, 5, 3, 0], 1, 4);
        var b = Tensor.FromArray([2f, 5, 3, 7], 1, 4);
        var c = Tensor.FromArray([2f, 4, 3, 7], 1, 4);
        var dy = Tensor.FromArray([10f, 20, 30, 40], 1, 4);
        var max = new Maximum();
        Assert.Equal([2f, 5, 3, 7], max.Forward([a, b, c]).ToArray());
        var grads = max.BackwardAll(dy).Select(g => g.ToArray()).ToArray();
        Assert.Equal([0f, 20, 30, 0], grads[0]);
        Assert.Equal([10f, 0, 0, 40], grads[1]);
        Assert.Equal([0f, 0, 0, 0], grads[2]);

        // The same layer then takes two inputs, by the binary rule.
        Assert.Equal([2f, 5, 3, 7], max.Forward([a, b]).ToArray());
        grads = max.BackwardAll(dy).Select(g => g.ToArray()).ToArray();
        Assert.Equal(2, grads.Length);
        Assert.Equal([10f, 0, 0, 40], grads[1]);

        var min = new Minimum();
        Assert.Equal([1f, 4, 3, 0], min.Forward([c, b, a]).ToArray());
        grads = min.BackwardAll(dy).Select(g => g.ToArray()).ToArray();
        Assert.Equal([0f, 20, 30, 0], grads[0]);
        Assert.Equal([0f, 0, 0, 0], grads[1]);
        Assert.Equal([10f, 0, 0, 40], grads[2]);
    }

    [Fact]
    public void ASecondBatch_AllocatesNothing()
    {
        var random = new Random(3);
        Tensor[] inputs = [GradientCheck.RandomTensor(new Shape(2, 3, 4, 5), random), GradientCheck.RandomTensor(new Shape(1, 3, 1, 5), random),
            GradientCheck.RandomTensor(new Shape(5), random)];
        var layer = new Maximum();
        var dOutput = GradientCheck.RandomTensor(layer.Forward(inputs).Shape, random);
        layer.BackwardAll(dOutput);

        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(inputs);
        layer.BackwardAll(dOutput);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void OneInput_IsRefused_AndShapesThatDoNotBroadcast_NameTheInput()
    {
        Assert.Equal("Minimum(): needs at least two inputs, got 1.",
            Assert.Throws<ShapeException>(() => new Minimum().GetOutputShape([new Shape(2, 3)])).Message);
        Assert.Equal("Maximum(): inputs [2, 3] and [2, 3] and [2, 4] do not broadcast: input 2 differs in dimension 1 " +
            "(counted in the broadcast result) and neither size is 1.",
            Assert.Throws<ShapeException>(() => new Maximum().GetOutputShape([new Shape(2, 3), new Shape(2, 3), new Shape(2, 4)])).Message);
    }
}
