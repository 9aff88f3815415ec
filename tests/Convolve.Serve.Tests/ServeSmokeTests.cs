using System.Net;
using System.Text.Json;

namespace Convolve.Serve.Tests;

/// <summary>The server's frame: pages, the model list, and how it answers what it does not serve.</summary>
public sealed class ServeApiFrameTests
{
    [Fact]
    public async Task ModelList_NamesTheModelFile_WithItsShapeAndClasses()
    {
        await using var host = await ServeTestHost.StartAsync(TrainedModel.Path);
        using var json = JsonDocument.Parse(await host.Client.GetStringAsync("/api/models"));
        var model = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("digits", model.GetProperty("name").GetString());
        Assert.Equal([1, 28, 28], model.GetProperty("inputShape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(10, model.GetProperty("classes").GetArrayLength());
    }

    [Theory]
    [InlineData("/", "Convolutional networks, computed")]
    [InlineData("/draw", "Draw a digit")]
    [InlineData("/article", "The article, live")]
    [InlineData("/train", "Train a model")]
    public async Task Pages_AreServedFromTheAssembly_WithAPolicyThatAllowsOnlyThisServer(string path, string heading)
    {
        await using var host = await ServeTestHost.StartAsync();
        using var response = await host.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(heading, await response.Content.ReadAsStringAsync());
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("/static/../Convolve.Cli.dll")]
    [InlineData("/static/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/static/nothing.js")]
    [InlineData("/etc/passwd")]
    public async Task UnknownAddresses_Get404WithAOneLineReason(string path)
    {
        await using var host = await ServeTestHost.StartAsync();
        using var response = await host.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        string reason = await ServeTestHost.ErrorOf(response);
        Assert.DoesNotContain('\n', reason);
        Assert.StartsWith(reason.StartsWith("No file", StringComparison.Ordinal) ? "No file called" : "Nothing at GET", reason);
    }
}

/// <summary>The pages in a real browser: they load, draw, and reach nothing but the server.</summary>
[Collection(ServedPagesCollection.Name)]
public sealed class ServePagesLoadTests(ServedPages served)
{
    [BrowserFact]
    public async Task IndexPage_ListsTheServedModel_WithNoErrorsAndNoOutsideRequests()
    {
        await using var probe = await served.OpenAsync("/");
        var item = probe.Page.Locator("#models li").First;
        await Microsoft.Playwright.Assertions.Expect(item).ToContainTextAsync("digits: file digits.cvm");
        await probe.ScreenshotAsync("index");
        probe.AssertClean();
    }
}
