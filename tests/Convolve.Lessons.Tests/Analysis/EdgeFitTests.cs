using Convolve.Analysis;

namespace Convolve.Lessons.Tests.Analysis;

public class EdgeFitTests
{
    [Fact]
    public void Sobel_X_IsAVerticalEdge_ExplainedMostlyByThePlane()
    {
        // Sobel's x kernel: columns -1, 0, +1 with weights 1, 2, 1 per row.
        float[] sobelX = [-1, 0, 1, -2, 0, 2, -1, 0, 1];

        var fit = EdgeFit.Of(sobelX, 3, 3);

        // Slope along x: sum(x*w)/sum(x^2) = (1+2+1)*2 / 6 = 4/3; along y: 0 by symmetry.
        Assert.Equal(4f / 3, fit.SlopeX, 5);
        Assert.Equal(0f, fit.SlopeY, 5);
        // Explained: slope^2 * sum(x^2) / sum(w^2) = (16/9 * 6) / 12 = 8/9.
        Assert.Equal(8f / 9, fit.Explained, 5);
        Assert.Equal(EdgeOrientation.Vertical, fit.Orientation);
    }

    [Theory]
    [InlineData(new float[] { 1, 1, 1, 0, 0, 0, -1, -1, -1 }, EdgeOrientation.Horizontal)]
    [InlineData(new float[] { 0, 1, 2, -1, 0, 1, -2, -1, 0 }, EdgeOrientation.Falling)] // brighter to the top right: the edge runs top-left to bottom-right
    [InlineData(new float[] { 2, 1, 0, 1, 0, -1, 0, -1, -2 }, EdgeOrientation.Rising)]
    public void Ramps_HaveTheEdgeAcrossTheirSlope(float[] weights, EdgeOrientation expected)
    {
        var fit = EdgeFit.Of(weights, 3, 3);

        Assert.Equal(1f, fit.Explained, 5); // an exact plane
        Assert.Equal(expected, fit.Orientation);
    }

    [Fact]
    public void CentreSpot_IsNotEdgeLike()
    {
        var fit = EdgeFit.Of([0, 0, 0, 0, 1, 0, 0, 0, 0], 3, 3);

        Assert.Equal(0f, fit.Explained, 5);
        Assert.Equal(EdgeOrientation.None, fit.Orientation);
    }
}
