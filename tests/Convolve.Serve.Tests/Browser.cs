using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Convolve.Serve.Tests;

/// <summary>
/// Where the tests find a browser: Debian's Chromium (<c>apt-get install chromium</c>), since
/// Playwright's own browser download is not possible offline. <c>CONVOLVE_CHROMIUM</c> names another.
/// </summary>
public static class Chromium
{
    /// <summary>The browser's executable.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("CONVOLVE_CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public static string? Missing => File.Exists(ExecutablePath) ? null
        : $"{ExecutablePath} is missing: install Debian's Chromium (sudo apt-get install chromium) or set CONVOLVE_CHROMIUM to a Chromium executable.";

    /// <summary>Whether this run is continuous integration (CI=true or 1), where a missing browser is a failure, not a skip.</summary>
    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");
}

/// <summary>A test that needs Chromium: skipped with the reason when it is missing, failed with it under CI.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!Chromium.IsCi && Chromium.Missing is { } why) Skip = why;
    }
}

/// <summary>The tests that share one running <c>convolve serve</c> and one browser.</summary>
[CollectionDefinition(Name)]
public sealed class ServedPagesCollection : ICollectionFixture<ServedPages>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "served pages";
}

/// <summary>
/// <c>convolve serve</c> started as a user would (the CLI as its own process, on a free loopback
/// port, with <see cref="TrainedModel"/>), and a headless Chromium driven by Playwright.
/// </summary>
public sealed partial class ServedPages : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private Process? server;
    private readonly List<string> serverOutput = [];
    private IPlaywright? playwright;

    /// <summary>The address the server printed, such as http://127.0.0.1:40111.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the tests leave their screenshots (CONVOLVE_SCREENSHOTS, else screenshots/ beside the test assembly).</summary>
    public static string ScreenshotFolder =>
        Environment.GetEnvironmentVariable("CONVOLVE_SCREENSHOTS") is { Length: > 0 } folder ? folder : Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string ServerOutput
    {
        get { lock (serverOutput) return string.Join("\n", serverOutput); }
    }

    public async Task InitializeAsync()
    {
        if (Chromium.Missing is not null) return; // each BrowserFact fails or skips with the reason
        string cli = Path.Combine(AppContext.BaseDirectory, "Convolve.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { cli, "serve", TrainedModel.Path, "--port", "0" }) start.ArgumentList.Add(arg);
        server = Process.Start(start)!;
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Read(string? line)
        {
            if (line is null) return;
            lock (serverOutput) serverOutput.Add(line);
            if (ServingLine().Match(line) is { Success: true } match) address.TrySetResult(match.Groups[1].Value);
        }
        server.OutputDataReceived += (_, e) => Read(e.Data);
        server.ErrorDataReceived += (_, e) => Read(e.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var exited = server.WaitForExitAsync();
        var first = await Task.WhenAny(address.Task, exited, Task.Delay(StartTimeout));
        if (first != address.Task)
            throw new InvalidOperationException($"convolve serve did not print its address ({(first == exited ? "it exited" : "timed out")}):\n{ServerOutput}");
        BaseUrl = address.Task.Result;

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium.ExecutablePath, Headless = true });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    /// <summary>
    /// A fresh page at <paramref name="path"/>, which records console errors, page errors and every
    /// request that leaves the server (there must be none: the pages work offline).
    /// </summary>
    public async Task<PageProbe> OpenAsync(string path, int width = 1280, int height = 900)
    {
        if (Chromium.Missing is { } why) Assert.Fail(why);
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        var probe = new PageProbe(context, page, BaseUrl);
        await page.GotoAsync(BaseUrl + path);
        return probe;
    }

    /// <summary>
    /// A fresh page showing the file at <paramref name="path"/> from disk (file://), which records
    /// errors and every request for anything but that file.
    /// </summary>
    public async Task<PageProbe> OpenFileAsync(string path, int width = 1280, int height = 900)
    {
        if (Chromium.Missing is { } why) Assert.Fail(why);
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        string url = new Uri(Path.GetFullPath(path)).AbsoluteUri;
        var probe = new PageProbe(context, page, url);
        await page.GotoAsync(url);
        return probe;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        playwright?.Dispose();
        if (server is { HasExited: false })
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
        server?.Dispose();
    }

    [GeneratedRegex(@"Serving on (http://\S+)")]
    private static partial Regex ServingLine();
}

/// <summary>A page and what it did: console errors, uncaught errors, requests to anywhere but the server (or the file shown).</summary>
public sealed class PageProbe : IAsyncDisposable
{
    private readonly IBrowserContext context;
    private readonly List<string> errors = [];
    private readonly List<string> foreignRequests = [];

    /// <summary>Watches <paramref name="page"/>; requests for addresses that do not start with <paramref name="allowed"/> count as foreign.</summary>
    internal PageProbe(IBrowserContext context, IPage page, string allowed)
    {
        this.context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (errors) errors.Add("console: " + message.Text);
        };
        page.PageError += (_, error) => { lock (errors) errors.Add("page error: " + error); };
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(allowed, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal)
                && !request.Url.StartsWith("blob:", StringComparison.Ordinal))
                lock (foreignRequests) foreignRequests.Add(request.Url);
        };
    }

    /// <summary>The page.</summary>
    public IPage Page { get; }

    /// <summary>Console and page errors so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get { lock (errors) return [.. errors]; }
    }

    /// <summary>Requests to anywhere but the server so far.</summary>
    public IReadOnlyList<string> ForeignRequests
    {
        get { lock (foreignRequests) return [.. foreignRequests]; }
    }

    /// <summary>Fails unless the page has had no errors and made no request beyond the server.</summary>
    public void AssertClean()
    {
        Assert.Empty(Errors);
        Assert.Empty(ForeignRequests);
    }

    /// <summary>Saves a full-page screenshot as NAME.png in the screenshot folder and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        string path = Path.Combine(ServedPages.ScreenshotFolder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}
