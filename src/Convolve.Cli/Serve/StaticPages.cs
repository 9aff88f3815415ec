using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Convolve.Cli.Serve;

/// <summary>
/// The pages' files (HTML, CSS, JavaScript modules), embedded in the assembly from Serve/wwwroot:
/// no CDN, no build step, nothing read from disk, so the pages work offline and the server can
/// serve no file but its own. <c>/</c> is the index; <c>/draw</c>, <c>/article</c> and <c>/train</c>
/// are the pages; <c>/static/NAME</c> is any other file.
/// </summary>
internal static class StaticPages
{
    private const string Prefix = "wwwroot/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
    };

    /// <summary>The pages and their address.</summary>
    public static readonly IReadOnlyList<(string Path, string File)> Pages =
        [("/", "index.html"), ("/draw", "draw.html"), ("/article", "article.html"), ("/train", "train.html")];

    /// <summary>The embedded files, by name (read once).</summary>
    private static readonly Lazy<Dictionary<string, byte[]>> Files = new(ReadAll);

    /// <summary>Maps the pages and <c>/static/{name}</c>.</summary>
    public static void Map(WebApplication app)
    {
        foreach (var (path, file) in Pages) app.MapGet(path, (HttpContext context) => Serve(context, file));
        app.MapGet("/static/{*name}", (HttpContext context, string name) => Serve(context, name));
    }

    /// <summary>The names of the embedded files.</summary>
    public static IEnumerable<string> Names => Files.Value.Keys;

    private static Task Serve(HttpContext context, string name)
    {
        if (!Files.Value.TryGetValue(name, out var bytes))
            return ApiErrors.Write(context, StatusCodes.Status404NotFound, $"No file called '{name}'.");
        context.Response.ContentType = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
        // The pages talk to this server only: no scripts, styles, fonts or images from anywhere else.
        context.Response.Headers.ContentSecurityPolicy =
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-cache";
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    private static Dictionary<string, byte[]> ReadAll()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[resource[Prefix.Length..].Replace('\\', '/')] = copy.ToArray();
        }
        return files;
    }
}
