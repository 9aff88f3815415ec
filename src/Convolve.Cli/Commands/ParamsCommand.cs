using Spectre.Console;
using System.CommandLine;
using Convolve.Analysis;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve params</c>: parameters of a dense layer on a whole image vs a convolution, for any sizes.</summary>
internal static class ParamsCommand
{
    public static Command Create(Terminal terminal)
    {
        var height = OptionFactory.Int("--height", "Image height in pixels.", 224);
        var width = OptionFactory.OptionalInt("--width", "Image width in pixels (default: the height).");
        var channels = OptionFactory.Int("--channels", "Values per pixel (1 grayscale, 3 RGB).", 3);
        var hidden = OptionFactory.Int("--hidden", "Units of the fully connected layer.", 100);
        var filters = OptionFactory.Int("--filters", "Filters of the convolution.", 64);
        var kernel = OptionFactory.Int("--kernel", "Kernel size k (a k x k filter).", 3);
        var command = new Command("params", "Parameter counts: a fully connected layer on the whole image vs a convolution.")
        {
            height, width, channels, hidden, filters, kernel,
        };
        command.SetAction(result =>
        {
            int h = result.GetValue(height), w = result.GetValue(width) ?? h, c = result.GetValue(channels);
            Print(terminal, h, w, c, result.GetValue(hidden), result.GetValue(filters), result.GetValue(kernel));
            return ConvolveApp.Success;
        });
        return command;
    }

    public static void Print(Terminal terminal, int height, int width, int channels, int hidden, int filters, int kernel)
    {
        var dense = ParameterCounts.DenseOnImage(height, width, channels, hidden);
        var conv = ParameterCounts.Conv(channels, kernel, kernel, filters);
        var oneFilter = ParameterCounts.Conv(channels, kernel, kernel, 1);
        long inputs = (long)height * width * channels;
        var table = terminal.Table("Layer", ">Weights", ">Biases", ">Total");
        table.AddRow($"Fully connected: {height}x{width}x{channels} = {Terminal.Count(inputs)} inputs x {Terminal.Plural(hidden, "unit")}",
            Terminal.Count(dense.Weights), Terminal.Count(dense.Biases), Terminal.Count(dense.Total));
        table.AddRow($"Convolution: one {kernel}x{kernel}x{channels} filter",
            Terminal.Count(oneFilter.Weights), Terminal.Count(oneFilter.Biases), Terminal.Count(oneFilter.Total));
        table.AddRow($"Convolution: {Terminal.Plural(filters, "filter")} of {kernel}x{kernel}x{channels}",
            Terminal.Count(conv.Weights), Terminal.Count(conv.Biases), Terminal.Count(conv.Total));
        terminal.Write(table);
        terminal.Text($"The fully connected layer has {Ratio(dense.Total, conv.Total)} times the parameters of the convolution. " +
            $"The convolution's count does not depend on the image size: {(filters == 1 ? "its filter is" : $"its {filters} filters are")} reused at every position.");
    }

    /// <summary>a / b with one decimal, or a whole number when it divides.</summary>
    public static string Ratio(long a, long b) => a % b == 0 ? Terminal.Count(a / b) : ((double)a / b).ToString("N1", System.Globalization.CultureInfo.InvariantCulture);
}
