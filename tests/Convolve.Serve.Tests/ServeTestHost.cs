using System.Net.Http.Json;
using System.Text.Json;
using Convolve.Cli.Serve;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Convolve.Serve.Tests;

/// <summary>
/// The serve app on an in-memory server (the mechanism under ASP.NET Core's WebApplicationFactory,
/// used directly because <c>serve</c> is one command of a larger program): real routing, middleware
/// and JSON, no sockets.
/// </summary>
public sealed class ServeTestHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private ServeTestHost(WebApplication app, HttpClient client)
    {
        this.app = app;
        Client = client;
    }

    /// <summary>The app's endpoints (its route table).</summary>
    public IEnumerable<Microsoft.AspNetCore.Http.Endpoint> Endpoints =>
        app.Services.GetServices<Microsoft.AspNetCore.Routing.EndpointDataSource>().SelectMany(source => source.Endpoints);

    /// <summary>The client of the in-memory server.</summary>
    public HttpClient Client { get; }

    /// <summary>Starts the app with the given model files (paths on disk).</summary>
    public static async Task<ServeTestHost> StartAsync(params string[] modelPaths)
    {
        var settings = new ServeSettings(modelPaths, Port: 0);
        var app = ServeApp.Build(settings, ServedModels.Load(modelPaths), builder => builder.WebHost.UseTestServer());
        await app.StartAsync();
        return new ServeTestHost(app, app.GetTestClient());
    }

    /// <summary>POSTs <paramref name="body"/> as JSON (or raw text when it is a string) and returns the response.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, object body) => body is string text
        ? Client.PostAsync(path, new StringContent(text, System.Text.Encoding.UTF8, "application/json"))
        : Client.PostAsJsonAsync(path, body);

    /// <summary>The one-line reason of a failed response.</summary>
    public static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
