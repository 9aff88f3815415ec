using Convolve.Analysis;

namespace Convolve.Lessons.Tests.Analysis;

public class EdgeFilterExperimentTests
{
    [Fact]
    public void LearnedFilter_ClassifiesHeldOutImages_AndIsHorizontal()
    {
        var r = EdgeFilterExperiment.Run(seed: 1);
        Assert.True(r.TestAccuracy > 0.9, $"test accuracy {r.TestAccuracy}");
        Assert.True(r.RowStructure > 0.8, $"row structure {r.RowStructure}");
        Assert.Equal(KernelMath.Correlation(r.Kernel, ArticleExample.HorizontalKernel().Span), r.Correlation);
        Assert.Equal(r.Starts.Max(s => s.ValidationAccuracy), r.Starts[r.ChosenStart].ValidationAccuracy);
        // Starts stop at the first that reaches the target; every earlier one fell short of it.
        Assert.All(r.Starts.SkipLast(1), s => Assert.True(s.ValidationAccuracy < r.TargetValidationAccuracy));
    }

    [Fact]
    public void SameSeed_GivesTheSameFilter() =>
        Assert.Equal(EdgeFilterExperiment.Run(seed: 3, maxStarts: 2, targetValidationAccuracy: 1.1, trainCount: 100, epochs: 2).Kernel,
            EdgeFilterExperiment.Run(seed: 3, maxStarts: 2, targetValidationAccuracy: 1.1, trainCount: 100, epochs: 2).Kernel);

    // Translation: the same edge two rows lower gives the same responses two rows lower.
    [Fact]
    public void LearnedFilter_RespondsToAShiftedEdge_WithShiftedResponses()
    {
        var r = EdgeFilterExperiment.Run(seed: 2, maxStarts: 1, trainCount: 200, epochs: 2);
        var top = EdgeFilterExperiment.Respond(r.Model, EdgeImages.HorizontalEdge(2, true));
        var bottom = EdgeFilterExperiment.Respond(r.Model, EdgeImages.HorizontalEdge(4, true));
        for (int h = 0; h < 2; h++)
            for (int w = 0; w < 4; w++)
                Assert.Equal(top.FeatureMap[0, 0, h, w], bottom.FeatureMap[0, 0, h + 2, w]);
    }
}
