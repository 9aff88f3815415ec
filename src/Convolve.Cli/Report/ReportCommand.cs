using System.CommandLine;
using Convolve.Cli.Commands;
using Convolve.Data;
using Convolve.Training;

namespace Convolve.Cli.Report;

/// <summary>
/// <c>convolve report CHECKPOINT</c>: the HTML report of <c>convolve train --report</c> for a run
/// saved in a checkpoint (stopped or finished), from its model, history and settings; the data is
/// loaded again as the run loaded it.
/// </summary>
internal static class ReportCommand
{
    public static Command Create(Terminal terminal)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A checkpoint of 'convolve train' (--checkpoint, or one left by a stopped run)." };
        var output = new Option<string?>("--out") { Description = "The HTML file to write (default: <checkpoint>.html)." };
        var command = new Command("report", "Write the one-file HTML report of a training run saved in a checkpoint.") { checkpoint, output };
        command.SetAction(result => Run(terminal, result.GetValue(checkpoint)!, result.GetValue(output), CommandLine.Of(result)));
        return command;
    }

    internal static int Run(Terminal terminal, string checkpoint, string? output, string commandLine)
    {
        string path = output ?? Path.ChangeExtension(checkpoint, ".html");
        OutputPaths.CheckFile("--out", path, example: "run.html");
        OutputPaths.CheckDistinct("--out", path, "checkpoint", checkpoint);
        var (session, saved) = TrainingSession.Resume(checkpoint);
        string architecture = saved.GetValueOrDefault("architecture", "?");
        var s = TrainRun.Apply(new TrainCommand.Settings { Resume = checkpoint, Model = null }, session.Options, saved);

        // The data as `convolve train` loaded it: the same source, limit and validation split.
        var loaded = DataOption.Load(s.Data, terminal, channels: s.Rgb ? 3 : 1, seed: s.Seed);
        var train = loaded.Train;
        if (s.Limit is { } n && n < train.Count) train = train.Subset([.. Enumerable.Range(0, n)]);
        ImageDataset? validation = null;
        if (s.Validation > 0) (train, validation) = DatasetSplit.TrainValidation(train, s.Validation, s.Seed);
        if (session.Model.InputShape != loaded.Test.ImageShape)
            throw new ArgumentException($"{checkpoint}: the model takes {session.Model.InputShape.ToImageString()} images, " +
                $"but '{s.Data}' has {loaded.Test.ImageShape.ToImageString()}.");

        TrainingReport.Build(commandLine, architecture, s.Data, loaded, session, train, validation, loaded.Test, ReportLog.Start(session, saved))
            .Write(path);
        terminal.Text($"{checkpoint}: {architecture}, {session.CompletedEpochs} of {Terminal.Plural(session.Options.Epochs, "epoch")} done.");
        terminal.Text($"Report: {path}");
        return ConvolveApp.Success;
    }
}
