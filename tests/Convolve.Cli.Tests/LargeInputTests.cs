namespace Convolve.Cli.Tests;

/// <summary>Sizes far beyond a real image: an answer at once or a refusal in one line, never a crash.</summary>
public class LargeInputTests
{
    [Fact]
    public void Coverage_Size100000_IsSummarised()
    {
        var r = CliRunner.Run("coverage", "--size", "100000");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Error);
        Assert.Contains("Corner pixel (0, 0): used 1 time. Fewest uses: 1; most: 9 (the filter has 9 taps).", r.Output);
        Assert.Contains("All uses add up to 89,996,400,036 ", r.Output);
    }

    [Fact]
    public void Coverage_Size100000_WithImage_IsRefused()
    {
        var r = CliRunner.Run("coverage", "--size", "100000", "--image", Path.Combine(Path.GetTempPath(), "never-written.png"));
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.Equal("convolve: --image: a grid of 100000x100000 pixels is too large to draw (at most 4,096 a side); " +
            "without --image the grid is summarised.", r.Error.TrimEnd());
    }
}
