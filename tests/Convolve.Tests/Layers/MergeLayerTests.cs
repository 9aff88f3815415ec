using System.Text.Json;
using Convolve.Layers;
using Convolve.Serialization;
using Convolve.Tensors;
using static Convolve.Tests.Layers.TestTensors;

namespace Convolve.Tests.Layers;

/// <summary>Add (broadcasting, any number of inputs) and Concat along any axis.</summary>
public class MergeLayerTests
{
    [Fact]
    public void Add_OfThreeInputs_Broadcasting_MatchesReferenceAndFiniteDifferences()
    {
        var random = new Random(3);
        Tensor[] inputs = [BroadcastReference.Operand(new Shape(2, 3, 1, 4), random, false), BroadcastReference.Operand(new Shape(1, 1, 2, 4), random, false),
            BroadcastReference.Operand(new Shape(3, 1, 1), random, false)];
        var layer = new Add();

        var output = layer.Forward(inputs);

        var add = BroadcastReference.Function(BinaryOperation.Add);
        var firstTwo = BroadcastReference.Apply(add, inputs[0], inputs[1]);
        var expected = BroadcastReference.Apply(add, new Tensor(BroadcastReference.Shape(inputs[0].Shape, inputs[1].Shape), firstTwo), inputs[2]);
        Assert.Equal(new Shape(2, 3, 2, 4), output.Shape);
        Assert.Equal(expected, output.ToArray());
        GradientCheck.CheckMerge(new Add(), inputs, random);
    }

    [Fact]
    public void Add_OfEqualShapes_GivesEveryInputDOutputItself()
    {
        var random = new Random(4);
        Tensor[] inputs = [BroadcastReference.Operand(new Shape(2, 3), random, false), BroadcastReference.Operand(new Shape(2, 3), random, false),
            BroadcastReference.Operand(new Shape(2, 3), random, false)];
        var layer = new Add();
        var output = layer.Forward(inputs);
        var dOutput = BroadcastReference.Operand(output.Shape, random, false);

        var gradients = layer.BackwardAll(dOutput);

        Assert.All(gradients, g => Assert.Same(dOutput, g));
        for (int i = 0; i < output.Length; i++) Assert.Equal(inputs[0][i] + inputs[1][i] + inputs[2][i], output[i]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(-1)]
    public void Concat_JoinsAlongAnyNonBatchAxis(int axis)
    {
        var random = new Random(axis + 10);
        int resolved = axis < 0 ? 4 + axis : axis;
        int[] a = [2, 3, 4, 5], b = [2, 3, 4, 5];
        b[resolved] = 2;
        var x1 = GradientCheck.RandomTensor(new Shape(a), random);
        var x2 = GradientCheck.RandomTensor(new Shape(b), random);
        var layer = new Concat(axis);

        var y = layer.Forward([x1, x2]);

        for (int i = 0; i < y.Length; i++)
        {
            var index = BroadcastReference.Index(i, y.Shape);
            bool first = index[resolved] < a[resolved];
            if (!first) index[resolved] -= a[resolved];
            var source = first ? x1 : x2;
            int flat = 0;
            for (int d = 0; d < 4; d++) flat = flat * source.Shape[d] + index[d];
            Assert.Equal(source[flat], y[i]);
        }
        GradientCheck.CheckMerge(new Concat(axis), [x1, x2], random);
    }

    [Fact]
    public void Concat_RefusesTheBatchAxisAndMisfits_AndReadsOldConfigsAsChannels()
    {
        Assert.Equal("Concat(axis=0): axis 0 is not a non-batch axis of input [2, 3] (axes 1 to 1, or -1 to -1).",
            Assert.Throws<ShapeException>(() => new Concat(0).GetOutputShape([new Shape(2, 3), new Shape(2, 3)])).Message);
        Assert.Equal("Concat(axis=2): inputs must agree in every dimension but axis 2, got [2, 3, 4] and [2, 2, 4].",
            Assert.Throws<ShapeException>(() => new Concat(2).GetOutputShape([new Shape(2, 3, 4), new Shape(2, 2, 4)])).Message);
        Assert.Equal("Concat(): inputs must agree in every dimension but the channels (axis 1), got [2, 3, 4] and [2, 2, 5].",
            Assert.Throws<ShapeException>(() => new Concat().GetOutputShape([new Shape(2, 3, 4), new Shape(2, 2, 5)])).Message);
        // A config written before the axis existed has no "axis": it still means the channels.
        Assert.Equal(new ConcatConfig(1), JsonSerializer.Deserialize<LayerConfig>("""{"type":"Concat"}""", ModelFile.JsonOptions));
    }
}
