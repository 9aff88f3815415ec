using System.Globalization;
using System.Net;
using System.Text;

namespace Convolve.Cli.Report;

/// <summary>
/// Draws a <see cref="TrainingReport"/> as one self-contained HTML file: inline CSS, inline SVG
/// charts and PNG data URIs, no scripts and no links out, so it opens from disk offline. The
/// markup is well-formed XML (every element closed, text escaped) so tools can read it back; the
/// numbers also sit in <c>data-value</c> attributes with full precision.
/// </summary>
internal static class ReportHtml
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
        h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
        th { background: #f3f3f3; } td.name { text-align: left; } code { background: #f3f3f3; padding: 2px 4px; word-break: break-all; }
        td.diagonal { background: #d8f0d8; font-weight: bold; } .mistakes { display: flex; flex-wrap: wrap; gap: 12px; }
        figure.mistake { margin: 0; width: 120px; font-size: 0.85em; } figure.mistake img { width: 84px; height: 84px; image-rendering: pixelated; }
        svg text { font-size: 11px; } img.strip { image-rendering: pixelated; max-width: 100%; display: block; }
        """;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The report's HTML.</summary>
    public static string Render(TrainingReport r)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>")
            .Append(E($"convolve train: {r.Architecture} on {r.DataName}")).Append("</title><style>").Append(Style).Append("</style></head><body>\n");
        h.Append("<h1>").Append(E($"Training report: {r.Architecture} on {r.DataName}")).Append("</h1>\n");
        Run(h, r);
        Epochs(h, r);
        Confusion(h, r);
        Classes(h, r);
        FilterHistory(h, r);
        Filters(h, r);
        Mistakes(h, r);
        h.Append("</body></html>\n");
        return h.ToString();
    }

    private static void Run(StringBuilder h, TrainingReport r)
    {
        var (train, validation, test) = r.Counts;
        h.Append("<section id=\"run\"><h2>Run</h2><table>\n");
        Row(h, "command", "Command line", $"<code>{E(r.CommandLine)}</code>");
        Row(h, "seed", "Seed", N(r.Seed));
        Row(h, "model", "Model", E($"{r.Architecture}, {Terminal.Count(r.Parameters)} parameters"));
        Row(h, "data", "Data set", E(r.DataName));
        Row(h, "sha256", "Data SHA-256", $"<code>{r.DataSha256}</code>");
        Row(h, "images", "Images", E($"{Terminal.Count(train)} training, {Terminal.Count(validation)} validation, " +
            $"{Terminal.Count(test)} test, {Terminal.Plural(r.ClassNames.Count, "class", "classes")}"));
        Row(h, "os", "Operating system", E(r.Machine.OperatingSystem));
        Row(h, "cpu", "CPU", E(r.Machine.Cpu));
        Row(h, "cores", "Cores", N(r.Machine.Cores));
        Row(h, "simd", "Vectors in use", E(r.Machine.Simd));
        Row(h, "speed", "Training speed",
            $"<span data-value=\"{N(r.ImagesPerSecond)}\">{E(Terminal.Count((long)Math.Round(r.ImagesPerSecond)))}</span> images per second");
        EpochTime(h, r);
        double accuracy = (double)r.Correct / Math.Max(1, test);
        Row(h, "accuracy", "Test accuracy",
            $"<span data-value=\"{N(accuracy)}\">{(accuracy * 100).ToString("F2", Invariant)}%</span>" +
            E($" ({Terminal.Count(r.Correct)} of {Terminal.Count(test)})"));
        h.Append("</table></section>\n");
    }

    // The prediction made before training beside the mean measured epoch, and how far apart they are.
    private static void EpochTime(StringBuilder h, TrainingReport r)
    {
        if (r.Prediction is not { } p)
        {
            Row(h, "predicted", "Epoch time predicted", E(r.PredictionNote));
            return;
        }
        string validation = p.ValidationSecondsPerImage > 0 ? " and one validation pass over up to " +
            $"{Terminal.Count(EpochTimePrediction.ValidationImages)} images" : "";
        Row(h, "predicted", "Epoch time predicted",
            $"<span data-value=\"{N(p.Seconds)}\">{E(EpochTimePrediction.Duration(p.Seconds))}</span>" +
            E($" per epoch, before training, from {Terminal.Plural(p.Batches, "timed training batch", "timed training batches")} " +
            $"(after {Terminal.Plural(p.WarmupSteps, "untimed warm-up step")} of {EpochTimePrediction.WarmupBatchSize} images and one untimed batch)" +
            $"{validation}; " +
            $"the calibration took {EpochTimePrediction.Duration(p.CalibrationSeconds)} and did not change the training."));
        if (r.History.Count == 0) return;
        double measured = r.History.Average(e => e.Seconds), ratio = measured / p.Seconds;
        Row(h, "measured", "Epoch time measured",
            $"<span data-value=\"{N(measured)}\">{E(EpochTimePrediction.Duration(measured))}</span>" +
            E($" per epoch on average over {Terminal.Plural(r.History.Count, "epoch")}: measured / predicted = ") +
            $"<span class=\"ratio\" data-value=\"{N(ratio)}\">{ratio.ToString("F2", Invariant)}</span>" +
            E(" (1.00 is a perfect prediction; the table below gives each epoch's)") + Later(r.History, p) + ".");
    }

    // The first epoch also pays one-time costs (the run's own buffers, code compiled for its first
    // calls), which the calibration's warm-up leaves out; the epochs after it show the steady pace.
    private static string Later(IReadOnlyList<Training.EpochRecord> history, EpochTimePrediction p)
    {
        if (history.Count < 2) return "";
        double later = history.Skip(1).Average(e => e.Seconds), ratio = later / p.Seconds;
        return E($"; the first epoch also pays one-time costs, and the epochs after it took {EpochTimePrediction.Duration(later)} on average, " +
            "measured / predicted = ") + $"<span class=\"later-ratio\" data-value=\"{N(ratio)}\">{ratio.ToString("F2", Invariant)}</span>";
    }

    private static void Row(StringBuilder h, string id, string name, string html) =>
        h.Append("<tr id=\"").Append(id).Append("\"><th>").Append(E(name)).Append("</th><td class=\"name\">").Append(html).Append("</td></tr>\n");

    private static void Epochs(StringBuilder h, TrainingReport r)
    {
        h.Append("<section id=\"epochs\"><h2>Loss and accuracy per epoch</h2>\n");
        bool validated = r.History.Count > 0 && r.History.All(e => e.ValidationLoss is not null);
        Chart(h, "loss-chart", "loss (cross-entropy)", [.. r.History.Select(e => (double)e.TrainLoss)],
            validated ? [.. r.History.Select(e => (double)e.ValidationLoss!.Value)] : null);
        Chart(h, "accuracy-chart", "accuracy (%)", [.. r.History.Select(e => e.TrainAccuracy * 100.0)],
            validated ? [.. r.History.Select(e => e.ValidationAccuracy!.Value * 100.0)] : null);
        h.Append("<table id=\"epoch-table\"><tr><th>epoch</th><th>loss</th><th>accuracy</th>")
            .Append("<th>validation loss</th><th>validation accuracy</th><th>seconds</th><th>measured / predicted</th></tr>\n");
        foreach (var e in r.History)
        {
            h.Append("<tr data-epoch=\"").Append(N(e.Epoch)).Append("\"><td>").Append(N(e.Epoch)).Append("</td>");
            Cell(h, "loss", e.TrainLoss, e.TrainLoss.ToString("F4", Invariant));
            Cell(h, "accuracy", e.TrainAccuracy, (e.TrainAccuracy * 100).ToString("F2", Invariant) + "%");
            if (e.ValidationLoss is { } vl) Cell(h, "validation-loss", vl, vl.ToString("F4", Invariant));
            else h.Append("<td>-</td>");
            if (e.ValidationAccuracy is { } va) Cell(h, "validation-accuracy", va, (va * 100).ToString("F2", Invariant) + "%");
            else h.Append("<td>-</td>");
            Cell(h, "seconds", e.Seconds, e.Seconds.ToString("F1", Invariant));
            if (r.Prediction is { } p) Cell(h, "ratio", e.Seconds / p.Seconds, (e.Seconds / p.Seconds).ToString("F2", Invariant));
            else h.Append("<td>-</td>");
            h.Append("</tr>\n");
        }
        h.Append("</table></section>\n");
    }

    private static void Cell(StringBuilder h, string name, double value, string shown) =>
        h.Append("<td data-name=\"").Append(name).Append("\" data-value=\"").Append(N(value)).Append("\">").Append(E(shown)).Append("</td>");

    // A line chart of one or two series over the epochs: training solid, validation dashed.
    private static void Chart(StringBuilder h, string id, string label, double[] training, double[]? validation)
    {
        const int width = 460, height = 260, left = 56, right = 16, top = 16, bottom = 40;
        var all = training.Concat(validation ?? []).Where(double.IsFinite).ToList();
        double min = all.Count > 0 ? all.Min() : 0, max = all.Count > 0 ? all.Max() : 1;
        if (max - min < 1e-9) (min, max) = (min - 0.5, max + 0.5);
        int n = training.Length;
        double X(int i) => left + (n <= 1 ? (width - left - right) / 2.0 : i * (width - left - right) / (double)(n - 1));
        double Y(double v) => top + (max - v) / (max - min) * (height - top - bottom);
        h.Append($"<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\">")
            .Append($"<title>{E(label)} per epoch</title>");
        h.Append($"<rect x=\"{left}\" y=\"{top}\" width=\"{width - left - right}\" height=\"{height - top - bottom}\" fill=\"none\" stroke=\"#999\"/>");
        foreach (double v in new[] { max, (min + max) / 2, min })
            h.Append($"<text x=\"{left - 4}\" y=\"{N(Y(v) + 4)}\" text-anchor=\"end\">{E(v.ToString("G4", Invariant))}</text>");
        for (int i = 0; i < n; i++)
            h.Append($"<text x=\"{N(X(i))}\" y=\"{height - bottom + 14}\" text-anchor=\"middle\">{i + 1}</text>");
        h.Append($"<text x=\"{(left + width - right) / 2}\" y=\"{height - 6}\" text-anchor=\"middle\">epoch</text>");
        h.Append($"<text x=\"{left}\" y=\"{top - 4}\">{E(label)}: training (blue){(validation is null ? "" : ", validation (orange, dashed)")}</text>");
        Line(h, training, X, Y, "#1f77b4", "training", "");
        if (validation is not null) Line(h, validation, X, Y, "#ff7f0e", "validation", " stroke-dasharray=\"6 3\"");
        h.Append("</svg>\n");
    }

    private static void Line(StringBuilder h, double[] values, Func<int, double> x, Func<double, double> y, string colour, string name, string dash)
    {
        string points = string.Join(" ", values.Select((v, i) => $"{N(x(i))},{N(y(v))}"));
        h.Append($"<polyline class=\"{name}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{points}\"/>");
        for (int i = 0; i < values.Length; i++) h.Append($"<circle cx=\"{N(x(i))}\" cy=\"{N(y(values[i]))}\" r=\"3\" fill=\"{colour}\"/>");
    }

    private static void Confusion(StringBuilder h, TrainingReport r)
    {
        int classes = r.ClassNames.Count;
        h.Append("<section id=\"confusion\"><h2>Confusion matrix (test set)</h2><p>Rows are the true classes, columns the predicted ones.</p>");
        h.Append("<table id=\"confusion-table\"><tr><th>true \\ predicted</th>");
        foreach (var name in r.ClassNames) h.Append("<th>").Append(E(name)).Append("</th>");
        h.Append("</tr>\n");
        for (int t = 0; t < classes; t++)
        {
            h.Append("<tr><th>").Append(E(r.ClassNames[t])).Append("</th>");
            for (int p = 0; p < classes; p++)
                h.Append("<td").Append(t == p ? " class=\"diagonal\"" : "").Append($" data-true=\"{t}\" data-predicted=\"{p}\">")
                    .Append(N(r.Confusion[t, p])).Append("</td>");
            h.Append("</tr>\n");
        }
        h.Append("</table></section>\n");
    }

    private static void Classes(StringBuilder h, TrainingReport r)
    {
        h.Append("<section id=\"classes\"><h2>Precision and recall per class (test set)</h2>");
        h.Append("<table id=\"class-table\"><tr><th>class</th><th>precision</th><th>recall</th><th>test images</th></tr>\n");
        for (int c = 0; c < r.ClassNames.Count; c++)
        {
            h.Append($"<tr data-class=\"{c}\"><td class=\"name\">").Append(E(r.ClassNames[c])).Append("</td>");
            Ratio(h, "precision", r.Precision(c));
            Ratio(h, "recall", r.Recall(c));
            h.Append("<td>").Append(N(Enumerable.Range(0, r.ClassNames.Count).Sum(p => r.Confusion[c, p]))).Append("</td></tr>\n");
        }
        h.Append("</table><p>Precision: of the images predicted as the class, the share that are. Recall: of the images of the class, the share found. ");
        h.Append("A dash: no image was predicted as (or is of) the class.</p></section>\n");
    }

    private static void Ratio(StringBuilder h, string name, double? value)
    {
        if (value is { } v) Cell(h, name, v, (v * 100).ToString("F1", Invariant) + "%");
        else h.Append($"<td data-name=\"{name}\">-</td>");
    }

    private static void FilterHistory(StringBuilder h, TrainingReport r)
    {
        h.Append("<section id=\"filter-history\"><h2>First-layer filters after each epoch</h2><p>").Append(E(r.FilterHistoryCaption)).Append("</p>");
        if (r.FilterHistory.Count > 0)
        {
            h.Append("<table id=\"filter-table\">\n");
            foreach (var (epoch, png) in r.FilterHistory)
            {
                string name = epoch == 0 ? "before training" : $"after epoch {epoch}";
                h.Append($"<tr data-epoch=\"{epoch}\"><th>{E(name)}</th><td class=\"name\">")
                    .Append($"<img class=\"strip\" alt=\"first-layer filters {E(name)}\" src=\"{DataUri(png)}\"/></td></tr>\n");
            }
            h.Append("</table>");
        }
        h.Append("</section>\n");
    }

    private static void Filters(StringBuilder h, TrainingReport r)
    {
        h.Append("<section id=\"filters\"><h2>First-layer filters after the last epoch</h2>");
        if (r.FiltersPng is { } png) h.Append($"<img alt=\"first-layer filters\" src=\"{DataUri(png)}\"/>");
        h.Append("<p>").Append(E(r.FiltersCaption)).Append("</p></section>\n");
    }

    private static void Mistakes(StringBuilder h, TrainingReport r)
    {
        h.Append($"<section id=\"mistakes\"><h2>The {Terminal.Plural(r.Mistakes.Count, "worst mistake")} (test set)</h2>");
        h.Append("<p>The wrong answers the model was surest of, with its three most probable classes.</p><div class=\"mistakes\">\n");
        foreach (var m in r.Mistakes)
        {
            h.Append($"<figure class=\"mistake\" data-index=\"{m.Index}\" data-true=\"{m.Label}\" data-predicted=\"{m.Predicted}\" ")
                .Append($"data-probability=\"{N(m.Confidence)}\"><img alt=\"test image {m.Index}\" src=\"{DataUri(m.Png)}\"/><figcaption>")
                .Append(E($"#{m.Index}: is {r.ClassNames[m.Label]}, predicted {r.ClassNames[m.Predicted]}"));
            foreach (var (c, p) in m.Top) h.Append("<br/>").Append(E($"{r.ClassNames[c]}: {(p * 100).ToString("F1", Invariant)}%"));
            h.Append("</figcaption></figure>\n");
        }
        if (r.Mistakes.Count == 0) h.Append("<p>No mistakes on the test set.</p>");
        h.Append("</div></section>\n");
    }

    private static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    private static string N(double value) => value.ToString("R", Invariant);

    private static string N(long value) => value.ToString(Invariant);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
