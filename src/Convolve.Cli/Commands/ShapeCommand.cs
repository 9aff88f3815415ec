using System.CommandLine;
using Convolve.Analysis;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve shape</c>: the output size of a convolution or pooling along one axis.</summary>
internal static class ShapeCommand
{
    public static Command Create(Terminal terminal)
    {
        var options = new OptionBinder<Settings>()
            .Option(s => s.Size, "--size", "Input size n along one axis (height or width).")
            .Option(s => s.Kernel, "--kernel", "Kernel size k.")
            .Option(s => s.Stride, "--stride", "Stride s (default: 1 for a convolution, the kernel size for pooling).")
            .Option(s => s.Padding, "--padding", "Zeros p added on each side.", min: 0)
            .Option(s => s.Dilation, "--dilation", "Spacing d between kernel taps (1 = none).")
            .Option(s => s.Pool, "--pool", "A pooling window instead of a convolution.")
            .Option(s => s.CeilMode, "--ceil-mode", "Pooling only: round up, keeping a last partial window.");
        var command = options.CreateCommand("shape", "Output size floor((n + 2p - d(k-1) - 1)/s) + 1 of a convolution or pooling.");
        command.SetAction(result =>
        {
            var s = options.Read(result);
            var answer = OutputSize.Compute(s.Size, s.Kernel, s.Stride ?? (s.Pool ? s.Kernel : 1), s.Padding, s.Dilation,
                s.Pool ? WindowKind.Pooling : WindowKind.Convolution, s.CeilMode);
            Print(terminal, answer);
            return ConvolveApp.Success;
        });
        return command;
    }

    private sealed record Settings
    {
        public int Size { get; init; } = 28;
        public int Kernel { get; init; } = 3;
        /// <summary>Null for 1 (convolution) or the kernel size (pooling).</summary>
        public int? Stride { get; init; }
        public int Padding { get; init; }
        public int Dilation { get; init; } = 1;
        public bool Pool { get; init; }
        public bool CeilMode { get; init; }
    }

    public static void Print(Terminal terminal, OutputSizeResult r)
    {
        string what = r.Kind == WindowKind.Pooling ? "Pooling" : "Convolution";
        string round = r.CeilMode ? "ceil" : "floor";
        terminal.Text($"{what}: n = {r.Size}, k = {r.Kernel}, s = {r.Stride}, p = {r.Padding}, d = {r.Dilation}");
        terminal.Text($"out = {round}((n + 2p - d(k-1) - 1) / s) + 1");
        terminal.Text($"    = {round}(({r.Size} + 2*{r.Padding} - {r.Dilation}*({r.Kernel}-1) - 1) / {r.Stride}) + 1");
        terminal.Text($"    = {round}({r.Numerator} / {r.Stride}) + 1");
        terminal.Markup($"    = [bold green]{r.Output}[/]");
        if (r.Dilation > 1) terminal.Text($"The dilated kernel spans d(k-1)+1 = {Terminal.Plural(r.Span, "pixel")}.");
        if (r.Unused > 0)
            terminal.Text($"The windows do not fit exactly: {(r.Unused == 1 ? "the last padded pixel" : $"the last {r.Unused} padded pixels")} " +
                $"of the {r.PaddedSize} {(r.Unused == 1 ? "is" : "are")} never covered.");
        else if (!r.CeilMode)
            terminal.Text($"The windows fit exactly: the last window ends on the last of the {r.PaddedSize} padded pixels.");
    }
}
