using System.CommandLine;
using Convolve.Analysis;

namespace Convolve.Cli.Commands;

/// <summary><c>convolve shape</c>: the output size of a convolution or pooling along one axis.</summary>
internal static class ShapeCommand
{
    public static Command Create(Terminal terminal)
    {
        var size = OptionFactory.Int("--size", "Input size n along one axis (height or width).", 28);
        var kernel = OptionFactory.Int("--kernel", "Kernel size k.", 3);
        var stride = OptionFactory.OptionalInt("--stride", "Stride s (default: 1 for a convolution, the kernel size for pooling).");
        var padding = OptionFactory.Int("--padding", "Zeros p added on each side.", 0, min: 0);
        var dilation = OptionFactory.Int("--dilation", "Spacing d between kernel taps (1 = none).", 1);
        var pool = new Option<bool>("--pool") { Description = "A pooling window instead of a convolution." };
        var ceilMode = new Option<bool>("--ceil-mode") { Description = "Pooling only: round up, keeping a last partial window." };
        var command = new Command("shape", "Output size floor((n + 2p - d(k-1) - 1)/s) + 1 of a convolution or pooling.")
        {
            size, kernel, stride, padding, dilation, pool, ceilMode,
        };
        command.SetAction(result =>
        {
            bool isPool = result.GetValue(pool);
            int k = result.GetValue(kernel);
            var answer = OutputSize.Compute(result.GetValue(size), k, result.GetValue(stride) ?? (isPool ? k : 1),
                result.GetValue(padding), result.GetValue(dilation),
                isPool ? WindowKind.Pooling : WindowKind.Convolution, result.GetValue(ceilMode));
            Print(terminal, answer);
            return ConvolveApp.Success;
        });
        return command;
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
            terminal.Text($"The windows do not fit exactly: {(r.Unused == 1 ? "the last padded pixel" : $"the last {r.Unused} padded pixels")} of the {r.PaddedSize} {(r.Unused == 1 ? "is" : "are")} never covered.");
        else if (!r.CeilMode)
            terminal.Text($"The windows fit exactly: the last window ends on the last of the {r.PaddedSize} padded pixels.");
    }
}
