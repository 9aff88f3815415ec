using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Convolve.Serve.Tests;

/// <summary>
/// Every POST endpoint of every page, found from the app's own route table (so a new endpoint is
/// covered without a line here), answers malformed bodies with a 4xx and a one-line reason, and
/// the server keeps answering afterwards.
/// </summary>
public sealed class ServeBadRequestTests
{
    public static TheoryData<string, string, string> Garbage => new()
    {
        { "not JSON", "{\"model\": ", "application/json" },
        { "a JSON string", "\"hello\"", "application/json" },
        { "a JSON array", "[1, 2, 3]", "application/json" },
        { "plain text", "draw me a digit", "text/plain" },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task EveryPostEndpoint_RefusesMalformedBodies_WithAOneLineReason_AndTheServerGoesOn(string what, string body, string contentType)
    {
        await using var host = await ServeTestHost.StartAsync(TrainedModel.Path);
        var posts = host.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("POST") == true)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Where(path => !path.Contains('{')) // none take route values today; such a route would need a value here
            .ToList();
        Assert.NotEmpty(posts);
        foreach (string path in posts)
        {
            using var response = await host.Client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, contentType));
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{path} with {what}: {(int)response.StatusCode}");
            string reason = await ServeTestHost.ErrorOf(response);
            Assert.False(string.IsNullOrWhiteSpace(reason), $"{path} with {what}: no reason");
            Assert.DoesNotContain('\n', reason);
            Assert.DoesNotContain(" at Convolve.", reason); // no stack frames
        }
        using var after = await host.Client.GetAsync("/api/models");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
