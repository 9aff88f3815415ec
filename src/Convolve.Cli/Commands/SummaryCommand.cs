using System.CommandLine;
using Convolve.Models;
using Convolve.Serialization;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve summary</c>: the layer table of a built-in architecture.</summary>
internal static class SummaryCommand
{
    public static Command Create(Terminal terminal)
    {
        var model = new Argument<string?>("model")
        {
            Description = $"A built-in architecture ({string.Join(", ", Architectures.All.Select(a => a.Name))}) or a saved model file. " +
                "Without it, lists the built-ins.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var kernels = new Option<bool>("--kernels")
        {
            Description = "Also print which kernel computes each pass of each layer on this CPU, and why.",
        };
        var batch = new Option<int>("--batch")
        {
            Description = "The batch size the kernel choices are for (with --kernels).",
            DefaultValueFactory = _ => 64,
        };
        var command = new Command("summary", "Layers, output shapes and parameter counts of a built-in architecture or a model file.")
        {
            model, kernels, batch
        };
        command.SetAction(result =>
        {
            string? name = result.GetValue(model);
            int batchSize = result.GetValue(batch);
            if (batchSize <= 0) throw new ArgumentException($"--batch must be a positive number of images, got {batchSize}.");
            if (name is null)
            {
                ListArchitectures(terminal);
                return ConvolveApp.Success;
            }
            var loaded = Load(name);
            Print(terminal, loaded);
            if (result.GetValue(kernels)) PrintKernels(terminal, loaded.Model, batchSize);
            return ConvolveApp.Success;
        });
        return command;
    }

    /// <summary>The built-in architecture named <paramref name="name"/> (built with seed 0), or else the model file at that path.</summary>
    public static (string Title, Model Model) Load(string name)
    {
        if (Architectures.Find(name) is { } architecture)
            return ($"{architecture.Name}: {architecture.Description}", architecture.Build());
        if (File.Exists(name))
            return ($"{Path.GetFileName(name)}: model file", ModelFile.Load(name));
        string known = string.Join(", ", Architectures.All.Select(a => a.Name));
        throw new ArgumentException($"'{name}' is not a built-in architecture (known: {known}) nor an existing file.");
    }

    /// <summary>The kernel of each pass of each layer with a choice of kernels, for batches of <paramref name="batch"/>.</summary>
    public static void PrintKernels(Terminal terminal, Model model, int batch)
    {
        terminal.Text($"Kernels at batch {batch} on this machine: {KernelReport.Machine}.");
        var table = terminal.Table("Layer", "Input", "Pass", "Kernel", "Why");
        foreach (var use in KernelReport.Of(model, batch))
            table.AddRow(use.Layer, Spectre.Console.Markup.Escape(use.InputShape.ToString()), use.Pass, use.Kernel, Spectre.Console.Markup.Escape(use.Reason));
        terminal.Write(table);
    }

    public static void ListArchitectures(Terminal terminal)
    {
        var table = terminal.Table("Name", "Input", "Description");
        foreach (var a in Architectures.All) table.AddRow(a.Name, a.InputShape.ToImageString(), a.Description);
        terminal.Write(table);
        terminal.Text("Show one with: convolve summary NAME");
    }

    public static void Print(Terminal terminal, (string Title, Model Model) loaded)
    {
        var summary = loaded.Model.Summarize();
        terminal.Text(loaded.Title);
        var table = terminal.Table("Layer", "Type", "Output shape", ">Weights", ">Biases", ">Params");
        table.AddRow("input", "", summary.InputShape.ToImageString(), "", "", "");
        foreach (var row in summary.Rows)
            table.AddRow(row.Name, Spectre.Console.Markup.Escape(row.Description), row.OutputShape.ToImageString(),
                Terminal.Count(row.Weights), Terminal.Count(row.Biases), Terminal.Count(row.Total));
        terminal.Write(table);
        terminal.Text($"Shapes: {summary.ShapeFlow()}");
        long other = summary.TotalParameters - summary.TotalWeights - summary.TotalBiases;
        terminal.Text($"Total parameters: {Terminal.Count(summary.TotalParameters)} ({Terminal.Count(summary.TotalWeights)} weights, " +
            $"{Terminal.Count(summary.TotalBiases)} biases{(other > 0 ? $", {Terminal.Count(other)} other" : "")}); " +
            $"trainable: {Terminal.Count(summary.TrainableParameters)}.");
    }
}
