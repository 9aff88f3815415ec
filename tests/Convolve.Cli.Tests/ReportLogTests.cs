using Convolve.Cli.Report;
using Convolve.Models;
using Convolve.Training;

namespace Convolve.Cli.Tests;

/// <summary>The report's log of a run as checkpoints carry it: the first-layer filters by epoch and the epoch-time prediction.</summary>
public sealed class ReportLogTests
{
    private static TrainingSession Session(string architecture = "lenet5") =>
        new(Architectures.Get(architecture).Build(1, 1, 10), new TrainingOptions(3, 16, 1));

    [Fact]
    public void NewRun_StartsWithTheFiltersBeforeTraining_AndTheCheckpointGivesThemBack()
    {
        var session = Session();
        var log = ReportLog.Start(session, saved: null);
        var conv = (Convolve.Layers.Conv2D)session.Model.Layers[0];
        var initial = conv.Weight.Value.ToArray();
        Assert.Equal(0, log.Filters.Single().Epoch);
        Assert.Equal([6, 1, 5, 5], log.Filters.Single().Shape);
        Assert.Equal(initial, log.Filters.Single().Weights);

        conv.Weight.Value.Span.Fill(0.25f); // as if an epoch had trained it
        log.Record(session.Model, 1);
        var metadata = new Dictionary<string, string> { ["data"] = "digits" };
        log.WriteTo(metadata);

        var again = ReportLog.Start(session, metadata);
        Assert.Equal([0, 1], again.Filters.Select(f => f.Epoch));
        Assert.Equal(initial, again.Filters[0].Weights);
        Assert.All(again.Filters[1].Weights, w => Assert.Equal(0.25f, w));
        Assert.Null(again.Prediction);
    }

    [Fact]
    public void UnreadableFilterEntries_AreLeftOut()
    {
        var session = Session();
        var metadata = new Dictionary<string, string>();
        ReportLog.Start(session, null).WriteTo(metadata);
        string good = metadata["train-filters.0"];
        metadata["train-filters.1"] = "6,1,5:" + good[(good.IndexOf(':') + 1)..]; // three dimensions
        metadata["train-filters.2"] = "6,1,5,5:AAAA"; // too few weights
        metadata["train-filters.3"] = "6,1,5,5:not base64!";
        metadata["train-filters.x"] = good;
        Assert.Equal([0], ReportLog.Start(session, metadata).Filters.Select(f => f.Epoch));
    }

    [Fact]
    public void ModelWithoutConvolution_RecordsNoFilters()
    {
        var log = ReportLog.Start(Session("mlp"), null);
        Assert.Empty(log.Filters);
    }
}
