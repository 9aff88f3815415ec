using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Convolve.Cli.Serve;

/// <summary>
/// The JSON endpoints of the Train page (<c>/api/train/...</c>): the choices, start, stop, resume,
/// the state, and the live events (Server-Sent Events). The work is <see cref="TrainRunner"/>'s.
/// </summary>
internal static class TrainApi
{
    /// <summary>Maps this page's endpoints.</summary>
    public static void Map(WebApplication app)
    {
        var runner = app.Services.GetRequiredService<TrainRunner>();
        var json = app.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

        app.MapGet("/api/train/options", () => TrainChoices.Describe());
        app.MapGet("/api/train/state", () => runner.State());
        // Explicit return types: a lambda of HttpContext returning a plain Task would be taken as a RequestDelegate, its answer dropped.
        app.MapPost("/api/train/start", async Task<TrainState> (HttpContext context) =>
            runner.Start(await ReadAsync<TrainRequest>(context, json) ?? TrainChoices.Defaults));
        app.MapPost("/api/train/stop", () => runner.StopAsync());
        app.MapPost("/api/train/resume", async Task<TrainState> (HttpContext context) =>
            runner.Resume((await ReadAsync<ResumeRequest>(context, json) ?? throw ApiErrors.Bad("run: missing; send {\"run\": \"run-1\"}.")).Run));
        app.MapGet("/api/train/events", (HttpContext context) => StreamAsync(context, runner, stopping));
    }

    /// <summary>The body of <c>POST /api/train/resume</c>.</summary>
    /// <param name="Run">The id of a stopped run, as the server gave it.</param>
    [System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
    internal sealed record ResumeRequest(string? Run);

    // The body as T; an empty body is null (start then takes the defaults). Bad JSON is a JsonException: a 400 naming where.
    private static async Task<T?> ReadAsync<T>(HttpContext context, JsonSerializerOptions json) where T : class
    {
        using var reader = new StreamReader(context.Request.Body);
        string text = await reader.ReadToEndAsync(context.RequestAborted);
        if (string.IsNullOrWhiteSpace(text)) return null;
        return JsonSerializer.Deserialize<T>(text, json) ?? throw ApiErrors.Bad("The request body is null; send a JSON object.");
    }

    // The state as the first event, then every event until the page goes away or the server stops.
    private static async Task StreamAsync(HttpContext context, TrainRunner runner, CancellationToken stopping)
    {
        var (first, events, leave) = runner.Subscribe();
        using var _ = leave;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await response.WriteAsync("retry: 2000\n\n" + first, cancel.Token);
            await response.Body.FlushAsync(cancel.Token);
            while (await events.WaitToReadAsync(cancel.Token))
            {
                while (events.TryRead(out var frame)) await response.WriteAsync(frame, cancel.Token);
                await response.Body.FlushAsync(cancel.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The page went away or the server is stopping: nothing left to send to.
        }
    }
}
