namespace Convolve.Distributed.Tests;

/// <summary>The cost model's arithmetic, and its table in docs/distributed.md being the one it computes.</summary>
public sealed class ScalingModelTests
{
    [Fact]
    public void TheRingAllReduce_SendsTwiceTheGradientsLessAShare_PlusALatencyPerHop()
    {
        // 2 machines, 1 M parameters (4 MB), 8 Gb/s = 1 GB/s: 2 x 1/2 x 4 MB / 1 GB/s = 4 ms, plus 2 hops of latency.
        Assert.Equal(4e-3 + 2 * ScalingModel.LatencySeconds, ScalingModel.AllReduceSeconds(1_000_000, 2, 8), 12);
        // Many machines: the bandwidth term tends to twice the gradient bytes, whatever N.
        Assert.Equal(8e-3, ScalingModel.AllReduceSeconds(1_000_000, 1_000_000, 8) - 2 * 999_999 * ScalingModel.LatencySeconds, 6);
    }

    [Fact]
    public void TheBatchFor80Percent_IsTheSmallestThatReachesIt()
    {
        double perImage = 1e-3, allReduce = 0.05;
        int batch = ScalingModel.BatchFor(0.8, perImage, allReduce);
        Assert.True(ScalingModel.Efficiency(perImage, batch, allReduce) >= 0.8);
        Assert.True(ScalingModel.Efficiency(perImage, batch - 1, allReduce) < 0.8);
        Assert.Equal(200, batch);
    }

    [Fact]
    public void MnistCnn_HasAbout1Point2MillionParameters()
    {
        Assert.Equal(1_199_882, ScalingModel.MnistCnnParameters);
    }

    [Fact]
    public void TheDocsTable_IsTheOneTheModelComputes()
    {
        string docs = File.ReadAllText(Path.Combine(Root(), "docs", "distributed.md")).Replace("\r\n", "\n");
        string table = ScalingModel.Table();
        Assert.True(docs.Contains(table, StringComparison.Ordinal), "docs/distributed.md should contain the model's table:\n" + table);
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Convolve.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (Convolve.slnx) above " + AppContext.BaseDirectory);
    }
}
