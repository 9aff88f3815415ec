using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Lessons.Tests.Transfer;

/// <summary>A small backbone and data set for the transfer-learning tests.</summary>
internal static class TransferData
{
    // A small "pre-trained" backbone: conv, batch norm, relu, conv, relu, global pool to 4 features.
    public static Sequential Backbone(int seed = 3)
    {
        var model = new Sequential(new Conv2D(1, 4, 3, padding: 1), new BatchNorm2D(4), new ReLU(), new Conv2D(4, 4, 3), new ReLU(),
            new GlobalAvgPool2D(keepDims: false));
        model.Build(new Shape(1, 8, 8), seed);
        // Running statistics away from their initial 0 and 1, as after pre-training.
        var bn = (BatchNorm2D)model.Layers[1];
        bn.RunningMean.Value.Span.Fill(0.1f);
        bn.RunningVar.Value.Span.Fill(2f);
        return model;
    }

    // Two classes of 8x8 gray images: bright in the left half (class 0) or in the right half (class 1), plus noise.
    public static ImageDataset Halves(int perClass, int seed)
    {
        var random = new Random(seed);
        var images = new Tensor(new Shape(2 * perClass, 1, 8, 8));
        var labels = new int[2 * perClass];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 2;
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++)
                    images[i, 0, y, x] = ((x < 4) == (labels[i] == 0) ? 0.8f : 0.1f) + 0.1f * (float)random.NextDouble();
        }
        return new ImageDataset(images, labels, ["left", "right"]);
    }
}
