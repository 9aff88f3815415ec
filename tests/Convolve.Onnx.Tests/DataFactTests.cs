namespace Convolve.Onnx.Tests;

/// <summary>These tests change environment variables that other tests read, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "environment variables";
}

/// <summary>Tests whose files are missing: skipped with the reason for a user, failed with it under CI.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class DataFactTests
{
    private const string Nowhere = "/nonexistent/convolve-onnx-testdata";

    private static readonly string Reason =
        $"ONNX conformance vectors not found at {Nowhere}. Install them with `apt-get install libonnx-testdata` " +
        "(or set CONVOLVE_ONNX_TESTDATA to a copy of onnx/backend/test/data/node).";

    [Fact]
    public void MissingVectors_ForAUser_SkipWithTheReason()
    {
        WithEnvironment(Nowhere, ci: null, () =>
        {
            Assert.Equal(Reason, new DataFactAttribute(TestData.OnnxVectors).Skip);
            Assert.Equal(Reason, new DataTheoryAttribute(TestData.OnnxVectors).Skip);
        });
    }

    [Theory]
    [InlineData("true")]
    [InlineData("TRUE")]
    [InlineData("1")]
    public void MissingVectors_UnderCi_RunAndFailWithTheReason(string ci)
    {
        WithEnvironment(Nowhere, ci, () =>
        {
            Assert.Null(new DataFactAttribute(TestData.OnnxVectors).Skip);
            Assert.Null(new DataTheoryAttribute(TestData.OnnxVectors).Skip);
            var failure = Assert.ThrowsAny<Exception>(() => TestDataRequirement.Require(TestData.OnnxVectors));
            Assert.Equal(Reason, failure.Message);
        });
    }

    [Fact]
    public void CiSetToFalse_IsAUser()
    {
        WithEnvironment(Nowhere, "false", () => Assert.Equal(Reason, new DataFactAttribute(TestData.OnnxVectors).Skip));
    }

    [Fact]
    public void SkipReason_OnlyForAUserWithFilesMissing()
    {
        Assert.Equal("why", TestDataRequirement.SkipReason("why", ci: false));
        Assert.Null(TestDataRequirement.SkipReason("why", ci: true));
        Assert.Null(TestDataRequirement.SkipReason(null, ci: false));
    }

    private static void WithEnvironment(string onnxTestData, string? ci, Action test)
    {
        string? oldData = Environment.GetEnvironmentVariable("CONVOLVE_ONNX_TESTDATA"), oldCi = Environment.GetEnvironmentVariable("CI");
        try
        {
            Environment.SetEnvironmentVariable("CONVOLVE_ONNX_TESTDATA", onnxTestData);
            Environment.SetEnvironmentVariable("CI", ci);
            test();
        }
        finally
        {
            Environment.SetEnvironmentVariable("CONVOLVE_ONNX_TESTDATA", oldData);
            Environment.SetEnvironmentVariable("CI", oldCi);
        }
    }
}
