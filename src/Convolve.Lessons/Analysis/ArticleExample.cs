using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Analysis;

/// <summary>
/// Where one output row of a 3-row kernel comes from: the kernel's rows lie over image rows
/// <see cref="TopRow"/> .. <see cref="TopRow"/> + kernel height - 1.
/// </summary>
/// <param name="OutputRow">The output row (0-based).</param>
/// <param name="TopRow">The image row under the kernel's first row.</param>
/// <param name="ImageRows">The values of the image rows under the kernel (first column of the window), top to bottom.</param>
/// <param name="Response">The output value in that row (first column).</param>
public sealed record RowResponse(int OutputRow, int TopRow, float[] ImageRows, float Response);

/// <summary>
/// The article's running example: a 6x6 grayscale image whose rows 2 and 3 (counting from 0)
/// are bright (255) and the others dark (0), and two hand-made 3x3 edge kernels. The
/// convolutions are run by the engine's <see cref="Conv2D"/>, not by a separate loop.
/// </summary>
public static class ArticleExample
{
    /// <summary>The value of a bright pixel.</summary>
    public const float Bright = 255;

    /// <summary>The rows of the anchor image that are bright (0-based).</summary>
    public static IReadOnlyList<int> BrightRows { get; } = [2, 3];

    /// <summary>The anchor image, [1, 1, 6, 6].</summary>
    public static Tensor AnchorImage()
    {
        var image = new Tensor(new Shape(1, 1, 6, 6));
        foreach (int row in BrightRows)
            for (int w = 0; w < 6; w++) image[0, 0, row, w] = Bright;
        return image;
    }

    /// <summary>Horizontal edge detector: +1 on the top row, 0 in the middle, -1 on the bottom row. [1, 1, 3, 3].</summary>
    public static Tensor HorizontalKernel() => Tensor.FromArray([1, 1, 1, 0, 0, 0, -1, -1, -1], 1, 1, 3, 3);

    /// <summary>Vertical edge detector: the horizontal one turned a quarter: +1 left column, -1 right column. [1, 1, 3, 3].</summary>
    public static Tensor VerticalKernel() => Tensor.FromArray([1, 0, -1, 1, 0, -1, 1, 0, -1], 1, 1, 3, 3);

    /// <summary>
    /// Runs a single-filter <see cref="Conv2D"/> without bias (stride 1, no padding unless given)
    /// with <paramref name="kernel"/> [1, 1, kH, kW] over <paramref name="image"/> [N, 1, H, W].
    /// Returns a copy of the layer's output.
    /// </summary>
    public static Tensor Convolve(Tensor image, Tensor kernel, int stride = 1, int padding = 0)
    {
        if (kernel.Shape.Rank != 4 || kernel.Shape[0] != 1 || kernel.Shape[1] != 1 || kernel.Shape[2] != kernel.Shape[3])
            throw new ShapeException($"ArticleExample.Convolve: expected one square single-channel kernel [1, 1, k, k], got {kernel.Shape}.");
        var conv = new Conv2D(1, 1, kernel.Shape[2], stride, padding, bias: false);
        conv.Build(image.Shape);
        kernel.Span.CopyTo(conv.Weight.Value.Span);
        return conv.Forward(image).Clone();
    }

    /// <summary>
    /// For each output row of <paramref name="output"/> (the result of <see cref="Convolve"/> with
    /// stride 1 and no padding), the image rows the kernel covered there and the response.
    /// Values are read from column 0; they are the same in every column when the image's rows are uniform.
    /// </summary>
    public static IReadOnlyList<RowResponse> ExplainRows(Tensor image, Tensor output, int kernelSize)
    {
        var rows = new List<RowResponse>();
        for (int oh = 0; oh < output.Shape[2]; oh++)
        {
            var under = new float[kernelSize];
            for (int i = 0; i < kernelSize; i++) under[i] = image[0, 0, oh + i, 0];
            rows.Add(new RowResponse(oh, oh, under, output[0, 0, oh, 0]));
        }
        return rows;
    }

    /// <summary>Whether every row of <paramref name="tensor"/>'s first map holds one value.</summary>
    public static bool RowsAreUniform(Tensor tensor)
    {
        for (int h = 0; h < tensor.Shape[2]; h++)
            for (int w = 1; w < tensor.Shape[3]; w++)
                if (tensor[0, 0, h, w] != tensor[0, 0, h, 0]) return false;
        return true;
    }

    /// <summary>
    /// All 6x6 images whose rows are each wholly dark (0) or wholly bright (255) (2^6 of them),
    /// convolved at once by the engine's <see cref="Conv2D"/> with <paramref name="kernel"/>; returns
    /// the row patterns (true = bright) whose output rows equal <paramref name="rowValues"/>.
    /// Used to ask which image, if any, would give a map quoted in the article.
    /// </summary>
    public static IReadOnlyList<bool[]> RowPatternsGiving(Tensor kernel, IReadOnlyList<float> rowValues)
    {
        const int rows = 6, count = 1 << rows;
        var images = new Tensor(new Shape(count, 1, rows, rows));
        for (int n = 0; n < count; n++)
            for (int r = 0; r < rows; r++)
                if ((n >> r & 1) == 1)
                    for (int w = 0; w < rows; w++) images[n, 0, r, w] = Bright;
        var output = Convolve(images, kernel);
        if (rowValues.Count != output.Shape[2])
            throw new ArgumentException($"RowPatternsGiving: the output has {output.Shape[2]} rows, got {rowValues.Count} values.");
        var matches = new List<bool[]>();
        for (int n = 0; n < count; n++)
        {
            bool same = true;
            for (int h = 0; h < output.Shape[2] && same; h++)
                for (int w = 0; w < output.Shape[3] && same; w++)
                    same = output[n, 0, h, w] == rowValues[h];
            if (same) matches.Add([.. Enumerable.Range(0, rows).Select(r => (n >> r & 1) == 1)]);
        }
        return matches;
    }
}
