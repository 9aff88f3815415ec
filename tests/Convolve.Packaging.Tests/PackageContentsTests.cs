using System.IO.Compression;
using System.Xml.Linq;

namespace Convolve.Packaging.Tests;

/// <summary>What the README's pack command makes, and what NuGet users expect inside each package.</summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageContentsTests(PackedSolution packed, ITestOutputHelper log)
{
    private static readonly string[] Libraries = ["Convolve", "Convolve.Onnx", "Convolve.Imaging"];
    private static readonly string[] Packages = [.. Libraries, "Convolve.Cli"];

    [Fact]
    public void Pack_MakesTheFourPackagesWithSymbols_AndNothingElse()
    {
        var expected = Packages.SelectMany(id => new[] { $"{id}.{packed.Version}.nupkg", $"{id}.{packed.Version}.snupkg" }).Order(StringComparer.Ordinal);
        var made = Directory.GetFiles(packed.Artifacts).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(expected, made);
        Assert.DoesNotContain("warning", packed.PackResult.Output, StringComparison.OrdinalIgnoreCase);
        log.WriteLine($"{packed.PackResult.Command}: {packed.PackResult.Elapsed.TotalSeconds:F1} s");
        foreach (var file in Directory.GetFiles(packed.Artifacts).Order(StringComparer.Ordinal))
            log.WriteLine($"{Path.GetFileName(file)}: {new FileInfo(file).Length:N0} bytes");
    }

    [Theory]
    [InlineData("Convolve")]
    [InlineData("Convolve.Onnx")]
    [InlineData("Convolve.Imaging")]
    [InlineData("Convolve.Cli")]
    public void EveryPackage_CarriesItsMetadata(string id)
    {
        using var package = ZipFile.OpenRead(packed.Artifact($"{id}.{packed.Version}.nupkg"));
        var metadata = Nuspec(package).Root!.Element(Ns(package, "metadata"))!;
        string Value(string name) => metadata.Element(Ns(package, name))?.Value ?? "";

        Assert.Equal(id, Value("id"));
        Assert.Equal(packed.Version, Value("version"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")), $"{id}: no description");
        Assert.False(string.IsNullOrWhiteSpace(Value("authors")), $"{id}: no authors");
        Assert.False(string.IsNullOrWhiteSpace(Value("tags")), $"{id}: no tags");
        Assert.False(string.IsNullOrWhiteSpace(Value("releaseNotes")), $"{id}: no release notes");
        // The core and the tool embed the MNIST subset (CC BY-SA 3.0) beside the MIT code.
        Assert.Equal(id is "Convolve" or "Convolve.Cli" ? "MIT AND CC-BY-SA-3.0" : "MIT", Value("license"));
        Assert.Equal("README.md", Value("readme"));
        var readme = package.GetEntry("README.md");
        Assert.NotNull(readme);
        using (var reader = new StreamReader(readme.Open()))
            Assert.Contains(id == "Convolve.Cli" ? "dotnet tool install" : $"dotnet add package {id}", reader.ReadToEnd(), StringComparison.Ordinal);

        var repository = metadata.Element(Ns(package, "repository"));
        Assert.NotNull(repository);
        Assert.StartsWith("https://", repository.Attribute("url")?.Value ?? "", StringComparison.Ordinal);
        if (packed.Commit is not null) Assert.Equal(packed.Commit, repository.Attribute("commit")?.Value);

        // The symbol package holds the PDB of every assembly of the package's own.
        using var symbols = ZipFile.OpenRead(packed.Artifact($"{id}.{packed.Version}.snupkg"));
        Assert.Contains(symbols.Entries, e => e.FullName.EndsWith($"/{id}.pdb", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Convolve", "System.Numerics.Tensors")]
    [InlineData("Convolve.Onnx", "Convolve Google.Protobuf")]
    [InlineData("Convolve.Imaging", "Convolve SkiaSharp SkiaSharp.NativeAssets.Linux.NoDependencies")]
    public void Libraries_HaveTheirAssemblyDocumentationAndOnlyTheirDependencies(string id, string dependencies)
    {
        using var package = ZipFile.OpenRead(packed.Artifact($"{id}.{packed.Version}.nupkg"));
        Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.dll"));
        Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.xml"));
        var found = Nuspec(package).Descendants(Ns(package, "dependency")).Select(d => d.Attribute("id")!.Value).Order(StringComparer.Ordinal);
        Assert.Equal(dependencies.Split(' ').Order(StringComparer.Ordinal), found);
    }

    [Fact]
    public void Tool_IsADotnetTool_WithEverythingItNeedsInside()
    {
        using var package = ZipFile.OpenRead(packed.Artifact($"Convolve.Cli.{packed.Version}.nupkg"));
        var nuspec = Nuspec(package);
        Assert.Contains(nuspec.Descendants(Ns(package, "packageType")), t => t.Attribute("name")?.Value == "DotnetTool");
        Assert.Empty(nuspec.Descendants(Ns(package, "dependency")));

        var settings = package.GetEntry("tools/net10.0/any/DotnetToolSettings.xml");
        Assert.NotNull(settings);
        using (var stream = settings.Open())
        {
            var command = XDocument.Load(stream).Descendants("Command").Single();
            Assert.Equal("convolve", command.Attribute("Name")?.Value);
            Assert.Equal("Convolve.Cli.dll", command.Attribute("EntryPoint")?.Value);
        }
        // The lessons (not a package of their own), the libraries, and SkiaSharp's native library
        // for this machine and the other common ones.
        string[] needed =
        [
            "Convolve.Cli.dll", "Convolve.dll", "Convolve.Lessons.dll", "Convolve.Onnx.dll", "Convolve.Imaging.dll",
            "runtimes/linux-x64/native/libSkiaSharp.so", "runtimes/linux-arm64/native/libSkiaSharp.so",
            "runtimes/win-x64/native/libSkiaSharp.dll", "runtimes/osx/native/libSkiaSharp.dylib",
        ];
        foreach (var file in needed) Assert.True(package.GetEntry($"tools/net10.0/any/{file}") is not null, $"the tool package lacks {file}");
    }

    private static XDocument Nuspec(ZipArchive package)
    {
        var entry = package.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream);
    }

    private static XName Ns(ZipArchive package, string name) => Nuspec(package).Root!.Name.Namespace + name;
}
