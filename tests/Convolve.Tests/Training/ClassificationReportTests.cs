using Convolve.Training;

namespace Convolve.Tests.Training;

public class ClassificationReportTests
{
    [Fact]
    public void PrecisionRecallAndConfusion_FollowTheirDefinitions()
    {
        // Three classes; by hand: class 0 has 2 right of 3, class 1 has 1 right of 1, class 2 has 0 of 1.
        int[] labels = [0, 0, 0, 1, 2];
        int[] predicted = [0, 0, 1, 1, 0];
        var report = ClassificationReport.From(predicted, labels, ["x", "y", "z"]);

        Assert.Equal(2, report.Confusion[0, 0]);
        Assert.Equal(1, report.Confusion[0, 1]);
        Assert.Equal(1, report.Confusion[2, 0]);
        Assert.Equal(3.0 / 5, report.Accuracy, 12);
        Assert.Equal(2.0 / 3, report.Precision[0], 12); // column 0: two right, one from class 2
        Assert.Equal(2.0 / 3, report.Recall[0], 12);
        Assert.Equal(0.5, report.Precision[1], 12);
        Assert.Equal(0, report.Precision[2]);
        Assert.Equal([3, 1, 1], report.Support);
    }
}
