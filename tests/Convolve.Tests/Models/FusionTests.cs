using Convolve.Kernels;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Layers;

namespace Convolve.Tests.Models;

/// <summary>
/// Models run a convolution and the ReLU reading it as one pass (<see cref="Conv2D.ForwardRectified"/>,
/// <see cref="Activation.ForwardFused"/>). The results must be those of running the layers one by
/// one: outputs, every layer's output, input and parameter gradients, on the direct path (one
/// input channel) and the im2col path (four), in Sequential and Graph models.
/// </summary>
public class FusionTests
{
    private static (float[] Output, float[] DInput, float[] DParameters) Run(Model model, Tensor input, Tensor upstream, bool layerByLayer)
    {
        model.ZeroGradients();
        Tensor output, dInput;
        if (layerByLayer)
        {
            var layers = model.Layers;
            var x = input;
            foreach (var layer in layers) x = layer.Forward(x, training: true);
            output = x;
            var d = upstream;
            for (int i = layers.Count - 1; i >= 0; i--) d = layers[i].Backward(d);
            dInput = d;
        }
        else
        {
            output = model.Forward(input, training: true);
            dInput = model.Backward(upstream);
        }
        return (output.ToArray(), dInput.ToArray(), model.ParameterGradients.ToArray());
    }

    [Theory]
    [InlineData(1, 20)] // outputs 16 or more wide: the direct convolution path
    [InlineData(4, 12)] // narrower: im2col + GEMM
    public void Sequential_FusedConvolutionAndReLU_GiveTheLayerByLayerResults(int channels, int size)
    {
        var model = new Sequential(new Conv2D(channels, 6, 3), new ReLU(), new Conv2D(6, 5, 3, padding: 1), new ReLU(),
            new MaxPool2D(2), new Flatten(), new Dense(3));
        model.Build(new Shape(channels, size, size), seed: 4);
        var random = new Random(5);
        var input = GradientCheck.RandomTensor(new Shape(3, channels, size, size), random);
        var upstream = GradientCheck.RandomTensor(new Shape(3, 3), random);
        var separate = Run(model, input, upstream, layerByLayer: true);
        var fused = Run(model, input, upstream, layerByLayer: false);
        Assert.Equal(separate.Output, fused.Output);
        Assert.Equal(separate.DInput, fused.DInput);
        Assert.Equal(separate.DParameters, fused.DParameters);

        // The training step's path: parameter gradients only, the first layer's ReLU gradient
        // applied inside its weight-gradient loop.
        model.Forward(input, training: true);
        model.ZeroGradients();
        model.BackwardParameters(upstream);
        AssertClose(separate.DParameters, model.ParameterGradients.ToArray());
    }

    [Fact]
    public void LayerForward_AfterAFusedModelRun_IsNotRectified()
    {
        // A model run fuses; the layer on its own (as the feature-map pictures call it) must not.
        var model = new Sequential(new Conv2D(1, 4, 3), new ReLU(), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 8, 8), seed: 1);
        var input = GradientCheck.RandomTensor(new Shape(2, 1, 8, 8), new Random(2));
        model.Forward(input);
        var alone = model.Layers[0].Forward(input).ToArray();
        Assert.Contains(alone, v => v < 0);
    }

    [Fact]
    public void Graph_FusesOnlyAConvolutionReadByOneReLU()
    {
        var graph = new Graph();
        var a = graph.Apply(new Conv2D(1, 4, 3, padding: 1), graph.Input);
        var reluA = graph.Apply(new ReLU(), a);                       // fused
        var b = graph.Apply(new Conv2D(4, 4, 3, padding: 1), reluA);
        var reluB = graph.Apply(new ReLU(), b);                       // b is also read by the Add: not fused
        var sum = graph.Apply(new Add(), reluB, b);
        graph.Apply(new Dense(3), graph.Apply(new Flatten(), sum));
        graph.Build(new Shape(1, 6, 6), seed: 7);
        var random = new Random(8);
        var input = GradientCheck.RandomTensor(new Shape(2, 1, 6, 6), random);
        var upstream = GradientCheck.RandomTensor(new Shape(2, 3), random);

        // Reference: the same weights in a graph with no ReLU directly after a convolution
        // (LeakyReLU with slope 0 computes the same function and gradient, and is never fused).
        var plain = new Graph();
        var pa = plain.Apply(new LeakyReLU(0), plain.Apply(new Conv2D(1, 4, 3, padding: 1), plain.Input));
        var pb = plain.Apply(new Conv2D(4, 4, 3, padding: 1), pa);
        var psum = plain.Apply(new Add(), plain.Apply(new LeakyReLU(0), pb), pb);
        plain.Apply(new Dense(3), plain.Apply(new Flatten(), psum));
        plain.Build(new Shape(1, 6, 6), seed: 99);
        graph.ParameterValues.CopyTo(plain.ParameterValues);

        Assert.Equal(plain.Forward(input, training: true).ToArray(), graph.Forward(input, training: true).ToArray());
        plain.ZeroGradients();
        graph.ZeroGradients();
        Assert.Equal(plain.Backward(upstream).ToArray(), graph.Backward(upstream).ToArray());
        Assert.Equal(plain.ParameterGradients.ToArray(), graph.ParameterGradients.ToArray());
        Assert.Contains(graph.Layers[1].Forward(graph.Layers[0].Forward(input)).ToArray(), v => v == 0); // the ReLU did rectify
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"[{i}]: {actual[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(1, 28, 3, 0)]  // seed's first layers: 26 x 26 -> 13 x 13
    [InlineData(1, 28, 5, 2)]  // lenet5's: 28 x 28 -> 14 x 14
    [InlineData(2, 20, 3, 1)]  // two input channels, 20 x 20
    public void Inference_ConvolutionReLUAndPoolingInOnePass_GiveTheLayerByLayerOutput(int channels, int size, int kernel, int padding)
    {
        var model = new Sequential(new Conv2D(channels, 5, kernel, padding: padding), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(3));
        model.Build(new Shape(channels, size, size), seed: 6);
        var input = GradientCheck.RandomTensor(new Shape(3, channels, size, size), new Random(7));
        var x = input;
        foreach (var layer in model.Layers) x = layer.Forward(x);
        float[] expected = x.ToArray();
        Assert.Equal(expected, model.Forward(input).ToArray());

        // A backward pass after it gives what it gives after a training pass, whether or not a
        // kernel pooled on the way on this CPU (the dispatcher says; fused blocks run again).
        var conv = (Conv2D)model.Layers[0];
        Assert.Equal(conv.KernelChoices(input.Shape).Single(c => c.Pass == Conv2DPass.ForwardPooled).Choice.Kernel is not null,
            conv.TryForwardRectifiedPooled(input, (MaxPool2D)model.Layers[2]) is not null);
        var upstream = GradientCheck.RandomTensor(new Shape(3, 3), new Random(8));
        model.Forward(input);
        model.ZeroGradients();
        float[] dInputAfterInference = model.Backward(upstream).ToArray();
        float[] gradientsAfterInference = model.ParameterGradients.ToArray();
        model.Forward(input, training: true);
        model.ZeroGradients();
        Assert.Equal(model.Backward(upstream).ToArray(), dInputAfterInference);
        Assert.Equal(model.ParameterGradients.ToArray(), gradientsAfterInference);

        // A training pass runs the layers (with the convolution's ReLU fused) and gives the same output.
        Assert.Equal(expected, model.Forward(input, training: true).ToArray());
    }
}
