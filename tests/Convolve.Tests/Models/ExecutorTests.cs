using Convolve.Kernels.Cpu;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Layers;

namespace Convolve.Tests.Models;

/// <summary>
/// <see cref="Sequential"/> and <see cref="Graph"/> run on one <see cref="Executor"/> with one
/// <see cref="FusionPlanner"/>: a Sequential gives what the same layers give as a straight-line
/// Graph, and fused blocks give what the layers give one by one: exactly for a convolution's ReLU
/// and 2x2 max pooling, within float rounding for a batch normalisation folded into the
/// convolution (inference only).
/// </summary>
public class ExecutorTests
{
    // Folding scales the weights before the sums instead of the sums after: a few float roundings apart.
    private const float FoldTolerance = 1e-5f;

    private static Layer[] Layers() =>
    [
        new Conv2D(2, 6, 3, padding: 1), new BatchNorm2D(6), new ReLU(), new MaxPool2D(2),
        new Conv2D(6, 4, 3), new BatchNorm2D(4), new ReLU(),
        new Conv2D(4, 5, 1), new ReLU(), new Flatten(), new Dense(3), new Softmax(),
    ];

    // Batch normalisations with statistics and affine parameters away from their initial 0 and 1.
    private static void Perturb(Model model, int seed)
    {
        var random = new Random(seed);
        foreach (var norm in model.Layers.OfType<BatchNorm2D>())
            for (int c = 0; c < norm.Config.Channels; c++)
            {
                norm.Weight.Value.Span[c] = 0.5f + random.NextSingle();
                norm.Bias.Value.Span[c] = random.NextSingle() - 0.5f;
                norm.RunningMean.Value.Span[c] = random.NextSingle() - 0.5f;
                norm.RunningVar.Value.Span[c] = 0.2f + random.NextSingle();
            }
    }

    private static Graph Chain(IEnumerable<Layer> layers)
    {
        var graph = new Graph();
        var node = graph.Input;
        foreach (var layer in layers) node = graph.Apply(layer, node);
        return graph;
    }

    // The layers one after another, no fusion: the definition the executor must match.
    private static (float[] Output, float[] DInput, float[] DParameters) LayerByLayer(Model model, Tensor input, Tensor upstream, bool training)
    {
        model.ZeroGradients();
        var x = input;
        foreach (var layer in model.Layers) x = layer.Forward(x, training);
        float[] output = x.ToArray();
        var d = upstream;
        for (int i = model.Layers.Count - 1; i >= 0; i--) d = model.Layers[i].Backward(d);
        return (output, d.ToArray(), model.ParameterGradients.ToArray());
    }

    private static (float[] Output, float[] DInput, float[] DParameters) Executed(Model model, Tensor input, Tensor upstream, bool training)
    {
        model.ZeroGradients();
        float[] output = model.Forward(input, training).ToArray();
        float[] dInput = model.Backward(upstream).ToArray();
        return (output, dInput, model.ParameterGradients.ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"[{i}]: {actual[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sequential_GivesWhatTheSameLayersGiveAsAStraightLineGraph(bool training)
    {
        var sequential = new Sequential(Layers());
        sequential.Build(new Shape(2, 10, 10), seed: 3);
        Perturb(sequential, 4);
        var graph = Chain(Layers());
        graph.Build(new Shape(2, 10, 10), seed: 99);
        sequential.ParameterValues.CopyTo(graph.ParameterValues);
        var random = new Random(5);
        var input = GradientCheck.RandomTensor(new Shape(3, 2, 10, 10), random);
        var upstream = GradientCheck.RandomTensor(new Shape(3, 3), random);

        var a = Executed(sequential, input, upstream, training);
        var b = Executed(graph, input, upstream, training);
        Assert.Equal(a.Output, b.Output);
        Assert.Equal(a.DInput, b.DInput);
        Assert.Equal(a.DParameters, b.DParameters);
        Assert.Equal(sequential.ForwardLogits(input, training).ToArray(), graph.ForwardLogits(input, training).ToArray());
        Assert.Equal(sequential.Executor!.FusedBlocks(training).Select(b => b.ToString()), graph.Executor!.FusedBlocks(training).Select(b => b.ToString()));
    }

    [Fact]
    public void Plan_FoldsBatchNormalisationAndPoolsAtInference_FusesOnlyConvolutionAndReLUInTraining()
    {
        var graph = Chain(Layers());
        graph.Build(new Shape(2, 10, 10), seed: 3);
        Assert.Equal(["conv2d_1 + batchnorm2d_1 + relu_1 + maxpool2d_1", "conv2d_2 + batchnorm2d_2 + relu_2", "conv2d_3 + relu_3"],
            graph.Executor!.FusedBlocks(training: false).Select(b => b.ToString()));
        Assert.Equal(["conv2d_3 + relu_3"], graph.Executor.FusedBlocks(training: true).Select(b => b.ToString()));

        // Folding pays where a filter has as many output positions as weights: 3 x 10 x 10 >= 2 x 3 x 3, but 3 x 3 x 3 < 6 x 3 x 3.
        var blocks = graph.Executor.FusedBlocks(training: false);
        Assert.True(blocks[0].FoldPays(new Shape(3, 2, 10, 10)));
        Assert.False(blocks[1].FoldPays(new Shape(3, 6, 5, 5)));
        Assert.True(blocks[1].FoldPays(new Shape(6, 6, 5, 5)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FusedBlocks_GiveTheLayerByLayerResults(bool sequential)
    {
        var model = sequential ? (Model)new Sequential(Layers()) : Chain(Layers());
        model.Build(new Shape(2, 10, 10), seed: 6);
        Perturb(model, 7);
        var random = new Random(8);
        var input = GradientCheck.RandomTensor(new Shape(3, 2, 10, 10), random);
        var upstream = GradientCheck.RandomTensor(new Shape(3, 3), random);

        // Training: only the last convolution's ReLU is fused, which changes nothing.
        var expected = LayerByLayer(model, input, upstream, training: true);
        var actual = Executed(model, input, upstream, training: true);
        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.DInput, actual.DInput);
        Assert.Equal(expected.DParameters, actual.DParameters);

        // Inference: the outputs within rounding; a backward pass after it runs the layers again
        // as they are, so its gradients are exactly those after an unfused inference pass.
        expected = LayerByLayer(model, input, upstream, training: false);
        float[] stored = model.ParameterValues.ToArray();
        actual = Executed(model, input, upstream, training: false);
        AssertClose(expected.Output, actual.Output, FoldTolerance);
        Assert.Equal(expected.DInput, actual.DInput);
        Assert.Equal(expected.DParameters, actual.DParameters);
        Assert.Equal(stored, model.ParameterValues.ToArray()); // folding never writes the parameters
    }

    [Fact]
    public void FoldedWeights_FollowAChangeOfAnyParameter_HoweverItIsWritten()
    {
        var model = Chain(Layers());
        model.Build(new Shape(2, 10, 10), seed: 9);
        Perturb(model, 10);
        var input = GradientCheck.RandomTensor(new Shape(2, 2, 10, 10), new Random(11));
        float[] Unfused()
        {
            var x = input;
            foreach (var layer in model.Layers) x = layer.Forward(x);
            return x.ToArray();
        }
        AssertClose(Unfused(), model.Forward(input).ToArray(), FoldTolerance);

        // Through a layer's parameter, through the model's span, and by a training pass (running statistics).
        var norm = (BatchNorm2D)model.Layers[1];
        norm.RunningVar.Value.Span[2] *= 4;
        AssertClose(Unfused(), model.Forward(input).ToArray(), FoldTolerance);
        ((Conv2D)model.Layers[0]).Weight.Value.Span[5] += 0.5f;
        AssertClose(Unfused(), model.Forward(input).ToArray(), FoldTolerance);
        model.ParameterValues[0] -= 0.25f;
        AssertClose(Unfused(), model.Forward(input).ToArray(), FoldTolerance);
        model.Forward(input, training: true);
        AssertClose(Unfused(), model.Forward(input).ToArray(), FoldTolerance);
    }

    [Fact]
    public void Graph_FusesNothingWhoseInnerValueHasAnotherReader()
    {
        // conv_a's value is read by the normalisation and by the Add; norm_b's by the ReLU and the
        // Add; the pooling's input is the ReLU's value, read also by the Concat.
        var graph = new Graph();
        var a = graph.Apply(new Conv2D(2, 4, 3, padding: 1) { Name = "conv_a" }, graph.Input);
        var normA = graph.Apply(new BatchNorm2D(4) { Name = "norm_a" }, a);
        var b = graph.Apply(new Conv2D(4, 4, 3, padding: 1) { Name = "conv_b" }, graph.Apply(new Add(), normA, a));
        var normB = graph.Apply(new BatchNorm2D(4) { Name = "norm_b" }, b);
        var reluB = graph.Apply(new ReLU() { Name = "relu_b" }, normB);
        var sum = graph.Apply(new Add(), reluB, normB);
        var c = graph.Apply(new Conv2D(4, 4, 1) { Name = "conv_c" }, sum);
        var reluC = graph.Apply(new ReLU() { Name = "relu_c" }, c);
        var pooled = graph.Apply(new MaxPool2D(2), reluC);
        graph.Apply(new Dense(3), graph.Apply(new Flatten(), graph.Apply(new Concat(), pooled, graph.Apply(new MaxPool2D(2), reluC))));
        graph.Build(new Shape(2, 6, 6), seed: 12);
        Perturb(graph, 13);

        Assert.Equal(["conv_b + norm_b", "conv_c + relu_c"], graph.Executor!.FusedBlocks(training: false).Select(block => block.ToString()));
        var input = GradientCheck.RandomTensor(new Shape(2, 2, 6, 6), new Random(14));
        var upstream = GradientCheck.RandomTensor(new Shape(2, 3), new Random(15));
        var fused = Executed(graph, input, upstream, training: false);
        float[] values = [.. graph.ParameterValues];
        var plain = new Graph();
        var pa = plain.Apply(new Conv2D(2, 4, 3, padding: 1), plain.Input);
        var pb = plain.Apply(new Conv2D(4, 4, 3, padding: 1), plain.Apply(new Add(), plain.Apply(new BatchNorm2D(4), pa), pa));
        var pnB = plain.Apply(new BatchNorm2D(4), plain.Apply(new Identity(), pb)); // the Identity keeps them apart
        var pc = plain.Apply(new Conv2D(4, 4, 1), plain.Apply(new Add(), plain.Apply(new ReLU(), pnB), pnB));
        var pr = plain.Apply(new LeakyReLU(0), pc); // same function as a ReLU, never fused
        plain.Apply(new Dense(3), plain.Apply(new Flatten(), plain.Apply(new Concat(), plain.Apply(new MaxPool2D(2), pr), plain.Apply(new MaxPool2D(2), pr))));
        plain.Build(new Shape(2, 6, 6), seed: 16);
        Assert.Empty(plain.Executor!.FusedBlocks(training: false));
        values.CopyTo(plain.ParameterValues);
        var unfused = Executed(plain, input, upstream, training: false);
        AssertClose(unfused.Output, fused.Output, FoldTolerance);
        Assert.Equal(unfused.DInput, fused.DInput);
        Assert.Equal(unfused.DParameters, fused.DParameters);
    }

    // A residual block with a projection shortcut, as in ResNet: the shortcut's convolution reads
    // the block's input, not the value computed just before it. separated: an identity layer after
    // each convolution, so that nothing fuses.
    private static Graph Residual(bool separated)
    {
        var graph = new Graph();
        GraphNode Conv(Conv2D conv, GraphNode x) => separated ? graph.Apply(new Identity(), graph.Apply(conv, x)) : graph.Apply(conv, x);
        var stem = graph.Apply(new MaxPool2D(2), graph.Apply(new ReLU(), graph.Apply(new BatchNorm2D(4), Conv(new Conv2D(2, 4, 3, padding: 1), graph.Input))));
        var main = graph.Apply(new ReLU(), graph.Apply(new BatchNorm2D(6), Conv(new Conv2D(4, 6, 3, stride: 2, padding: 1, bias: false), stem)));
        main = graph.Apply(new BatchNorm2D(6), Conv(new Conv2D(6, 6, 3, padding: 1, bias: false), main));
        var shortcut = graph.Apply(new BatchNorm2D(6), Conv(new Conv2D(4, 6, 1, stride: 2, bias: false), stem));
        var sum = graph.Apply(new ReLU(), graph.Apply(new Add(), main, shortcut));
        graph.Apply(new Dense(3), graph.Apply(new Flatten(), graph.Apply(new GlobalAvgPool2D(), sum)));
        return graph;
    }

    [Fact]
    public void ResidualBlock_FusedAtInference_GivesTheUnfusedResults()
    {
        var fused = Residual(separated: false);
        fused.Build(new Shape(2, 12, 12), seed: 21);
        Perturb(fused, 22);
        Assert.Equal(4, fused.Executor!.FusedBlocks(training: false).Count);
        var plain = Residual(separated: true);
        plain.Build(new Shape(2, 12, 12), seed: 23);
        Assert.Empty(plain.Executor!.FusedBlocks(training: false));
        fused.ParameterValues.CopyTo(plain.ParameterValues);
        var random = new Random(24);
        var input = GradientCheck.RandomTensor(new Shape(3, 2, 12, 12), random);
        var upstream = GradientCheck.RandomTensor(new Shape(3, 3), random);

        var expected = Executed(plain, input, upstream, training: false);
        var actual = Executed(fused, input, upstream, training: false);
        AssertClose(expected.Output, actual.Output, FoldTolerance);
        Assert.Equal(expected.DInput, actual.DInput);
        Assert.Equal(expected.DParameters, actual.DParameters);
        expected = Executed(plain, input, upstream, training: true);
        actual = Executed(fused, input, upstream, training: true);
        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.DParameters, actual.DParameters);
    }

    private sealed class Identity : Layer
    {
        public override Shape GetOutputShape(Shape inputShape) => inputShape;
        public override Tensor Forward(Tensor input, bool training = false) => input;
        public override Tensor Backward(Tensor dOutput) => dOutput;
        public override LayerConfig GetConfig() => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ASecondBatch_AllocatesNothing(bool training)
    {
        var model = Chain(Layers());
        model.Build(new Shape(2, 10, 10), seed: 17);
        model.SetMaxThreads(1);
        Perturb(model, 18);
        var input = GradientCheck.RandomTensor(new Shape(4, 2, 10, 10), new Random(19));
        var upstream = GradientCheck.RandomTensor(new Shape(4, 3), new Random(20));
        void Step()
        {
            model.ForwardLogits(input, training);
            if (training) model.BackwardParameters(upstream);
        }
        Step();
        Step();
        Gemm.ReserveThreadBuffer(); // as a thread\'s first GEMM would, whichever parts the warm-up gave it
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
