using Convolve.Analysis;
using Convolve.Cli.Serve;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Serve.Tests;

/// <summary>
/// The receptive field the Draw page outlines, checked against the network itself: in a network of
/// convolutions and average pooling (linear, with random weights) an output changes when, and only
/// when, an input pixel inside its receptive field changes.
/// </summary>
public sealed class DrawReceptiveFieldTests
{
    private static Sequential Network()
    {
        var model = new Sequential(
            new Conv2D(1, 2, kernelSize: 3, stride: 2, padding: 1), new LeakyReLU(0.5f),
            new AvgPool2D(2),
            new Conv2D(2, 2, kernelSize: 5, padding: 2),
            new Conv2D(2, 1, kernelSize: 3, dilation: 2));
        model.Build(new Shape(1, 20, 20), seed: 3);
        return model;
    }

    [Theory]
    [InlineData(0, 0, 0)]   // in the padding's corner
    [InlineData(0, 4, 7)]
    [InlineData(2, 2, 3)]   // after pooling
    [InlineData(3, 0, 4)]
    [InlineData(1, 9, 9)]   // an elementwise layer: its convolution's field
    [InlineData(4, 0, 0)]   // a dilated convolution on top: the whole input
    public void Field_IsExactlyThePixelsThatChangeTheValue(int layer, int y, int x)
    {
        var model = Network();
        var input = new Tensor(new Shape(1, 20, 20));
        var random = new Random(7);
        for (int i = 0; i < input.Length; i++) input[i] = (float)random.NextDouble();
        float Value(Tensor image)
        {
            var output = LayerOutputs.Collect(model, image)[layer].Output;
            return output[y * output.Shape[2] + x]; // channel 0
        }
        float before = Value(input);
        int top = int.MaxValue, left = int.MaxValue, bottom = -1, right = -1;
        for (int r = 0; r < 20; r++)
            for (int c = 0; c < 20; c++)
            {
                var changed = input.Clone();
                changed[r * 20 + c] += 1;
                if (Value(changed) == before) continue;
                (top, left, bottom, right) = (Math.Min(top, r), Math.Min(left, c), Math.Max(bottom, r), Math.Max(right, c));
            }
        var field = DrawAnalysis.FieldOf(model, layer, y, x);
        Assert.True(field.Exact);
        Assert.Equal((top, left, bottom - top + 1, right - left + 1), (field.Top, field.Left, field.Height, field.Width));
    }
}
