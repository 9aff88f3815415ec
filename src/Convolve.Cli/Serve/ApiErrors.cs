using System.Text.Json;
using Convolve.Tensors;
using Microsoft.AspNetCore.Http;

namespace Convolve.Cli.Serve;

/// <summary>
/// Every failed request gets a status code and a one-line reason as JSON (<c>{"error": "..."}</c>),
/// never a stack trace, and the server goes on. A request the user can fix (bad JSON, a size out of
/// range, an unknown model) is a 4xx; anything else is a 500 whose line says it is the server's fault.
/// </summary>
internal static class ApiErrors
{
    /// <summary>The middleware: runs the rest of the pipeline and turns its exceptions into answers.</summary>
    public static async Task Handle(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, message) = Classify(e);
            await Write(context, status, message);
        }
    }

    /// <summary>The status code and the line for <paramref name="e"/>.</summary>
    public static (int Status, string Message) Classify(Exception e) => e switch
    {
        BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            (bad.StatusCode, $"The request is larger than the server accepts ({ServeSettings.MaxRequestBytes / 1024} KiB)."),
        BadHttpRequestException { InnerException: JsonException json } => (StatusCodes.Status400BadRequest, JsonMessage(json)),
        BadHttpRequestException bad => (bad.StatusCode, OneLine(bad.Message)),
        JsonException json => (StatusCodes.Status400BadRequest, JsonMessage(json)),
        ApiException api => (api.Status, OneLine(api.Message)),
        ArgumentException or FormatException or InvalidDataException or ShapeException =>
            (StatusCodes.Status400BadRequest, OneLine(Failures.Message(e))),
        _ => (StatusCodes.Status500InternalServerError, "internal error: " + OneLine(e.Message)),
    };

    /// <summary>Writes the answer for a failed request.</summary>
    public static Task Write(HttpContext context, int status, string message)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorBody(message));
    }

    /// <summary>A bad request (400) to refuse with <paramref name="message"/> (caught by <see cref="Handle"/>).</summary>
    public static ApiException Bad(string message) => new(StatusCodes.Status400BadRequest, message);

    /// <summary>A request that clashes with the server's state (409), such as a second training run.</summary>
    public static ApiException Conflict(string message) => new(StatusCodes.Status409Conflict, message);

    private static string JsonMessage(JsonException json) =>
        "The request is not valid JSON for this endpoint" + (json.Path is { Length: > 0 } path ? $" (at {path})" : "") + ".";

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}

/// <summary>A request refused with a status code of the thrower's choosing.</summary>
internal sealed class ApiException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status code to answer with.</summary>
    public int Status { get; } = status;
}

/// <summary>The body of a failed request.</summary>
/// <param name="Error">One line saying what was wrong.</param>
internal sealed record ErrorBody(string Error);
