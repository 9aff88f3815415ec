using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Convolve.Cli.Serve;

/// <summary>
/// The web app behind <c>convolve serve</c>: the pages (embedded static files), their JSON API, and
/// the rules every request follows. Each page's endpoints live in a file of their own
/// (<see cref="DrawApi"/>, <see cref="ArticleApi"/>, <see cref="TrainApi"/>); this class only wires
/// them up. Tests build the same app on an in-memory server (see <see cref="Build"/>).
/// </summary>
internal static class ServeApp
{
    /// <summary>
    /// The app for <paramref name="settings"/> serving <paramref name="models"/>, not yet started.
    /// <paramref name="configure"/> runs last on the builder (tests swap in the test server there).
    /// </summary>
    public static WebApplication Build(ServeSettings settings, ServedModels models, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = typeof(ServeApp).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ServeSettings.MaxRequestBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Listen(ListenAddress(settings.Host), settings.Port);
        });
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });
        // A body the framework cannot bind (not JSON, a wrong type) throws, so ApiErrors answers it with its reason rather than an empty 400.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(models);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.Use(ApiErrors.Handle);
        StaticPages.Map(app);
        app.MapGet("/api/models", () => models.Names.Select(name => Describe(models.Get(name))));
        DrawApi.Map(app);
        ArticleApi.Map(app);
        TrainApi.Map(app);
        app.MapFallback("{*path}", context => ApiErrors.Write(context, StatusCodes.Status404NotFound, $"Nothing at {context.Request.Method} {context.Request.Path}."));
        return app;
    }

    /// <summary>What the pages show about a model before using it.</summary>
    public static object Describe(ServedModel served) => served.Use(model => new
    {
        name = served.Name,
        origin = served.Origin,
        inputShape = model.InputShape.Dims.ToArray(),
        classes = Enumerable.Range(0, model.GetOutputShape(model.InputShape.Prepend(1)).Size).Select(served.ClassName).ToArray(),
        parameters = model.Parameters.Sum(p => (long)p.Value.Shape.Size),
        layers = model.Layers.Select(layer => layer.ToString()).ToArray(),
    });

    private static IPAddress ListenAddress(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        _ when IPAddress.TryParse(host, out var address) => address,
        _ => throw new ArgumentException($"--host {host}: not an IP address (use 127.0.0.1, ::1, or 0.0.0.0 for every interface)."),
    };
}
