namespace Convolve.Cli.Tests;

/// <summary>Bad arguments: a message naming the argument, a non-zero exit code, never a stack trace.</summary>
public class ErrorTests
{
    private static void AssertNoStackTrace(CliRunner.Result r)
    {
        Assert.DoesNotContain("   at ", r.Error);
        Assert.DoesNotContain("Exception", r.Error);
    }

    [Fact]
    public void NotANumber_NamesTheOption_ExitCode2()
    {
        var r = CliRunner.Run("shape", "--size", "abc");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.StartsWith("convolve: --size: 'abc' is not a number.", r.Error);
        Assert.Contains("Run 'convolve shape --help' for usage.", r.Error);
        AssertNoStackTrace(r);
    }

    [Theory]
    [InlineData("shape", "--size", "0", "convolve: --size must be a positive whole number, got 0.")]
    [InlineData("coverage", "--padding", "-1", "convolve: --padding must not be negative, got -1.")]
    [InlineData("params", "--filters", "0", "convolve: --filters must be a positive whole number, got 0.")]
    [InlineData("intro", "--seed", "-2", "convolve: --seed must not be negative, got -2.")]
    public void OutOfRange_NamesTheOption_ExitCode2(string command, string option, string value, string message)
    {
        var r = CliRunner.Run(command, option, value);
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Equal(message, r.Error.Split('\n')[0].TrimEnd('\r'));
        AssertNoStackTrace(r);
    }

    [Fact]
    public void ImpossibleShape_IsExplained_ExitCode1()
    {
        var r = CliRunner.Run("shape", "--size", "5", "--kernel", "7");
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal("convolve: kernel 7 is larger than the padded input 5 + 2*0 = 5: no window fits.", r.Error.TrimEnd());
        Assert.Equal("", r.Output);
    }

    [Fact]
    public void ImpossibleCoverage_IsExplained_ExitCode1()
    {
        var r = CliRunner.Run("coverage", "--size", "4", "--kernel", "3", "--dilation", "2");
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal("convolve: kernel 3 with dilation 2 spans 2*(3-1)+1 = 5 pixels, more than the padded input 4 + 2*0 = 4: no window fits.",
            r.Error.TrimEnd());
    }

    [Fact]
    public void UnknownArchitecture_ListsTheKnownOnes_ExitCode1()
    {
        var r = CliRunner.Run("summary", "resnet");
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal("convolve: 'resnet' is not a built-in architecture (known: article, seed, lenet5, mnist-cnn, mlp) nor an existing file.",
            r.Error.TrimEnd());
    }

    [Fact]
    public void UnknownCommand_ExitCode2()
    {
        var r = CliRunner.Run("bogus");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Contains("'bogus'", r.Error);
    }

    [Fact]
    public void UnknownOption_ExitCode2()
    {
        var r = CliRunner.Run("params", "--hiden", "5");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Contains("--hiden", r.Error);
    }
}
