using System.CommandLine;
using Convolve.Cli.Commands;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Cli.Tests;

/// <summary>What a user reads when a command line is wrong: plain words that name the option, no .NET type names.</summary>
public class ParseMessageTests
{
    private static string FirstLine(string text) => text.Split('\n')[0].TrimEnd('\r');

    [Theory]
    [InlineData(new[] { "train", "--lr", "abc" }, "convolve: --lr: 'abc' is not a number.")]
    [InlineData(new[] { "train", "--epochs", "x" }, "convolve: --epochs: 'x' is not a number.")]
    [InlineData(new[] { "train", "--epochs", "2.5" }, "convolve: --epochs: '2.5' is not a whole number.")]
    [InlineData(new[] { "train", "--epochs", "99999999999" }, "convolve: --epochs: 99999999999 is too large; the largest is 2,147,483,647.")]
    [InlineData(new[] { "train", "--momentum", "1e40" }, "convolve: --momentum: 1e40 is too large for a 32-bit float.")]
    [InlineData(new[] { "train", "--optimizer", "foo" }, "convolve: --optimizer: 'foo' is not one of sgd, adam, adamw.")]
    [InlineData(new[] { "train", "--optimizer", "adm" }, "convolve: --optimizer: 'adm' is not one of sgd, adam, adamw. Did you mean 'adam'?")]
    [InlineData(new[] { "train", "--optimizer", "1" }, "convolve: --optimizer: '1' is not one of sgd, adam, adamw.")]
    [InlineData(new[] { "train", "--schedule", "linear" }, "convolve: --schedule: 'linear' is not one of constant, cosine.")]
    [InlineData(new[] { "shape", "--size", "abc" }, "convolve: --size: 'abc' is not a number.")]
    public void BadValue_PlainMessage_NamesTheOption(string[] args, string message)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Equal(message, FirstLine(r.Error));
        Assert.Equal($"Run 'convolve {args[0]} --help' for usage.", r.Error.Split('\n')[1].TrimEnd('\r'));
    }

    [Fact]
    public void AnArgumentStartingWithAt_IsAFileName_NotAResponseFile()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"@no-such-model-{Guid.NewGuid():N}.cvm");
        var r = CliRunner.Run("summary", "@" + missing);
        Assert.Equal(ConvolveApp.Failure, r.ExitCode);
        Assert.StartsWith($"convolve: '@{missing}' is not a built-in architecture", FirstLine(r.Error));
        Assert.DoesNotContain("esponse file", r.Error);
    }

    /// <summary>Every number or enum option of every command, given a word: a message in plain words.</summary>
    [Fact]
    public void EveryNumberAndEnumOption_NotANumber_NoTypeNames()
    {
        var root = ConvolveApp.CreateRootCommand(new Terminal(TextWriter.Null, plain: true));
        int checkedOptions = 0;
        foreach (var (path, option) in Options(root, []))
        {
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (!(type.IsEnum || type == typeof(int) || type == typeof(float) || type == typeof(double))) continue;
            var r = CliRunner.Run([.. path, option.Name, "zzz"]);
            Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
            Assert.Contains(type.IsEnum ? $"convolve: {option.Name}: 'zzz' is not one of " : $"convolve: {option.Name}: 'zzz' is not a number.", r.Error);
            Assert.DoesNotContain("System.", r.Error);
            Assert.DoesNotContain("Convolve.", r.Error);
            Assert.DoesNotContain("expected type", r.Error);
            checkedOptions++;
        }
        Assert.True(checkedOptions >= 40, $"only {checkedOptions} options checked");
    }

    private static IEnumerable<(string[] Path, Option Option)> Options(Command command, string[] path)
    {
        foreach (var option in command.Options) yield return (path, option);
        foreach (var sub in command.Subcommands)
            foreach (var found in Options(sub, [.. path, sub.Name])) yield return found;
    }

    [Theory]
    [InlineData("ADAMW", OptimizerKind.AdamW)]
    [InlineData("adamw", OptimizerKind.AdamW)]
    [InlineData("Sgd", OptimizerKind.Sgd)]
    public void EnumOption_AnyCase(string typed, OptimizerKind expected)
    {
        var root = ConvolveApp.CreateRootCommand(new Terminal(TextWriter.Null, plain: true));
        var parsed = root.Parse(["train", "--optimizer", typed]);
        Assert.Empty(parsed.Errors);
        var option = parsed.CommandResult.Command.Options.OfType<Option<OptimizerKind>>().Single(o => o.Name == "--optimizer");
        Assert.Equal(expected, parsed.GetValue(option));
    }

    [Fact]
    public void Help_ShowsEnumsInLowerCase_AsTheyAreTyped()
    {
        var r = CliRunner.Run("train", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"--optimizer <sgd\|adam\|adamw>\s+sgd \(with momentum\), adam or adamw\. \[default: sgd\]", r.Output);
        Assert.Matches(@"--schedule <constant\|cosine>\s+.*\[default: cosine\]", r.Output);
        Assert.DoesNotContain("Sgd", r.Output);
        Assert.DoesNotContain("Cosine]", r.Output);
    }

    [Fact]
    public void Help_OfACommandWithRequiredOptions_IsShown()
    {
        var r = CliRunner.Run("transfer", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Error);
        Assert.Contains("[default: adam]", r.Output);
    }

    [Fact]
    public void MistypedCommand_SuggestsTheNearest()
    {
        var r = CliRunner.Run("trian");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Equal("convolve: 'trian' is not a command of 'convolve'. Did you mean 'train'?\nRun 'convolve --help' for usage.\n", r.Error.Replace("\r", ""));
    }

    [Fact]
    public void MistypedSubcommand_SuggestsTheNearest()
    {
        var r = CliRunner.Run("experiment", "transltion");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Equal("convolve: 'transltion' is not a command of 'convolve experiment'. Did you mean 'translation'?", FirstLine(r.Error));
    }

    [Fact]
    public void MistypedOption_SuggestsTheNearest_AndDoesNotReportItsValueAgain()
    {
        var r = CliRunner.Run("train", "--epoch", "3");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Equal("convolve: unknown option '--epoch' for 'convolve train'. Did you mean '--epochs'?\nRun 'convolve train --help' for usage.\n",
            r.Error.Replace("\r", ""));
    }

    [Fact]
    public void UnknownWord_NothingNear_NoSuggestion()
    {
        var r = CliRunner.Run("zebra");
        Assert.Equal("convolve: 'zebra' is not a command of 'convolve'.", FirstLine(r.Error));
    }

    [Fact]
    public void NoCommand_PrintsTheHelp_ExitCode2()
    {
        var r = CliRunner.Run();
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.DoesNotContain("Required command", r.Error);
        Assert.Contains("Usage:", r.Error);
        Assert.Contains("train", r.Error);
    }

    [Fact]
    public void CommandThatNeedsASubcommand_ListsThem()
    {
        var r = CliRunner.Run("experiment");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Equal("convolve: 'convolve experiment' needs a command: ann-vs-cnn, translation, data-size.", FirstLine(r.Error));
    }

    [Fact]
    public void OptionWithoutItsValue_SaysWhatItTakes()
    {
        var r = CliRunner.Run("train", "--lr");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Equal("convolve: --lr needs a value: Learning rate (default 0.05 for SGD, 0.001 for Adam/AdamW).", FirstLine(r.Error));
    }

    [Fact]
    public void OptionGivenTwice_ShowsBothValues()
    {
        var r = CliRunner.Run("params", "--filters", "1", "--filters", "2");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        Assert.Equal("convolve: --filters takes one value, got 2: 1, 2.", FirstLine(r.Error));
    }

    [Fact]
    public void MissingArgument_SaysWhatItIs_Once()
    {
        var r = CliRunner.Run("predict", "model.cvm");
        Assert.Equal(ConvolveApp.UsageError, r.ExitCode);
        // The argument's own description says what it is; the message quotes it.
        var predict = ConvolveApp.CreateRootCommand(new Terminal(TextWriter.Null, plain: true)).Subcommands.Single(c => c.Name == "predict");
        string images = predict.Arguments.Single(a => a.Name == "images").Description!;
        Assert.StartsWith("Image files", images);
        Assert.Equal($"convolve: 'convolve predict' needs <images>: {images}\n" +
            "Run 'convolve predict --help' for usage.\n", r.Error.Replace("\r", ""));
    }
}

public class SuggestionTests
{
    [Theory]
    [InlineData("trian", "train", 1)]
    [InlineData("epoch", "epochs", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "abc", 0)]
    public void Distance_CountsEditsAndSwaps(string a, string b, int expected)
    {
        Assert.Equal(expected, Suggestions.Distance(a, b));
        Assert.Equal(expected, Suggestions.Distance(b, a));
    }

    [Fact]
    public void Nearest_IgnoresDashes_PrefersTheClosest()
    {
        Assert.Equal(["--epochs"], Suggestions.Nearest("--epoch", ["--epochs", "--batch", "--seed"]));
        Assert.Equal(["--hidden"], Suggestions.Nearest("--hid", ["--hidden", "--height"]));
        Assert.Empty(Suggestions.Nearest("xyz", ["train", "predict"]));
        Assert.Equal(" Did you mean 'seed' or 'shed'?", Suggestions.DidYouMean("sed", ["seed", "shed", "train"]));
    }
}

public class PluralTests
{
    [Theory]
    [InlineData(0, "epoch", "0 epochs")]
    [InlineData(1, "epoch", "1 epoch")]
    [InlineData(2, "epoch", "2 epochs")]
    [InlineData(1, "class", "1 class")]
    [InlineData(3, "class", "3 classes")]
    [InlineData(12000, "image", "12,000 images")]
    public void Plural_AgreesWithTheCount(long count, string word, string expected) =>
        Assert.Equal(expected, Terminal.Plural(count, word, word == "class" ? "classes" : null));

    [Fact]
    public void Coverage_OneUse_IsOneTime()
    {
        var r = CliRunner.Run("coverage", "--size", "6", "--kernel", "3", "--stride", "3");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Corner pixel (0, 0): used 1 time.", r.Output);
        Assert.DoesNotContain("(s)", r.Output);
    }

    [Fact]
    public void Shape_OnePixelLeftOver_IsSingular()
    {
        var r = CliRunner.Run("shape", "--size", "6", "--kernel", "3", "--stride", "2");
        Assert.Contains("the last padded pixel of the 6 is never covered.", r.Output);
        Assert.DoesNotContain("(s)", r.Output);
    }

    [Fact]
    public void Params_OneFilter_IsSingular()
    {
        var r = CliRunner.Run("params", "--filters", "1", "--hidden", "1");
        Assert.Contains("Convolution: 1 filter of 3x3x3", r.Flat);
        Assert.Contains("x 1 unit ", r.Flat);
        Assert.Contains("its filter is reused at every position.", r.Flat);
    }

    [Fact]
    public void Filters_OneFilter_IsSingular()
    {
        var model = new Sequential(new Conv2D(1, 1, 3), new ReLU(), new Flatten(), new Dense(2));
        model.Build(new Shape(1, 6, 6), seed: 0);
        string folder = Directory.CreateTempSubdirectory("convolve-filters-").FullName;
        try
        {
            string path = Path.Combine(folder, "one.cvm");
            ModelFile.Save(model, path);
            var r = CliRunner.Run("filters", path, "--out", Path.Combine(folder, "f.png"));
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("Conv2D(1->1, 3x3): 1 filter of 3x3,", r.Flat);
            Assert.Matches(@"[01] of 1 filter (is|are) edge-like", r.Flat);
            Assert.DoesNotContain("1 filters", r.Flat);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}

public class FailureMessageTests
{
    [Fact]
    public void UnknownFailure_NoTypeName_AsksForAReport()
    {
        string message = Failures.Message(new NullReferenceException("Object reference not set to an instance of an object."));
        Assert.StartsWith("internal error: ", message);
        Assert.DoesNotContain("Exception", message);
        Assert.DoesNotContain("unexpected", message);
    }

    [Fact]
    public void WrappedFailure_ShowsTheInnerMessage()
    {
        var inner = new ShapeException("Conv2D(3->16, 3x3): expected input with 3 channels, got [8, 1, 28, 28].");
        Assert.Equal(inner.Message, Failures.Message(new AggregateException("ParallelParts: a part failed.", inner)));
        Assert.Equal(inner.Message, Failures.Message(new System.Reflection.TargetInvocationException(inner)));
        Assert.Equal(inner.Message, Failures.Message(new AggregateException(inner, new ShapeException("another"))));
    }

    [Fact]
    public void Overflow_AndOutOfMemory_ArePlain()
    {
        Assert.StartsWith("a size or count in the input is too large",
            Failures.Message(new OverflowException("Arithmetic operation resulted in an overflow.")));
        Assert.StartsWith("not enough memory", Failures.Message(new OutOfMemoryException()));
    }

    private sealed class LibraryFailure(string message) : Exception(message);

    [Fact]
    public void ConvolvesOwnExceptionType_ShowsItsMessage() =>
        Assert.Equal("training stopped: the loss became NaN.", Failures.Message(new LibraryFailure("training stopped: the loss became NaN.")));

    [Fact]
    public void LibraryStateError_ShowsItsMessage()
    {
        var e = new InvalidOperationException("The model is not built yet: call Build(inputShape, seed) first.");
        Assert.Equal(e.Message, Failures.Message(e));
    }
}
