using System.Globalization;
using System.Text;

namespace Convolve.PeerBench;

/// <summary>
/// The table: one row per model, thread count and engine; throughput figures are medians over
/// rounds; ratios are Convolve/peer for the same model and thread count (above 1: Convolve
/// faster; for peak memory below 1: Convolve smaller).
/// </summary>
public sealed class ResultTable
{
    public static readonly string[] Header =
    [
        "model", "threads", "engine", "train img/s", "infer b64 img/s", "infer b1 img/s",
        "train peak MiB (+work)", "infer peak MiB (+work)",
        "C/peer train", "C/peer b64", "C/peer b1", "C/peer train peak",
    ];

    private readonly List<string[]> rows = [];

    public ResultTable(IReadOnlyList<Run> runs, Options options)
    {
        foreach (var model in options.Models)
            foreach (int threads in options.Threads)
            {
                var convolve = Summarize(runs, model, threads, "convolve");
                foreach (var engine in options.Engines.Select(name => Engine.Find(name)!))
                {
                    var s = Summarize(runs, model, threads, engine.Name);
                    bool peer = engine.Name != "convolve";
                    rows.Add(
                    [
                        model, threads.ToString(CultureInfo.InvariantCulture), engine.Title,
                        engine.Trains ? Rate(s.Train, s.TrainError) : "-",
                        Rate(s.Infer64, s.InferError), Rate(s.Infer1, s.InferError),
                        engine.Trains ? Peak(s.TrainPeak) : "-", Peak(s.InferPeak),
                        peer && engine.Trains ? Ratio(convolve.Train, s.Train) : "",
                        peer ? Ratio(convolve.Infer64, s.Infer64) : "",
                        peer ? Ratio(convolve.Infer1, s.Infer1) : "",
                        peer && engine.Trains ? Ratio(convolve.TrainPeak?.Peak, s.TrainPeak?.Peak) : "",
                    ]);
                }
            }
        Errors = [.. runs.Where(r => r.Error is not null).Select(r => $"{r.Model} {r.Threads}T {r.Engine.Name} {r.Mode}: {r.Error}").Distinct()];
    }

    /// <summary>Workers that failed, one line each.</summary>
    public IReadOnlyList<string> Errors { get; }

    private sealed record Summary(double? Train, double? Infer64, double? Infer1, (double Peak, double Start)? TrainPeak,
        (double Peak, double Start)? InferPeak, string? TrainError, string? InferError);

    private static Summary Summarize(IReadOnlyList<Run> runs, string model, int threads, string engine)
    {
        var mine = runs.Where(r => r.Model == model && r.Threads == threads && r.Engine.Name == engine).ToList();
        var train = mine.Where(r => r.Mode == "train").ToList();
        var infer = mine.Where(r => r.Mode == "infer").ToList();
        var trainOk = train.Select(r => r.Result).OfType<WorkerResult>().ToList();
        var inferOk = infer.Select(r => r.Result).OfType<WorkerResult>().ToList();
        return new Summary(
            Median(trainOk.Select(r => r.Train)), Median(inferOk.Select(r => r.Infer64)), Median(inferOk.Select(r => r.Infer1)),
            PeakOf(trainOk), PeakOf(inferOk),
            train.Count > 0 && trainOk.Count == 0 ? "failed" : null, infer.Count > 0 && inferOk.Count == 0 ? "failed" : null);
    }

    private static (double, double)? PeakOf(List<WorkerResult> results) =>
        results.Count == 0 ? null
            : (Median(results.Select(r => (double?)r.PeakKiB))!.Value / 1024, Median(results.Select(r => (double?)r.StartKiB))!.Value / 1024);

    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        if (sorted.Count == 0) return null;
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Rate(double? value, string? error) =>
        value is { } v ? v.ToString(v < 100 ? "N1" : "N0", CultureInfo.InvariantCulture) : error ?? "-";

    private static string Peak((double Peak, double Start)? peak) =>
        peak is var (p, s) ? string.Create(CultureInfo.InvariantCulture, $"{p:N0} (+{Math.Max(0, p - s):N0})") : "-";

    private static string Ratio(double? convolve, double? peer) =>
        convolve is { } c && peer is { } p && p > 0 ? (c / p).ToString("0.00", CultureInfo.InvariantCulture) : "-";

    /// <summary>The table as aligned plain text.</summary>
    public string ToText()
    {
        var all = rows.Prepend(Header).ToList();
        int[] widths = [.. Enumerable.Range(0, Header.Length).Select(c => all.Max(r => r[c].Length))];
        var text = new StringBuilder();
        for (int i = 0; i < all.Count; i++)
        {
            // Text columns left, figures right.
            text.AppendLine(string.Join("  ", all[i].Select((cell, c) => c < 3 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
            if (i == 0) text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
        return text.ToString();
    }

    /// <summary>The table as GitHub markdown.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", Header) + " |");
        text.AppendLine("|" + string.Join("|", Header.Select((_, c) => c < 3 ? " --- " : " ---: ")) + "|");
        foreach (var row in rows) text.AppendLine("| " + string.Join(" | ", row) + " |");
        return text.ToString();
    }
}
