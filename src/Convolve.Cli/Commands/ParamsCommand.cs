using System.CommandLine;
using Convolve.Analysis;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve params</c>: parameters of a dense layer on a whole image vs a convolution, for any sizes.</summary>
internal static class ParamsCommand
{
    public static Command Create(Terminal terminal)
    {
        var options = new OptionBinder<Settings>()
            .Option(s => s.Height, "--height", "Image height in pixels.")
            .Option(s => s.Width, "--width", "Image width in pixels (default: the height).")
            .Option(s => s.Channels, "--channels", "Values per pixel (1 grayscale, 3 RGB).")
            .Option(s => s.Hidden, "--hidden", "Units of the fully connected layer.")
            .Option(s => s.Filters, "--filters", "Filters of the convolution.")
            .Option(s => s.Kernel, "--kernel", "Kernel size k (a k x k filter).");
        var command = options.CreateCommand("params", "Parameter counts: a fully connected layer on the whole image vs a convolution.");
        command.SetAction(result =>
        {
            var s = options.Read(result);
            Print(terminal, s.Height, s.Width ?? s.Height, s.Channels, s.Hidden, s.Filters, s.Kernel);
            return ConvolveApp.Success;
        });
        return command;
    }

    internal sealed record Settings
    {
        public int Height { get; init; } = 224;
        /// <summary>Null for the height.</summary>
        public int? Width { get; init; }
        public int Channels { get; init; } = 3;
        public int Hidden { get; init; } = 100;
        public int Filters { get; init; } = 64;
        public int Kernel { get; init; } = 3;
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
            "The convolution's count does not depend on the image size: " +
            $"{(filters == 1 ? "its filter is" : $"its {filters} filters are")} reused at every position.");
    }

    /// <summary>a / b with one decimal, or a whole number when it divides.</summary>
    public static string Ratio(long a, long b) =>
        a % b == 0 ? Terminal.Count(a / b) : ((double)a / b).ToString("N1", System.Globalization.CultureInfo.InvariantCulture);
}
