namespace Convolve.Onnx.Tests;

/// <summary>The files a test needs from outside the repository (Debian packages, a NuGet package).</summary>
public enum TestData
{
    /// <summary>ONNX's operator conformance vectors (Debian libonnx-testdata), see <see cref="OnnxTestData"/>.</summary>
    OnnxVectors,

    /// <summary>The ResNet-18 ONNX files and the photos, see <see cref="ResNet18Files"/>.</summary>
    ResNet18,

    /// <summary>torchvision's models exported to ONNX, and the photos, see <see cref="TorchvisionFiles"/>.</summary>
    Torchvision,
}

/// <summary>
/// Whether a test's files are present, and what a missing one means: for a user, the test is
/// skipped with the reason (how to install them); under continuous integration (the CI
/// environment variable set to true or 1, as GitHub Actions, GitLab CI and most others set it),
/// a missing package is a broken machine, so the test runs and fails with the same reason.
/// </summary>
public static class TestDataRequirement
{
    /// <summary>Why <paramref name="data"/> cannot be used here, or null when it is all present.</summary>
    public static string? Missing(TestData data) => data switch
    {
        TestData.OnnxVectors => OnnxTestData.IsInstalled ? null : OnnxTestData.MissingMessage,
        TestData.ResNet18 => ResNet18Files.Missing,
        TestData.Torchvision => TorchvisionFiles.Missing ?? ResNet18Files.Missing,
        _ => throw new ArgumentOutOfRangeException(nameof(data)),
    };

    /// <summary>Whether this run is continuous integration.</summary>
    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is { } ci
        && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    /// <summary>
    /// The skip reason for a test whose files are <paramref name="missing"/> (null when present): none under CI, where the test fails instead.
    /// </summary>
    public static string? SkipReason(string? missing, bool ci) => ci ? null : missing;

    /// <summary>
    /// Fails with the reason when <paramref name="data"/> is missing: what a data test does first, so that under CI it fails saying what to install.
    /// </summary>
    public static void Require(TestData data)
    {
        if (Missing(data) is { } why) Assert.Fail(why);
    }
}

/// <summary>A fact that needs <see cref="TestData"/>: skipped with the reason when the files are missing, failed with it under CI.</summary>
public sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute(TestData data)
    {
        if (TestDataRequirement.SkipReason(TestDataRequirement.Missing(data), TestDataRequirement.IsCi) is { } why) Skip = why;
    }
}

/// <summary>A theory that needs <see cref="TestData"/>: skipped with the reason when the files are missing, failed with it under CI.</summary>
public sealed class DataTheoryAttribute : TheoryAttribute
{
    public DataTheoryAttribute(TestData data)
    {
        if (TestDataRequirement.SkipReason(TestDataRequirement.Missing(data), TestDataRequirement.IsCi) is { } why) Skip = why;
    }
}
