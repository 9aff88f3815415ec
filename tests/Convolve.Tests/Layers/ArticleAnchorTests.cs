using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>The article's 6x6 anchor image and its hand-made horizontal edge detector.</summary>
public class ArticleAnchorTests
{
    internal static Tensor AnchorImage()
    {
        var image = new Tensor(new Shape(1, 1, 6, 6));
        for (int w = 0; w < 6; w++)
        {
            image[0, 0, 2, w] = 255;
            image[0, 0, 3, w] = 255;
        }
        return image;
    }

    [Fact]
    // The article prints rows 0, -765, 765, 0, but its own image (rows 2 and 3 bright, counting
    // from 0) and its own loop give -765, -765, 765, 765: every output row i sees image rows
    // i..i+2, and 3 * (row i - row i+2) is -765 for i = 0, 1 and +765 for i = 2, 3
    // (numpy agrees). Convolve prints what the arithmetic gives.
    public void HorizontalEdgeKernel_OnAnchorImage_GivesRowsOfMinus765_Minus765_765_765()
    {
        var conv = new Conv2D(1, 1, kernelSize: 3, bias: false);
        conv.Build(new Shape(1, 1, 6, 6));
        float[] kernel = [1, 1, 1, 0, 0, 0, -1, -1, -1];
        kernel.CopyTo(conv.Weight.Value.Span);

        var output = conv.Forward(AnchorImage());

        Assert.Equal(new Shape(1, 1, 4, 4), output.Shape);
        float[] imageRows = [0, 0, 255, 255, 0, 0];
        float[] expectedRows = [.. Enumerable.Range(0, 4).Select(i => 3 * (imageRows[i] - imageRows[i + 2]))];
        Assert.Equal([-765f, -765f, 765f, 765f], expectedRows);
        for (int h = 0; h < 4; h++)
            for (int w = 0; w < 4; w++)
                Assert.Equal(expectedRows[h], output[0, 0, h, w]);
    }

    [Fact]
    public void ArticleNetwork_Summary_PrintsTheArticleShapes()
    {
        var model = new Sequential(new Conv2D(1, 1, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(2), new Softmax());
        model.Build(new Shape(1, 6, 6), seed: 1);

        var summary = model.Summarize();

        Assert.Equal("6x6x1 -> 4x4x1 -> 2x2x1 -> 4 -> 2", summary.ShapeFlow());
        Assert.Equal(9 + 1 + 4 * 2 + 2, summary.TotalParameters);
        Assert.Equal(9 + 8, summary.TotalWeights);
        Assert.Equal(1 + 2, summary.TotalBiases);
    }
}
