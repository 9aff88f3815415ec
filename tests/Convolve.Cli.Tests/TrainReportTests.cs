using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Convolve.Data;
using SkiaSharp;

namespace Convolve.Cli.Tests;

/// <summary>One short training run with <c>--report</c>, shared by the tests that read its report.</summary>
public sealed class ReportRun : IDisposable
{
    /// <summary>The run's seed: not the default, so that the report shows the one typed.</summary>
    public const int Seed = 5;

    public ReportRun()
    {
        Report = Path.Combine(Folder, "run.html");
        Checkpoint = Path.Combine(Folder, "run.ckpt");
        Model = Path.Combine(Folder, "m.cvm");
        Result = CliRunner.Run([.. Arguments(Model), "--report", Report, "--checkpoint", Checkpoint]);
        Html = File.ReadAllText(Report);
        // Well-formed XML apart from the HTML doctype, which XML readers refuse without a DTD.
        Document = XDocument.Parse(Html.Replace("<!DOCTYPE html>", ""));
    }

    /// <summary>The run's training arguments, saving the model to <paramref name="model"/>.</summary>
    public static string[] Arguments(string model) => ["train", "--limit", "300", "--epochs", "2", "--seed", $"{Seed}", "--out", model];

    public string Folder { get; } = Directory.CreateTempSubdirectory("convolve-cli-report-").FullName;

    /// <summary>The trained model.</summary>
    public string Model { get; }

    public string Report { get; }

    /// <summary>The run's checkpoint, kept because it was named.</summary>
    public string Checkpoint { get; }

    public CliRunner.Result Result { get; }

    public string Html { get; }

    public XDocument Document { get; }

    /// <summary>Elements named <paramref name="name"/> (any namespace: the SVG charts have their own).</summary>
    public IEnumerable<XElement> All(string name) => Document.Descendants().Where(e => e.Name.LocalName == name);

    public XElement ById(string id) => Document.Descendants().First(e => (string?)e.Attribute("id") == id);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>
/// <c>convolve train --report</c>: each section of the HTML holds what the run computed, checked
/// against the run's own printed output and against figures recomputed here from the report's
/// confusion matrix and from the data set itself.
/// </summary>
public sealed class TrainReportTests(ReportRun run) : IClassFixture<ReportRun>
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static double Value(XElement e) => double.Parse((string)e.Attribute("data-value")!, Invariant);

    private static long Count(string text) => long.Parse(text.Replace(",", ""), Invariant);

    private int TestCount => (int)Count(Regex.Match(run.Result.Output, @"Test accuracy: [\d.]+% on ([\d,]+) images").Groups[1].Value);

    private int[,] Confusion()
    {
        var cells = run.All("td").Where(e => e.Attribute("data-true") is not null).ToList();
        int classes = (int)Math.Round(Math.Sqrt(cells.Count));
        Assert.Equal(classes * classes, cells.Count);
        var m = new int[classes, classes];
        foreach (var c in cells) m[(int)c.Attribute("data-true")!, (int)c.Attribute("data-predicted")!] = int.Parse(c.Value, Invariant);
        return m;
    }

    [Fact]
    public void Run_Succeeds_AndSaysWhereTheReportIs()
    {
        Assert.Equal(0, run.Result.ExitCode);
        Assert.Contains($"Report: {run.Report}", run.Result.Output);
        Assert.Empty(Directory.GetFiles(run.Folder, "*.tmp")); // written through a temporary file that was renamed
    }

    [Fact]
    public void Report_IsSelfContained_NoScriptsNoLinksOut()
    {
        Assert.Empty(run.All("script"));
        Assert.Empty(run.All("link"));
        foreach (var img in run.All("img")) Assert.StartsWith("data:image/png;base64,", (string)img.Attribute("src")!);
        Assert.DoesNotContain("http://", run.Html.Replace("http://www.w3.org/2000/svg", ""));
        Assert.DoesNotContain("https://", run.Html);
    }

    [Fact]
    public void RunSection_ShowsTheCommandLine_Seed_Data_AndMachine()
    {
        string command = run.ById("command").Elements().Last().Value;
        Assert.Equal($"convolve train --limit 300 --epochs 2 --seed {ReportRun.Seed} --out {Path.Combine(run.Folder, "m.cvm")} " +
            $"--report {run.Report} --checkpoint {run.Checkpoint}", command);
        Assert.Equal($"{ReportRun.Seed}", run.ById("seed").Elements().Last().Value);
        Assert.Equal(Datasets.Digits, run.ById("data").Elements().Last().Value);
        Assert.Equal($"{Environment.ProcessorCount}", run.ById("cores").Elements().Last().Value);
        Assert.Equal(RuntimeInformation.OSDescription, run.ById("os").Elements().Last().Value);
        string simd = run.ById("simd").Elements().Last().Value;
        Assert.Equal(Vector512.IsHardwareAccelerated, simd.Contains("Vector512", StringComparison.Ordinal));
        string? line = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        if (line is not null)
            Assert.Equal(line[(line.IndexOf(':') + 1)..].Trim(), run.ById("cpu").Elements().Last().Value);
    }

    [Fact]
    public void DataHash_IsTheSha256OfTheLoadedImagesAndLabels()
    {
        string shown = run.ById("sha256").Elements().Last().Value;
        Assert.Matches("^[0-9a-f]{64}$", shown);

        var loaded = Imaging.DataSource.Load(Datasets.Digits, new ImageFolderOptions { Channels = 1, Height = 28, Width = 28 }, ReportRun.Seed).Splits;
        var bytes = new List<byte>();
        foreach (var set in new[] { loaded.Train, loaded.Test })
        {
            foreach (float v in set.Images.Span) bytes.AddRange(BitConverter.GetBytes(v));
            foreach (int label in set.Labels) bytes.AddRange(BitConverter.GetBytes(label));
        }
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())), shown);
    }

    [Fact]
    public void EpochTable_AndCharts_HoldTheLossesAndAccuraciesThatTheRunPrinted()
    {
        var printed = Regex.Matches(run.Result.Output, @"Epoch (\d+): loss ([\d.]+)  acc ([\d.]+)%  val loss ([\d.]+)  val acc ([\d.]+)%");
        Assert.Equal(2, printed.Count);
        var rows = run.ById("epoch-table").Elements("tr").Where(r => r.Attribute("data-epoch") is not null).ToList();
        Assert.Equal(2, rows.Count);
        for (int i = 0; i < 2; i++)
        {
            var cells = rows[i].Elements("td").Where(c => c.Attribute("data-name") is not null).ToDictionary(c => (string)c.Attribute("data-name")!, Value);
            var p = printed[i].Groups;
            Assert.Equal(p[2].Value, cells["loss"].ToString("F4", Invariant));
            Assert.Equal(p[3].Value, (cells["accuracy"] * 100).ToString("F2", Invariant));
            Assert.Equal(p[4].Value, cells["validation-loss"].ToString("F4", Invariant));
            Assert.Equal(p[5].Value, (cells["validation-accuracy"] * 100).ToString("F2", Invariant));
        }
        foreach (var chart in new[] { "loss-chart", "accuracy-chart" })
        {
            var lines = run.ById(chart).Elements().Where(e => e.Name.LocalName == "polyline").ToList();
            Assert.Equal(["training", "validation"], lines.Select(l => (string)l.Attribute("class")!));
            Assert.All(lines, l => Assert.Equal(2, ((string)l.Attribute("points")!).Split(' ').Length));
        }
    }

    [Fact]
    public void ImagesPerSecond_IsTheTrainingImagesOverTheEpochsSeconds()
    {
        int train = (int)Count(Regex.Match(run.Result.Output, @"Data: \w+: ([\d,]+) training").Groups[1].Value);
        double seconds = run.ById("epoch-table").Descendants("td").Where(c => (string?)c.Attribute("data-name") == "seconds").Sum(Value);
        double shown = Value(run.ById("speed").Descendants("span").Single());
        Assert.True(shown > 0);
        Assert.Equal(2.0 * train / seconds, shown, 6);
    }

    [Fact]
    public void ConfusionMatrix_CoversTheTestSet_AndItsDiagonalIsTheTestAccuracy()
    {
        var m = Confusion();
        Assert.Equal(10, m.GetLength(0));
        Assert.Equal(TestCount, m.Cast<int>().Sum());
        int correct = Enumerable.Range(0, 10).Sum(c => m[c, c]);
        string printed = Regex.Match(run.Result.Output, @"Test accuracy: ([\d.]+)%").Groups[1].Value;
        Assert.Equal(printed, (100.0 * correct / TestCount).ToString("F2", Invariant));
        var loaded = Imaging.DataSource.Load(Datasets.Digits, new ImageFolderOptions(), ReportRun.Seed).Splits.Test;
        for (int t = 0; t < 10; t++) Assert.Equal(loaded.Labels.Count(l => l == t), Enumerable.Range(0, 10).Sum(p => m[t, p]));
    }

    [Fact]
    public void PrecisionAndRecall_FollowFromTheConfusionMatrix()
    {
        var m = Confusion();
        var rows = run.ById("class-table").Elements("tr").Where(r => r.Attribute("data-class") is not null).ToList();
        Assert.Equal(10, rows.Count);
        foreach (var row in rows)
        {
            int c = (int)row.Attribute("data-class")!;
            int actual = Enumerable.Range(0, 10).Sum(p => m[c, p]), predicted = Enumerable.Range(0, 10).Sum(t => m[t, c]);
            var cells = row.Elements("td").Where(e => e.Attribute("data-name") is not null).ToDictionary(e => (string)e.Attribute("data-name")!);
            Assert.Equal((double)m[c, c] / actual, Value(cells["recall"]), 12);
            if (predicted == 0) Assert.Equal("-", cells["precision"].Value);
            else Assert.Equal((double)m[c, c] / predicted, Value(cells["precision"]), 12);
        }
    }

    [Fact]
    public void Filters_AreAPngOfTheFirstConvolutionsFilters()
    {
        var img = run.ById("filters").Descendants("img").Single();
        using var bitmap = DecodePng((string)img.Attribute("src")!);
        Assert.True(bitmap.Width > 100 && bitmap.Height > 50, $"{bitmap.Width}x{bitmap.Height}");
        Assert.Contains("filter", run.ById("filters").Descendants("p").Single().Value);
    }

    [Fact]
    public void FilterHistory_HasARowBeforeTrainingAndOnePerEpoch_EachAPngThatDiffersFromTheOneBefore()
    {
        var rows = run.ById("filter-table").Elements("tr").ToList();
        Assert.Equal([0, 1, 2], rows.Select(r => (int)r.Attribute("data-epoch")!));
        Assert.Equal(["before training", "after epoch 1", "after epoch 2"], rows.Select(r => r.Element("th")!.Value));
        var pixels = new List<byte[]>();
        foreach (var row in rows)
        {
            using var bitmap = DecodePng((string)row.Descendants("img").Single().Attribute("src")!);
            int zoom = Convolve.Cli.Report.TrainingReport.StripZoom(3, 3), gap = Convolve.Cli.Report.TrainingReport.StripGap;
            Assert.Equal((32 * (3 * zoom + gap) + gap, 3 * zoom + 2 * gap), (bitmap.Width, bitmap.Height)); // the seed network's 32 3x3 filters
            pixels.Add(bitmap.Bytes);
        }
        Assert.NotEqual(pixels[0], pixels[1]);
        Assert.NotEqual(pixels[1], pixels[2]);
        Assert.Contains("32 filters (3x3)", run.ById("filter-history").Element("p")!.Value);
    }

    [Fact]
    public void FilterHistory_LastRow_IsTheSavedModelsFirstConvolution()
    {
        // Each filter is drawn to its own scale, so its largest |weight| is full red (positive) or full blue (negative).
        var weight = Convolve.Serialization.ModelFile.Load(run.Model).Layers.OfType<Convolve.Layers.Conv2D>().First().Weight.Value;
        var last = run.ById("filter-table").Elements("tr").Last();
        using var bitmap = DecodePng((string)last.Descendants("img").Single().Attribute("src")!);
        int zoom = Convolve.Cli.Report.TrainingReport.StripZoom(3, 3), gap = Convolve.Cli.Report.TrainingReport.StripGap;
        for (int f = 0; f < 32; f++)
        {
            var cells = Enumerable.Range(0, 9).Select(i => (Y: i / 3, X: i % 3, W: weight[f, 0, i / 3, i % 3])).ToList();
            var largest = cells.MaxBy(c => Math.Abs(c.W));
            var pixel = bitmap.GetPixel(gap + f * (3 * zoom + gap) + largest.X * zoom + zoom / 2, gap + largest.Y * zoom + zoom / 2);
            Assert.Equal(largest.W > 0 ? Convolve.Cli.Pictures.DivergingScale.Positive : Convolve.Cli.Pictures.DivergingScale.Negative, pixel);
        }
    }

    [Fact]
    public void EpochTime_IsPredictedBeforeTraining_OnTheConsoleAndInTheReport_BesideTheMeasuredTimes()
    {
        var printed = Regex.Match(run.Result.Output, @"Predicted: about ([\d.]+) (s|min) per epoch \(from (\d) calibration batch(es)?\)\.");
        Assert.True(printed.Success, run.Result.Output);
        int firstEpoch = run.Result.Output.IndexOf("Epoch 1:", StringComparison.Ordinal);
        Assert.True(printed.Index < firstEpoch, "the prediction comes before the first epoch");
        Assert.InRange(int.Parse(printed.Groups[3].Value, Invariant), 3, 8);

        var predicted = run.ById("predicted").Descendants("span").Single();
        double seconds = Value(predicted);
        Assert.True(seconds > 0);
        Assert.Equal(predicted.Value, $"{printed.Groups[1].Value} {printed.Groups[2].Value}");
        Assert.Contains($"from {printed.Groups[3].Value} timed training batches", run.ById("predicted").Value);

        var measured = run.ById("epoch-table").Descendants("td").Where(c => (string?)c.Attribute("data-name") == "seconds").Select(Value).ToList();
        var ratios = run.ById("epoch-table").Descendants("td").Where(c => (string?)c.Attribute("data-name") == "ratio").Select(Value).ToList();
        Assert.Equal(2, ratios.Count);
        for (int i = 0; i < 2; i++) Assert.Equal(measured[i] / seconds, ratios[i], 9);
        Assert.Equal(measured.Average(), Value(run.ById("measured").Descendants("span").First()), 9);
        Assert.Equal(measured.Average() / seconds, Value(run.ById("measured").Descendants("span").Single(e => (string?)e.Attribute("class") == "ratio")), 9);
    }

    [Fact]
    public void Calibration_DoesNotChangeTheRun_TheSameSeedWithoutAReportTrainsTheSameModel()
    {
        string model = Path.Combine(run.Folder, "uncalibrated.cvm");
        var r = CliRunner.Run(ReportRun.Arguments(model));
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("Predicted:", r.Output);
        string Results(string output) => string.Join("\n", Regex.Matches(output, @"(Epoch \d+: .*%)  \(|(Test accuracy: .*)").Select(m => m.Value));
        Assert.Equal(Results(run.Result.Output), Results(r.Output));
        Assert.Contains("Test accuracy:", Results(r.Output));
        Assert.Equal(File.ReadAllBytes(run.Model), File.ReadAllBytes(model));
    }

    [Fact]
    public void AStoppedAndResumedRun_ReportsTheFiltersOfTheWholeRun_AsAnUninterruptedOne()
    {
        var terminal = new Terminal(new StringWriter(), plain: true);
        Convolve.Cli.Commands.TrainCommand.Settings Settings(string name, string? resume = null) => new()
        {
            Epochs = 2,
            Batch = 32,
            Seed = 3,
            Limit = 200,
            Output = Path.Combine(run.Folder, name + ".cvm"),
            Report = Path.Combine(run.Folder, name + ".html"),
            Resume = resume,
        };
        Assert.Equal(ConvolveApp.Success, Convolve.Cli.Commands.TrainCommand.Run(terminal, Settings("straight")));
        using (var stop = new CancellationTokenSource())
        {
            stop.Cancel(); // as if Ctrl+C came during the first batch: the checkpoint holds only the filters before training
            Assert.Equal(Convolve.Cli.Commands.TrainCommand.Interrupted, Convolve.Cli.Commands.TrainCommand.Run(terminal, Settings("stopped"), stop.Token));
        }
        Assert.False(File.Exists(Path.Combine(run.Folder, "stopped.html")));
        Assert.Equal(ConvolveApp.Success, Convolve.Cli.Commands.TrainCommand.Run(terminal, Settings("resumed", Path.Combine(run.Folder, "stopped.ckpt.cvm"))));

        XElement History(string name) => XDocument.Parse(File.ReadAllText(Path.Combine(run.Folder, name + ".html")).Replace("<!DOCTYPE html>", ""))
            .Descendants().First(e => (string?)e.Attribute("id") == "filter-history");
        Assert.Equal(3, History("resumed").Descendants("img").Count());
        Assert.Equal(History("straight").ToString(), History("resumed").ToString());
    }

    [Fact]
    public void WorstMistakes_AreSixteenWrongAnswers_SurestFirst_WithTheirImages()
    {
        var m = Confusion();
        int wrong = TestCount - Enumerable.Range(0, 10).Sum(c => m[c, c]);
        var figures = run.All("figure").ToList();
        Assert.Equal(Math.Min(16, wrong), figures.Count);
        var loaded = Imaging.DataSource.Load(Datasets.Digits, new ImageFolderOptions(), ReportRun.Seed).Splits.Test;
        double previous = 1;
        foreach (var f in figures)
        {
            int index = (int)f.Attribute("data-index")!, label = (int)f.Attribute("data-true")!, predicted = (int)f.Attribute("data-predicted")!;
            double probability = (double)f.Attribute("data-probability")!;
            Assert.Equal(loaded.Labels[index], label);
            Assert.NotEqual(label, predicted);
            Assert.True(m[label, predicted] > 0);
            Assert.InRange(probability, 0.1, previous); // the most probable of 10 classes, and no surer than the one before
            previous = probability;
            using var bitmap = DecodePng((string)f.Element("img")!.Attribute("src")!);
            Assert.Equal((28, 28), (bitmap.Width, bitmap.Height));
            Assert.Equal(3, f.Element("figcaption")!.Elements("br").Count());
        }
    }

    [Fact]
    public void UnwritableReport_IsRefusedInOneLine_BeforeTraining()
    {
        string file = Path.Combine(run.Folder, "notes.txt");
        File.WriteAllText(file, "a file");
        string model = Path.Combine(run.Folder, "never.cvm");
        string under = Path.Combine(file, "run.html");

        var r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", model, "--report", under);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"convolve: --report {under}: cannot create the folder {file}: {file} is a file.", r.Error.Trim());
        Assert.DoesNotContain("Epoch", r.Output);

        r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", model, "--report", run.Folder);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"convolve: --report {run.Folder}: is a folder; give a file name (for example {Path.Combine(run.Folder, "run.html")}).",
            r.Error.Trim());

        r = CliRunner.Run("train", "--limit", "100", "--epochs", "1", "--out", model, "--report", model);
        Assert.Equal($"convolve: --report {model}: is also the --out file; give them different names.", r.Error.Trim());
        Assert.DoesNotContain("Epoch", r.Output);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void ReportWithFindLr_IsRefused_BeforeTheRangeTest()
    {
        string report = Path.Combine(run.Folder, "lr.html");
        var r = CliRunner.Run("train", "--limit", "100", "--find-lr", "--report", report);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("convolve: --report with --find-lr: the range test stops before training, so there is no run to report; drop one of them.",
            r.Error.Trim());
        Assert.False(File.Exists(report));
    }

    [Fact]
    public void ReportCommand_OnTheRunsCheckpoint_ShowsTheSameRun()
    {
        string html = Path.Combine(run.Folder, "again.html");
        var r = CliRunner.Run("report", run.Checkpoint, "--out", html);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"Report: {html}", r.Output);
        var again = XDocument.Parse(File.ReadAllText(html).Replace("<!DOCTYPE html>", ""));
        XElement Again(string id) => again.Descendants().First(e => (string?)e.Attribute("id") == id);

        Assert.Equal($"convolve report {run.Checkpoint} --out {html}", Again("command").Elements().Last().Value);
        foreach (string id in new[] { "seed", "data", "sha256", "images", "accuracy" })
            Assert.Equal(run.ById(id).Elements().Last().Value, Again(id).Elements().Last().Value);
        Assert.Equal(run.ById("confusion-table").ToString(), Again("confusion-table").ToString());
        Assert.Equal(run.ById("epoch-table").ToString(), Again("epoch-table").ToString());
        Assert.Equal(run.ById("filters").ToString(), Again("filters").ToString());
        Assert.Equal(run.ById("filter-history").ToString(), Again("filter-history").ToString());
        Assert.Equal(run.ById("predicted").ToString(), Again("predicted").ToString());
    }

    [Fact]
    public void ReportCommand_OnACheckpointWithoutFilterHistoryOrPrediction_SaysSoPlainly()
    {
        // A checkpoint as a version of convolve before the per-epoch filters and the prediction wrote it.
        var (model, extras) = Convolve.Serialization.ModelFile.Read(run.Checkpoint);
        var metadata = extras.Metadata.Where(e => !e.Key.StartsWith("train-filters.", StringComparison.Ordinal) && e.Key != "train-epoch-prediction")
            .ToDictionary();
        Assert.True(metadata.Count < extras.Metadata.Count - 2);
        string old = Path.Combine(run.Folder, "old.ckpt");
        Convolve.Serialization.ModelFile.Save(model, old, new Convolve.Serialization.ModelFileExtras(metadata, extras.Tensors));

        string html = Path.Combine(run.Folder, "old.html");
        var r = CliRunner.Run("report", old, "--out", html);
        Assert.Equal(0, r.ExitCode);
        var again = XDocument.Parse(File.ReadAllText(html).Replace("<!DOCTYPE html>", ""));
        XElement Again(string id) => again.Descendants().First(e => (string?)e.Attribute("id") == id);
        Assert.Equal("This checkpoint holds no filters from earlier epochs (it was written by a version of convolve that did not record them), " +
            "so only the last epoch's filters are shown, below.", Again("filter-history").Element("p")!.Value);
        Assert.Empty(Again("filter-history").Descendants("img"));
        Assert.Equal(run.ById("filters").ToString(), Again("filters").ToString());
        Assert.StartsWith("no prediction: this run was not calibrated", Again("predicted").Elements().Last().Value);
        Assert.All(Again("epoch-table").Elements("tr").Where(e => e.Attribute("data-epoch") is not null),
            row => Assert.Equal("-", row.Elements("td").Last().Value));
    }

    [Fact]
    public void ReportCommand_RefusesAnOutputThatIsTheCheckpoint()
    {
        var r = CliRunner.Run("report", run.Checkpoint, "--out", run.Checkpoint);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"convolve: --out {run.Checkpoint}: is also the checkpoint file; give them different names.", r.Error.Trim());
    }

    private static SKBitmap DecodePng(string uri)
    {
        const string prefix = "data:image/png;base64,";
        Assert.StartsWith(prefix, uri);
        byte[] png = Convert.FromBase64String(uri[prefix.Length..]);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        return SKBitmap.Decode(png) ?? throw new InvalidOperationException("the PNG does not decode");
    }
}
