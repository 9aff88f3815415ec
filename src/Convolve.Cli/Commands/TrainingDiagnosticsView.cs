using System.Globalization;
using Convolve.Data;
using Convolve.Models;
using Convolve.Training;
using Convolve.Training.Diagnostics;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary>
/// What <c>convolve train</c> shows of the training diagnostics: settings refused before any data
/// loads (named by their options), each warning in yellow and each error in red as they are
/// found, a summary at the end, the learning-rate range test of <c>--find-lr</c>, and the exit
/// codes of a run that failed.
/// </summary>
internal sealed class TrainingDiagnosticsView
{
    /// <summary>Exit code when training stopped on an infinite or NaN loss, weight or gradient (nothing is saved).</summary>
    public const int Diverged = 3;

    /// <summary>Exit code when training finished but diverged: the loss rose and the model is no better than the class prior.</summary>
    public const int LearnedNothing = 4;

    private readonly Terminal terminal;
    private readonly TrainingSession session;
    private bool rangeTestHinted;

    // Warnings found while a live progress display owns the terminal, printed once it is gone
    // (lines written under a live display get mixed with its redraws).
    private readonly List<Diagnostic> pending = [];
    private readonly bool live;

    private TrainingDiagnosticsView(Terminal terminal, TrainingSession session)
    {
        this.terminal = terminal;
        this.session = session;
        live = !terminal.Plain && terminal.Console.Profile.Capabilities.Interactive;
        session.Monitor.Raised += d =>
        {
            if (live) pending.Add(d);
            else Print(d);
        };
    }

    /// <summary>Prints <paramref name="session"/>'s diagnostics as they are raised.</summary>
    public static TrainingDiagnosticsView Attach(Terminal terminal, TrainingSession session) => new(terminal, session);

    /// <summary>
    /// Refuses optimizer settings that cannot work, naming the option (<c>--lr must be a finite
    /// number above 0, got Infinity.</c>); called before any data is loaded.
    /// </summary>
    /// <param name="settings">The settings.</param>
    /// <param name="learningRateOption">The option that gave the learning rate.</param>
    public static void Validate(OptimizerSettings settings, string learningRateOption = "--lr")
    {
        try
        {
            settings.Validate();
        }
        catch (InvalidSettingException e)
        {
            string option = e.Setting switch
            {
                nameof(OptimizerSettings.LearningRate) => learningRateOption,
                nameof(OptimizerSettings.Momentum) => "--momentum",
                nameof(OptimizerSettings.WeightDecay) => "--weight-decay",
                _ => e.Label,
            };
            throw new ArgumentException($"{option} must be {e.Allowed}, got {InvalidSettingExceptionValue(e.Value)}.");
        }
    }

    /// <summary>
    /// Runs a command that trains without a view of its own (transfer): a run stopped by
    /// non-finite values prints the error in one line and exits with <see cref="Diverged"/>.
    /// </summary>
    public static int Guard(Terminal terminal, Func<int> run)
    {
        try
        {
            return run();
        }
        catch (TrainingDivergedException e)
        {
            terminal.Markup($"[red]Error: training stopped. {Markup.Escape(e.Message)}[/]");
            return Diverged;
        }
    }

    private static string InvalidSettingExceptionValue(double value) => value.ToString("G7", CultureInfo.InvariantCulture);

    /// <summary>Prints the warnings held back while an epoch's progress display was showing.</summary>
    public void Flush()
    {
        foreach (var d in pending) Print(d);
        pending.Clear();
    }

    private void Print(Diagnostic d)
    {
        bool error = d.Severity == DiagnosticSeverity.Error;
        if (error) return; // printed with the run's outcome
        string text = $"Warning: {d.Message}" + (d.Suggestion is null ? "" : $" {d.Suggestion}");
        terminal.Markup($"[yellow]{Markup.Escape(text)}[/]");
        HintRangeTest(d.Suggestion);
    }

    private void HintRangeTest(string? suggestion)
    {
        if (rangeTestHinted || suggestion is null || !suggestion.Contains("range test", StringComparison.Ordinal)) return;
        rangeTestHinted = true;
        terminal.Text("  (convolve train --find-lr runs a learning-rate range test without training.)");
    }

    /// <summary>
    /// Reports a run stopped by non-finite values: the error with its layer, that nothing was
    /// saved, where the last good checkpoint is, and a learning rate from a range test on the
    /// last good weights. Returns <see cref="Diverged"/>.
    /// </summary>
    public int ReportDiverged(TrainingDivergedException e, ImageDataset train, string? checkpoint, bool checkpointExists)
    {
        Flush();
        terminal.Blank();
        terminal.Markup($"[red]Error: training stopped in epoch {e.Diagnostic.Epoch + 1}. {Markup.Escape(e.Diagnostic.Message)}[/]");
        if (e.Diagnostic.Suggestion is { } suggestion) terminal.Markup($"[red]{Markup.Escape(suggestion)}[/]");
        string? rate = RangeTestSuggestion(session.Model, train);
        if (rate is not null) terminal.Text($"A learning-rate range test on this model and data suggests --lr {rate}.");
        terminal.Text(checkpoint is not null && checkpointExists
            ? $"The model was not saved; the last good checkpoint is {checkpoint} (epoch {session.CompletedEpochs})."
            : "The model was not saved (no epoch had finished, so there is no checkpoint).");
        return Diverged;
    }

    /// <summary>
    /// Prints the summary after a finished run; returns <see cref="LearnedNothing"/> when the last
    /// epoch's check found the run diverged, else <see cref="ConvolveApp.Success"/>.
    /// </summary>
    /// <param name="train">The training images, for the range test.</param>
    /// <param name="fresh">Makes the architecture afresh, for a range test from its initial weights (the trained ones diverged).</param>
    public int ReportFinished(ImageDataset train, Func<Model>? fresh)
    {
        Flush();
        var all = session.Monitor.Diagnostics;
        var verdict = session.Monitor.EpochVerdict;
        if (all.Count > 0)
        {
            int warnings = all.Count(d => d.Severity == DiagnosticSeverity.Warning);
            terminal.Text($"Diagnostics: {Terminal.Plural(warnings, "warning")}" + (verdict is null ? "" : ", 1 error") + ": " +
                string.Join("; ", all.Select(Short)) + ".");
        }
        if (verdict is null) return ConvolveApp.Success;
        terminal.Markup($"[red]Error: {Markup.Escape(verdict.Message)}[/]");
        if (verdict.Suggestion is { } suggestion) terminal.Markup($"[red]{Markup.Escape(suggestion)}[/]");
        string? rate = RangeTestSuggestion(fresh?.Invoke() ?? session.Model, train);
        if (rate is not null) terminal.Text($"A learning-rate range test on this model's initial weights and data suggests --lr {rate}.");
        return LearnedNothing;
    }

    private static string Short(Diagnostic d) => d.Code switch
    {
        DiagnosticCode.NonFinite => $"non-finite values{(d.Layer is null ? "" : $" in {d.Layer}")}",
        DiagnosticCode.LossRising => "loss rising",
        DiagnosticCode.LossAtChance => "loss at chance",
        DiagnosticCode.InputsNotNormalised => "inputs not normalised",
        DiagnosticCode.DeadReLUs => $"dead ReLUs in {d.Layer}",
        DiagnosticCode.VanishingGradient => $"vanishing gradient in {d.Layer}",
        DiagnosticCode.ExplodingGradient => $"exploding gradient in {d.Layer}",
        DiagnosticCode.BelowClassPrior => "accuracy no better than the class prior",
        _ => d.Code.ToString(),
    };

    // A range test on model with the run's optimizer; null when it cannot tell.
    private string? RangeTestSuggestion(Model model, ImageDataset train)
    {
        try
        {
            var o = session.Options;
            var range = LearningRateFinder.Run(model, train, o.OptimizerOrDefault, new LearningRateFinderOptions { BatchSize = o.BatchSize, Seed = o.Seed });
            return Rate(range.Suggested);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>convolve train --find-lr</c>: runs the range test on <paramref name="model"/> and
    /// <paramref name="train"/>, prints a table of the curve and the suggestion, and with
    /// <paramref name="curves"/> writes lr-find.csv and lr-find.png there.
    /// </summary>
    public static int FindLearningRate(Terminal terminal, Model model, ImageDataset train, OptimizerSettings optimizer, int batch, int seed, string? curves)
    {
        terminal.Text($"Learning-rate range test: 100 steps of {Kind(optimizer.Kind)} from 1e-06 to 10, batch {batch}, " +
            $"on {Terminal.Count(train.Count)} training images; the weights are put back afterwards.");
        var range = LearningRateFinder.Run(model, train, optimizer, new LearningRateFinderOptions { BatchSize = batch, Seed = seed });
        var table = terminal.Table(">learning rate", ">loss (smoothed)", "");
        float best = range.Points.Min(p => p.SmoothedLoss);
        foreach (var point in Sample(range))
        {
            string mark = point.Rate == range.MinimumLoss ? "lowest loss" : point.Rate == range.Steepest ? "steepest fall" : "";
            table.AddRow(Markup.Escape(Rate(point.Rate)), point.SmoothedLoss.ToString("F4", CultureInfo.InvariantCulture), mark);
        }
        terminal.Write(table);
        terminal.Text($"The loss fell fastest at {Rate(range.Steepest)} and was lowest ({best.ToString("F4", CultureInfo.InvariantCulture)}) " +
            $"at {Rate(range.MinimumLoss)}" +
            (range.Diverged ? $"; it blew up after {Rate(range.Points[^1].Rate)}." : "."));
        terminal.Markup($"Suggested learning rate: [bold green]{Rate(range.Suggested)}[/]  (train with --lr {Rate(range.Suggested)})");
        if (curves is not null)
        {
            Directory.CreateDirectory(curves);
            Serialization.AtomicFile.Write(Path.Combine(curves, "lr-find.csv"), System.Text.Encoding.UTF8.GetBytes(range.ToCsv()));
            var plot = new ScottPlot.Plot();
            double[] rates = [.. range.Points.Select(p => Math.Log10(p.Rate))];
            plot.Add.Scatter(rates, [.. range.Points.Select(p => (double)p.Loss)]).LegendText = "loss";
            plot.Add.Scatter(rates, [.. range.Points.Select(p => (double)p.SmoothedLoss)]).LegendText = "smoothed";
            plot.Add.VerticalLine(Math.Log10(range.Suggested)).LegendText = "suggested";
            plot.Title("Learning-rate range test");
            plot.XLabel("log10(learning rate)");
            plot.YLabel("cross-entropy");
            plot.ShowLegend();
            string png = Path.Combine(curves, "lr-find.png");
            Serialization.AtomicFile.Write(png, plot.GetImageBytes(700, 450, ScottPlot.ImageFormat.Png));
            terminal.Text($"Range test curve: {Path.Combine(curves, "lr-find.csv")}, lr-find.png");
        }
        return ConvolveApp.Success;
    }

    private static string Kind(OptimizerKind kind) => kind switch { OptimizerKind.Sgd => "SGD", OptimizerKind.Adam => "Adam", _ => "AdamW" };

    // About a dozen rows: every few points, the last, and the steepest and lowest ones.
    private static IEnumerable<LearningRatePoint> Sample(LearningRateRange range)
    {
        var points = range.Points;
        int every = Math.Max(1, points.Count / 10);
        for (int i = 0; i < points.Count; i++)
            if (i % every == 0 || i == points.Count - 1 || points[i].Rate == range.Steepest || points[i].Rate == range.MinimumLoss)
                yield return points[i];
    }

    private static string Rate(double rate) =>
        rate.ToString("G3", CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
}
