using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Lessons.Tests.Experiments;

/// <summary>
/// A tiny two-class image set that any of the experiment networks can learn in a few steps:
/// class 0 is a vertical bar, class 1 a horizontal bar, at a random place in a size x size image.
/// </summary>
internal static class SyntheticBars
{
    public static ImageDataset Create(int perClass, int size, int seed)
    {
        var random = new Random(seed);
        int n = 2 * perClass;
        var images = new Tensor(new Shape(n, 1, size, size));
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int label = i % 2, at = random.Next(1, size - 1);
            labels[i] = label;
            for (int k = 0; k < size; k++)
            {
                if (label == 0) images[i, 0, k, at] = 1;
                else images[i, 0, at, k] = 1;
            }
        }
        return new ImageDataset(images, labels, ["vertical", "horizontal"]);
    }
}
