using Convolve.Experiments;

namespace Convolve.Lessons.Tests.Experiments;

public class ExperimentSettingsTests
{
    private static readonly ExperimentSettings Quick = new(Epochs: 2, BatchSize: 8, Seed: 3);

    [Fact]
    public void Fit_SameSeed_GivesTheSameModel()
    {
        var train = SyntheticBars.Create(perClass: 6, size: 8, seed: 1);

        var a = ExperimentTraining.Fit(Candidate.GlobalPoolCnn, train, Quick);
        var b = ExperimentTraining.Fit(Candidate.GlobalPoolCnn, train, Quick);

        Assert.Equal(a.Model.ParameterValues.ToArray(), b.Model.ParameterValues.ToArray());
    }
}
