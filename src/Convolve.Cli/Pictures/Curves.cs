using Convolve.Training;

namespace Convolve.Cli.Pictures;

/// <summary>Training curves: loss and accuracy per epoch, as CSV and as a PNG drawn with ScottPlot.</summary>
internal static class Curves
{
    /// <summary>Writes <c>curves.csv</c>, <c>loss.png</c> and <c>accuracy.png</c> into <paramref name="folder"/>, each atomically.</summary>
    public static void Write(string folder, string title, TrainingSession session)
    {
        Serialization.AtomicFile.Write(Path.Combine(folder, "curves.csv"), System.Text.Encoding.UTF8.GetBytes(session.HistoryCsv()));

        var history = session.History;
        double[] epochs = [.. history.Select(r => (double)r.Epoch)];
        bool validated = history.All(r => r.ValidationLoss is not null);
        Draw(Path.Combine(folder, "loss.png"), $"{title}: loss per epoch", "cross-entropy", epochs,
            [.. history.Select(r => (double)r.TrainLoss)], validated ? [.. history.Select(r => (double)r.ValidationLoss!)] : null);
        Draw(Path.Combine(folder, "accuracy.png"), $"{title}: accuracy per epoch", "accuracy (%)", epochs,
            [.. history.Select(r => r.TrainAccuracy * 100.0)], validated ? [.. history.Select(r => r.ValidationAccuracy!.Value * 100.0)] : null);
    }

    private static void Draw(string path, string title, string yLabel, double[] epochs, double[] training, double[]? validation)
    {
        var plot = new ScottPlot.Plot();
        plot.Add.Scatter(epochs, training).LegendText = "training";
        if (validation is not null) plot.Add.Scatter(epochs, validation).LegendText = "validation";
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend();
        // Encoded in memory and written through AtomicFile: a full disk must not leave half a PNG.
        using var image = plot.GetImage(700, 450);
        Serialization.AtomicFile.Write(path, image.GetImageBytes(ScottPlot.ImageFormat.Png));
    }
}
