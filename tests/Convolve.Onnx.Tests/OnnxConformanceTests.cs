using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Xunit.Abstractions;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx.Tests;

/// <summary>
/// ONNX's backend conformance vectors (see <see cref="OnnxTestData"/>) for the operators Convolve
/// implements. Every vector of those operators is either run, on every <see cref="Backend"/>, or
/// listed in <see cref="Unsupported"/> with the reason, and a test checks that nothing falls
/// between the two.
/// <para>
/// Float outputs match when <c>|actual - expected| &lt;= 1e-4 * max(1, |expected|)</c> element by
/// element (an absolute tolerance of 1e-4 near zero, a relative one above 1), NaN matching NaN and
/// infinities matching exactly; integer and boolean outputs must be equal; shapes must be equal.
/// </para>
/// </summary>
public sealed class OnnxConformanceTests(ITestOutputHelper log)
{
    /// <summary>The tolerance of the comparison rule above.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Vectors of the mapped operators that Convolve cannot run, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> Unsupported = new Dictionary<string, string>
    {
        ["test_averagepool_1d_default"] = "1-D pooling: Convolve has 2-D pooling only.",
        ["test_averagepool_3d_default"] = "3-D pooling: Convolve has 2-D pooling only.",
        ["test_maxpool_1d_default"] = "1-D pooling: Convolve has 2-D pooling only.",
        ["test_maxpool_3d_default"] = "3-D pooling: Convolve has 2-D pooling only.",
        ["test_batchnorm_epsilon_training_mode"] = BatchNormTrainingReason,
        ["test_batchnorm_example_training_mode"] = BatchNormTrainingReason,
        ["test_maxpool_2d_uint8"] = "UINT8 tensors: Convolve computes in float32 only.",
        ["test_training_dropout"] = "Training-mode dropout with ratio 0.75: the expected output is one random draw of ONNX's generator.",
        ["test_training_dropout_default"] = "Training-mode dropout with ratio 0.5: the expected output is one random draw of ONNX's generator.",
        ["test_training_dropout_default_mask"] = "Training-mode dropout with ratio 0.5: the expected output and mask are one random draw of ONNX's generator.",
        ["test_training_dropout_mask"] = "Training-mode dropout with ratio 0.75: the expected output and mask are one random draw of ONNX's generator.",
    };

    private const string BatchNormTrainingReason =
        "running_var is updated with the biased batch variance in ONNX and the unbiased one in Convolve (PyTorch's rule); " +
        "BatchNormTrainingModeTests checks that Y and running_mean match and that running_var differs by exactly that.";

    /// <summary>The names of the vectors to run; a single placeholder when none are installed, so that the theory fails rather than vanishes.</summary>
    public static TheoryData<string> RunnableCases()
    {
        var data = new TheoryData<string>();
        foreach (string name in RunnableNames()) data.Add(name);
        if (data.Count == 0) data.Add(MissingPlaceholder);
        return data;
    }

    /// <summary>The vectors of the mapped operators that are not listed as unsupported.</summary>
    public static IEnumerable<string> RunnableNames() => OnnxTestData.Cases.Keys.Where(n => !Unsupported.ContainsKey(n));

    /// <summary>The names of the listed vectors.</summary>
    public static TheoryData<string> UnsupportedCases()
    {
        var data = new TheoryData<string>();
        foreach (string name in Unsupported.Keys.Order(StringComparer.Ordinal)) data.Add(name);
        return data;
    }

    private const string MissingPlaceholder = "(libonnx-testdata not installed)";

    [DataFact(TestData.OnnxVectors)]
    public void TestData_IsInstalled()
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
    }

    [DataFact(TestData.OnnxVectors)]
    public void EveryVectorOfTheMappedOperators_IsRunOrListedWithAReason()
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var found = OnnxTestData.Cases;
        // A listed name that is no longer in the data would hide nothing, but the list should say what it covers.
        var stale = Unsupported.Keys.Where(n => !found.ContainsKey(n)).ToList();
        Assert.True(stale.Count == 0, $"Listed as unsupported but not found in {OnnxTestData.Directory}: {string.Join(", ", stale)}");
        var runnable = RunnableNames().ToHashSet();
        foreach (string name in found.Keys)
            Assert.True(runnable.Contains(name) ^ Unsupported.ContainsKey(name), $"{name} must be either run or listed.");
        Assert.All(Unsupported.Values, reason => Assert.False(string.IsNullOrWhiteSpace(reason)));

        foreach (var op in OnnxTestData.Operators.Order(StringComparer.Ordinal))
        {
            var names = found.Where(kv => kv.Value == op).Select(kv => kv.Key).ToList();
            log.WriteLine($"{op}: {names.Count} vectors, {names.Count(runnable.Contains)} run, {names.Count(Unsupported.ContainsKey)} listed unsupported");
        }
        // Every operator in the list has vectors in ONNX's suite; none disappearing unnoticed.
        Assert.All(OnnxTestData.Operators, op => Assert.Contains(op, found.Values));
    }

    [DataTheory(TestData.OnnxVectors)]
    [MemberData(nameof(RunnableCases))]
    public void Vector_MatchesConvolve(string name)
    {
        Assert.True(name != MissingPlaceholder && OnnxTestData.IsInstalled, OnnxTestData.MissingMessage);
        var test = OnnxTestData.Load(name);
        foreach (var backend in Backend.All)
            foreach (var set in test.DataSets)
            {
                var actual = new OnnxNodeRunner(test.Model, test.Node, set.Inputs, backend).Run();
                Assert.True(actual.Length >= set.Outputs.Count,
                    $"{name}/{set.Name} on {backend}: the node gave {actual.Length} outputs, the vector expects {set.Outputs.Count}.");
                for (int i = 0; i < set.Outputs.Count; i++)
                    AssertMatches(set.Outputs[i].Path, set.Outputs[i].Tensor, actual[i], $"{name}/{set.Name} output {i} on {backend}");
            }
    }

    /// <summary>Each listed vector really is refused, with a reason, so the list cannot go stale silently.</summary>
    [DataTheory(TestData.OnnxVectors)]
    [MemberData(nameof(UnsupportedCases))]
    public void UnsupportedVector_IsRefusedWithAReason(string name)
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var test = OnnxTestData.Load(name);
        var set = test.DataSets[0];
        var error = Assert.ThrowsAny<Exception>(() => new OnnxNodeRunner(test.Model, test.Node, set.Inputs, Backend.All[0]).Run());
        Assert.True(error is NotSupportedException or OnnxFormatException, $"{name}: expected a refusal, got {error}");
        log.WriteLine($"{name}: listed because: {Unsupported[name]}");
        log.WriteLine($"{name}: refused with: {error.Message}");
    }

    internal static void AssertMatches(string path, TensorProto expected, object? actual, string what)
    {
        var dims = OnnxTensor.GetDimensions(expected, path);
        switch (OnnxTensor.GetDataType(expected))
        {
            case DataType.Float:
                var tensor = Assert.IsType<Tensor>(actual);
                Assert.True(tensor.Shape.Dims.SequenceEqual(dims), $"{what}: shape {tensor.Shape}, expected [{string.Join(", ", dims)}].");
                var want = OnnxTensor.ToTensor(expected, path).Span;
                var got = tensor.Span;
                int mismatches = 0;
                string first = "";
                for (int i = 0; i < want.Length; i++)
                {
                    if (Close(got[i], want[i])) continue;
                    if (mismatches++ == 0) first = $"element {i}: got {got[i]:R}, expected {want[i]:R}";
                }
                Assert.True(mismatches == 0,
                    $"{what}: {mismatches} of {want.Length} values differ by more than {Tolerance} * max(1, |expected|); first at {first}.");
                break;
            case DataType.Int64:
                var indices = Assert.IsType<long[]>(actual);
                Assert.Equal(OnnxTensor.ToInt64Array(expected, path), indices);
                break;
            case DataType.Bool:
                var mask = Assert.IsType<bool[]>(actual);
                Assert.Equal(OnnxTensor.ToBoolArray(expected, path), mask);
                break;
            default:
                Assert.Fail($"{what}: {path} has data type {OnnxTensor.DataTypeName(expected.DataType)}, which this suite does not compare.");
                break;
        }
    }

    /// <summary>The comparison rule of this suite (see the class summary).</summary>
    public static bool Close(float actual, float expected)
    {
        if (float.IsNaN(expected)) return float.IsNaN(actual);
        if (float.IsInfinity(expected)) return actual == expected;
        return Math.Abs((double)actual - expected) <= Tolerance * Math.Max(1, Math.Abs((double)expected));
    }
}
