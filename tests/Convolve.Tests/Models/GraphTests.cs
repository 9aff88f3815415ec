using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Layers;

namespace Convolve.Tests.Models;

public class GraphTests
{
    [Fact]
    public void AChainGraph_ComputesWhatTheSequentialWithTheSameWeightsComputes()
    {
        var sequential = new Sequential(new Conv2D(1, 3, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(4), new Softmax());
        sequential.Build(new Shape(1, 8, 8), seed: 5);
        var graph = new Graph();
        var x = graph.Input;
        foreach (var config in sequential.Layers.Select(l => l.GetConfig())) x = graph.Apply(config.CreateLayer(), x);
        graph.Build(new Shape(1, 8, 8), seed: 99);
        sequential.ParameterValues.CopyTo(graph.ParameterValues);
        var input = GradientCheck.RandomTensor(new Shape(3, 1, 8, 8), new Random(1));

        Assert.Equal(sequential.Forward(input).ToArray(), graph.Forward(input).ToArray());
        Assert.Equal(sequential.ForwardLogits(input).ToArray(), graph.ForwardLogits(input).ToArray());
        var upstream = GradientCheck.RandomTensor(new Shape(3, 4), new Random(2));
        Assert.Equal(sequential.Backward(upstream).ToArray(), graph.Backward(upstream).ToArray());
        Assert.Equal(sequential.ParameterGradients.ToArray(), graph.ParameterGradients.ToArray());
        Assert.Equal(sequential.Summarize().ShapeFlow(), graph.Summarize().ShapeFlow());
    }

    private static Graph ResidualAndConcat()
    {
        var graph = new Graph();
        var x = graph.Apply(new Conv2D(2, 3, 3, padding: 1), graph.Input);
        var branch = graph.Apply(new Tanh(), graph.Apply(new Conv2D(3, 3, 3, padding: 1), x));
        var sum = graph.Apply(new Add(), x, branch);                 // x is read twice: its gradients add up
        var side = graph.Apply(new Conv2D(3, 2, 1), x);
        var joined = graph.Apply(new Concat(), sum, side);          // 3 + 2 channels
        graph.Apply(new Dense(3), graph.Apply(new Flatten(), graph.Apply(new AvgPool2D(2), joined)));
        graph.Build(new Shape(2, 4, 4), seed: 3);
        return graph;
    }

    [Fact]
    public void ResidualAndConcatGraph_Backward_MatchesFiniteDifferences()
    {
        var graph = ResidualAndConcat();
        var random = new Random(4);
        var input = GradientCheck.RandomTensor(new Shape(2, 2, 4, 4), random);
        var upstream = GradientCheck.RandomTensor(new Shape(2, 3), random);
        graph.Forward(input, training: true);
        graph.ZeroGradients();
        var dInput = graph.Backward(upstream).Clone();
        float[] dParameters = graph.ParameterGradients.ToArray();

        double Loss()
        {
            var y = graph.Forward(input, training: true).Span;
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * upstream[i];
            return sum;
        }
        void Check(Span<float> values, Func<int, float> analytic, string what)
        {
            const float step = 1e-2f;
            for (int i = 0; i < values.Length; i++)
            {
                float original = values[i];
                values[i] = original + step;
                double plus = Loss();
                values[i] = original - step;
                double minus = Loss();
                values[i] = original;
                double numeric = (plus - minus) / (2 * step), exact = analytic(i);
                Assert.True(Math.Abs(numeric - exact) <= 2e-3 + 2e-2 * Math.Max(Math.Abs(numeric), Math.Abs(exact)),
                    $"d{what}[{i}]: finite difference {numeric:G6}, backward {exact:G6}");
            }
        }
        Check(input.Span, i => dInput[i], "input");
        Check(graph.ParameterValues, i => dParameters[i], "parameters");
    }

    [Fact]
    public void MisusedGraphs_AreRefusedWithTheReason()
    {
        var graph = new Graph();
        var relu = new ReLU();
        var x = graph.Apply(relu, graph.Input);
        Assert.Equal("Graph: ReLU() is in the graph already; a layer is applied once (create another for a second use).",
            Assert.Throws<ArgumentException>(() => graph.Apply(relu, x)).Message);
        Assert.Equal("Graph: Tanh() takes one input, got 2; merge branches with a merge layer (Add, Subtract, Multiply, Divide, Concat).",
            Assert.Throws<ArgumentException>(() => graph.Apply(new Tanh(), x, graph.Input)).Message);

        graph.Apply(new Sigmoid(), graph.Input);                     // a dead end: the output is the Flatten below
        graph.Apply(new Flatten(), x);
        Assert.Equal("Graph: Sigmoid() (sigmoid_1) does not lead to the output.",
            Assert.Throws<InvalidOperationException>(() => graph.Build(new Shape(1, 2, 2))).Message);

        var mismatched = new Graph();
        var a = mismatched.Apply(new Conv2D(1, 2, 3), mismatched.Input);
        mismatched.Apply(new Add(), a, mismatched.Input);
        Assert.Equal("add_1 Add(): inputs [N, 2, 2, 2] and [N, 1, 4, 4] do not broadcast: " +
            "input 1 differs in dimension 2 (counted in the broadcast result) and neither size is 1.",
            Assert.Throws<ShapeException>(() => mismatched.Build(new Shape(1, 4, 4))).Message);
    }
}
