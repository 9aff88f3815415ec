using Spectre.Console;
using System.CommandLine;
using Convolve.Models;
using Convolve.Serialization;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve summary</c>: the layer table of a built-in architecture.</summary>
internal static class SummaryCommand
{
    public static Command Create(Terminal terminal)
    {
        var model = new Argument<string?>("model")
        {
            Description = $"A built-in architecture ({string.Join(", ", Architectures.All.Select(a => a.Name))}) or a saved model file. Without it, lists the built-ins.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("summary", "Layers, output shapes and parameter counts of a built-in architecture or a model file.") { model };
        command.SetAction(result =>
        {
            string? name = result.GetValue(model);
            if (name is null) ListArchitectures(terminal);
            else Print(terminal, Load(name));
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
