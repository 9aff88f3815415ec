using System.CommandLine;
using Convolve.Analysis;
using Convolve.Cli.Pictures;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve coverage</c>: how many times a sliding filter uses each input pixel.</summary>
internal static class CoverageCommand
{
    /// <summary>Grids wider than this are summarised instead of printed.</summary>
    public const int MaxPrintedWidth = 32;

    /// <summary>Grids larger than this on a side are not drawn (a heat map of them would not fit in memory or on a screen).</summary>
    public const int MaxDrawnSize = 4096;

    public static Command Create(Terminal terminal)
    {
        var options = new OptionBinder<Settings>()
            .Option(s => s.Size, "--size", "Image height and width in pixels.")
            .Option(s => s.Width, "--width", "Image width, when it differs from the height (--size).")
            .Option(s => s.Kernel, "--kernel", "Kernel size k (a k x k filter).")
            .Option(s => s.Stride, "--stride", "Stride s.")
            .Option(s => s.Padding, "--padding", "Zeros p added on each side.", min: 0)
            .Option(s => s.Dilation, "--dilation", "Spacing d between kernel taps (1 = none).")
            .Option(s => s.Image, "--image", "Also draw the grid as a heat map into this PNG file.");
        var command = options.CreateCommand("coverage", "How many times each input pixel is used by a k x k filter.");
        command.SetAction(result =>
        {
            var s = options.Read(result);
            int h = s.Size, w = s.Width ?? s.Size;
            if (s.Image is not null && Math.Max(h, w) > MaxDrawnSize)
                throw new ArgumentException($"--image: a grid of {h}x{w} pixels is too large to draw (at most {MaxDrawnSize:N0} a side); " +
                    "without --image the grid is summarised.");
            var grid = CoverageGrid.Compute(h, w, s.Kernel, s.Kernel, s.Stride, s.Padding, s.Dilation);
            Print(terminal, grid);
            if (s.Image is { } file)
            {
                HeatMap.WriteCoverage(file.FullName, grid);
                terminal.Text($"Wrote {file.FullName}");
            }
            return ConvolveApp.Success;
        });
        return command;
    }

    internal sealed record Settings
    {
        public int Size { get; init; } = 6;
        /// <summary>Null for the height (<see cref="Size"/>).</summary>
        public int? Width { get; init; }
        public int Kernel { get; init; } = 3;
        public int Stride { get; init; } = 1;
        public int Padding { get; init; }
        public int Dilation { get; init; } = 1;
        public FileInfo? Image { get; init; }
    }

    public static void Print(Terminal terminal, CoverageGrid g)
    {
        terminal.Text($"A {g.KernelH}x{g.KernelW} filter over a {g.Height}x{g.Width} image, stride {g.Stride}, padding {g.Padding}" +
            (g.Dilation > 1 ? $", dilation {g.Dilation}" : "") +
            $": {g.OutH}x{g.OutW} {(g.OutH * g.OutW == 1 ? "window position" : "window positions")}, " +
            $"each reading {Terminal.Plural(g.KernelH * g.KernelW, "tap")}.");
        if (g.Width <= MaxPrintedWidth)
        {
            var values = new float[g.Height, g.Width];
            for (int r = 0; r < g.Height; r++)
                for (int c = 0; c < g.Width; c++) values[r, c] = g[r, c];
            terminal.NumberGrid(values, "row");
        }
        else terminal.Text($"(The grid is {g.Width} columns wide; it is summarised, not printed. Use --image to draw it.)");

        terminal.Text($"Corner pixel (0, 0): used {Terminal.Plural(g[0, 0], "time")}. Fewest uses: {g.Min}; most: {g.Max} " +
            $"(the filter has {Terminal.Plural(g.KernelH * g.KernelW, "tap")}).");
        if (g.Width >= 3)
            terminal.Text("Top edge, left to right: " +
                $"{string.Join(", ", Enumerable.Range(0, Math.Min(g.Width, 12)).Select(c => g[0, c]))}{(g.Width > 12 ? ", ..." : ".")}");
        terminal.Text($"All uses add up to {Terminal.Count(g.Sum)} (window positions x taps that fall on the image rather than on padding).");
        if (g.Unused > 0)
            terminal.Text($"{Terminal.Plural(g.Unused, "pixel")} {(g.Unused == 1 ? "is" : "are")} never used: the stride skips past them.");
    }
}
