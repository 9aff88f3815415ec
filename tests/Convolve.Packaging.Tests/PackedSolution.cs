using System.Xml.Linq;

namespace Convolve.Packaging.Tests;

/// <summary>
/// The solution packed once for all the packaging tests, with the README's command, into a fresh
/// temporary folder; and a user's empty folder whose nuget.config knows only that folder (for the
/// Convolve packages) and the local NuGet cache (for their dependencies, restored by the build),
/// with no feed on the web.
/// </summary>
public sealed class PackedSolution : IDisposable
{
    /// <summary>Packing every project of the solution can take minutes on a busy two-core machine.</summary>
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(20);

    public PackedSolution()
    {
        Root = FindRoot();
        Version = ReadVersion(Path.Combine(Root, "Directory.Build.props"));
        Commit = GitCommit(Root);
        Work = Directory.CreateTempSubdirectory("convolve-packaging-").FullName;
        Artifacts = Path.Combine(Work, "artifacts");
        PackResult = Dotnet.Succeed(Root, PackTimeout, "dotnet", ["pack", "Convolve.slnx", "-c", "Release", "-o", Artifacts]);

        User = Directory.CreateDirectory(Path.Combine(Work, "user")).FullName;
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string dependencies = DependencyFeed(cache, Path.Combine(Work, "dependencies"));
        File.WriteAllText(Path.Combine(User, "nuget.config"), NuGetConfig(Artifacts, dependencies));
        OfflineEnvironment = new Dictionary<string, string>
        {
            // A packages folder of its own: a Convolve of the same version restored earlier (by a
            // user, or a previous run of these tests) must not stand in for the one just packed.
            ["NUGET_PACKAGES"] = Path.Combine(Work, "nuget-packages"),
            ["http_proxy"] = Dotnet.NoNetworkProxy,
            ["https_proxy"] = Dotnet.NoNetworkProxy,
            ["HTTP_PROXY"] = Dotnet.NoNetworkProxy,
            ["HTTPS_PROXY"] = Dotnet.NoNetworkProxy,
            ["no_proxy"] = "",
            ["NO_PROXY"] = "",
        };
    }

    /// <summary>The repository: the folder holding Convolve.slnx.</summary>
    public string Root { get; }

    /// <summary>The packages' version, from Directory.Build.props (VersionPrefix).</summary>
    public string Version { get; }

    /// <summary>The commit the packages were built from, or null outside a git checkout.</summary>
    public string? Commit { get; }

    /// <summary>This run's temporary folder, deleted at the end.</summary>
    public string Work { get; }

    /// <summary>Where the pack command put the packages.</summary>
    public string Artifacts { get; }

    /// <summary>What the pack command printed.</summary>
    public ProcessResult PackResult { get; }

    /// <summary>The user's folder: empty but for its nuget.config.</summary>
    public string User { get; }

    /// <summary>
    /// For every command the user runs: a NuGet packages folder of this run's own, and a proxy
    /// that refuses every connection, so that any attempt to reach a feed on the web fails.
    /// </summary>
    public IReadOnlyDictionary<string, string> OfflineEnvironment { get; }

    /// <summary>The path of <paramref name="file"/> in the artifacts folder.</summary>
    public string Artifact(string file) => Path.Combine(Artifacts, file);

    public void Dispose()
    {
        try { Directory.Delete(Work, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    // Only the two local folders: the packed one and the cache's packages.
    private static string NuGetConfig(string artifacts, string dependencies) =>
        new XDocument(new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "artifacts"), new XAttribute("value", artifacts)),
                new XElement("add", new XAttribute("key", "dependencies"), new XAttribute("value", dependencies))))).ToString();

    /// <summary>
    /// A local feed of every package in the NuGet cache (the dependencies the solution's build
    /// restored) except Convolve's own, so that the only Convolve packages anywhere are the
    /// packed ones: links to the cache's package folders, whose layout is a local feed's.
    /// </summary>
    private static string DependencyFeed(string cache, string feed)
    {
        Directory.CreateDirectory(feed);
        foreach (var package in Directory.GetDirectories(cache))
        {
            string id = Path.GetFileName(package);
            if (id.Equals("convolve", StringComparison.OrdinalIgnoreCase) || id.StartsWith("convolve.", StringComparison.OrdinalIgnoreCase)) continue;
            Directory.CreateSymbolicLink(Path.Combine(feed, id), package);
        }
        return feed;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Convolve.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Convolve.slnx above {AppContext.BaseDirectory}.");
    }

    private static string ReadVersion(string props) =>
        XDocument.Load(props).Descendants("VersionPrefix").SingleOrDefault()?.Value.Trim()
        ?? throw new InvalidOperationException($"{props} sets no VersionPrefix.");

    private static string? GitCommit(string root)
    {
        if (!Directory.Exists(Path.Combine(root, ".git")) && !File.Exists(Path.Combine(root, ".git"))) return null;
        try
        {
            var result = Dotnet.Run(root, TimeSpan.FromMinutes(1), "git", ["rev-parse", "HEAD"]);
            return result.ExitCode == 0 ? result.Output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine: the build could not read the commit either
        }
    }
}

/// <summary>The tests that share one pack of the solution; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<PackedSolution>
{
    public const string Name = "Packaging";
}
