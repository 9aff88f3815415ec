using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Tests.Layers;

namespace Convolve.Tests.Serialization;

/// <summary>The layers ONNX import maps to (activations, broadcasting arithmetic, shape layers) survive a model file.</summary>
public sealed class ModelFileOnnxLayersTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("convolve-newlayers-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static Tensor Constant(Random random, params int[] dims) => GradientCheck.RandomTensor(new Shape(dims), random);

    [Fact]
    public void ASequentialWithEveryNewLayer_RoundTrips()
    {
        var random = new Random(5);
        var perChannel = Constant(random, 2, 1, 1);
        var model = new Sequential(
            new Conv2D(1, 2, 3, padding: 1),
            new ElementwiseConstant(BinaryOperation.Subtract, perChannel),
            new ElementwiseConstant(BinaryOperation.Divide, Tensor.FromArray([2.5f], [])),
            new ElementwiseConstant(BinaryOperation.Multiply, Constant(random, 1, 5), constantOnLeft: true),
            new Clip(0, 6), new Clip(-1), new HardSigmoid(0.3f, 0.4f), new HardSwish(),
            new Pad([0, 1, 2, 0, 1, 2], PadMode.Reflect), new Pad([0, 1, 0, 0, 0, 1], PadMode.Constant, float.NegativeInfinity),
            new Clip(-3, 3),
            new Slice(2, 1, -1), new Transpose(0, 2, 3, 1), new Reshape(0, -1), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 5, 5), seed: 3);
        var input = GradientCheck.RandomTensor(new Shape(3, 1, 5, 5), new Random(6));
        var expected = model.Forward(input).ToArray();
        string path = Path.Combine(folder, "sequential.cvm");

        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);

        Assert.Equal(model.ToString(), loaded.ToString());
        Assert.Equal(model.NamedParameters.Select(p => p.Key), loaded.NamedParameters.Select(p => p.Key));
        Assert.Equal(model.ParameterValues.ToArray(), loaded.ParameterValues.ToArray());
        Assert.Equal(perChannel.ToArray(), ((ElementwiseConstant)loaded.Layers[1]).Constant.Value.ToArray());   // Build did not re-initialise it
        Assert.Equal(expected, loaded.Forward(input).ToArray());
        Assert.Equal(2 + 1 + 5, loaded.Summarize().NonTrainableParameters);   // the three constants
        var clip = Assert.IsType<Clip>(loaded.Layers[5]);
        Assert.Equal(float.PositiveInfinity, clip.Max);
        Assert.Equal(float.NegativeInfinity, Assert.IsType<Pad>(loaded.Layers[9]).Value);
    }

    [Fact]
    public void AGraphWithBroadcastingMergesSplitsAndAxisConcat_RoundTrips()
    {
        var graph = new Graph();
        var x = graph.Apply(new Conv2D(1, 4, 3, padding: 1), graph.Input);
        var pooled = graph.Apply(new GlobalAvgPool2D(keepDims: true), x);                      // [N, 4, 1, 1]
        var scaled = graph.Apply(new Multiply(), x, graph.Apply(new Sigmoid(), pooled));       // squeeze-and-excitation style
        var top = graph.Apply(new Slice(1, 0, 2), scaled);                                      // a Split into two halves
        var bottom = graph.Apply(new Slice(1, 2, 4), scaled);
        var difference = graph.Apply(new Subtract(), top, bottom);
        var ratio = graph.Apply(new Divide(), difference, graph.Apply(new ElementwiseConstant(BinaryOperation.Add, Tensor.FromArray([2f], 1)),
            graph.Apply(new Slice(1, 2, 4), graph.Apply(new Sigmoid(), pooled))));                // / (2 + [N, 2, 1, 1])
        var summed = graph.Apply(new Add(), ratio, graph.Apply(new Slice(1, 0, 2), pooled));  // [N, 2, H, W] + [N, 2, 1, 1]
        var joined = graph.Apply(new Concat(3), summed, difference);                           // along the width
        graph.Apply(new Dense(3), graph.Apply(new Flatten(), joined));
        graph.Build(new Shape(1, 4, 4), seed: 9);
        var input = GradientCheck.RandomTensor(new Shape(2, 1, 4, 4), new Random(7));
        var expected = graph.Forward(input).ToArray();
        string path = Path.Combine(folder, "graph.cvm");

        ModelFile.Save(graph, path);
        var loaded = Assert.IsType<Graph>(ModelFile.Load(path));

        Assert.Equal(graph.ToString(), loaded.ToString());
        Assert.Equal(graph.ParameterValues.ToArray(), loaded.ParameterValues.ToArray());
        Assert.Equal(expected, loaded.Forward(input).ToArray());
    }

    [Fact]
    public void AGraphWithBroadcastingMerges_Backward_MatchesFiniteDifferences()
    {
        // The whole graph's input gradient, through Multiply/Subtract/Divide/Add with broadcasting.
        var graph = new Graph();
        var pooled = graph.Apply(new GlobalAvgPool2D(keepDims: true), graph.Input);            // [N, 2, 1, 1]
        var product = graph.Apply(new Multiply(), graph.Input, pooled);
        var shifted = graph.Apply(new ElementwiseConstant(BinaryOperation.Add, Tensor.FromArray([3f, 4f], 2, 1, 1)), pooled);
        var quotient = graph.Apply(new Divide(), product, shifted);
        graph.Apply(new Subtract(), quotient, graph.Apply(new Slice(-1, 0, 1), graph.Input));    // [N, 2, 3, 3] - [N, 2, 3, 1]
        graph.Build(new Shape(2, 3, 3), seed: 1);
        var random = new Random(8);
        var input = GradientCheck.RandomTensor(new Shape(2, 2, 3, 3), random);
        var upstream = GradientCheck.RandomTensor(graph.Forward(input).Shape, random);
        graph.Forward(input);
        var dInput = graph.Backward(upstream).Clone();

        double Loss()
        {
            var y = graph.Forward(input).Span;
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * upstream[i];
            return sum;
        }
        const float step = 1e-2f;
        for (int i = 0; i < input.Length; i++)
        {
            float original = input[i];
            input[i] = original + step;
            double plus = Loss();
            input[i] = original - step;
            double minus = Loss();
            input[i] = original;
            double numeric = (plus - minus) / (2 * step);
            Assert.True(Math.Abs(numeric - dInput[i]) <= 2e-3 + 2e-2 * Math.Max(Math.Abs(numeric), Math.Abs(dInput[i])),
                $"dinput[{i}]: finite difference {numeric:G6}, backward {dInput[i]:G6}");
        }
    }
}
