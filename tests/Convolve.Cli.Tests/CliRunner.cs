namespace Convolve.Cli.Tests;

/// <summary>Runs the <c>convolve</c> entry point in-process with captured, plain-text output.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        /// <summary>The output with every run of white space (including line wraps) turned into one space.</summary>
        public string Flat => System.Text.RegularExpressions.Regex.Replace(Output, @"\s+", " ");
    }

    public static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ConvolveApp.Run(args, output, error, plain: true);
        return new Result(code, output.ToString(), error.ToString());
    }
}
