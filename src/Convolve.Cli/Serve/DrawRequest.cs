using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Convolve.Cli.Serve;

/// <summary>
/// What the Draw page sends: the model's short name and the drawing as a gray grid (white ink on
/// black, values 0..1, row-major), and for an explanation the feature-map value clicked.
/// </summary>
/// <param name="Model">The model's short name (see <c>GET /api/models</c>).</param>
/// <param name="Width">Columns of the drawing's grid, 1 to <see cref="MaxSide"/>.</param>
/// <param name="Height">Rows of the drawing's grid, 1 to <see cref="MaxSide"/>.</param>
/// <param name="Pixels">Width x height values in 0..1, row by row.</param>
/// <param name="Layer">For an explanation: the index of the layer in the model (as <c>layers[i].index</c> of a prediction).</param>
/// <param name="Channel">For an explanation: the feature map (output channel) of that layer.</param>
/// <param name="Y">For an explanation: the row in that map.</param>
/// <param name="X">For an explanation: the column in that map.</param>
internal sealed record DrawRequest(string? Model, int Width, int Height, float[]? Pixels, int? Layer = null, int? Channel = null, int? Y = null, int? X = null)
{
    /// <summary>
    /// The largest side of the drawing's grid. The page sends 112x112; a larger grid must also fit the
    /// request size limit (<see cref="ServeSettings.MaxRequestBytes"/>), which only a mostly empty one does.
    /// </summary>
    public const int MaxSide = 512;

    /// <summary>
    /// The request in <paramref name="context"/>'s body, read with the app's JSON options. The body is
    /// read here rather than bound by the endpoint so that a bad one gets the one-line reason of
    /// <see cref="ApiErrors"/> (a bound body that fails gets an empty 400).
    /// </summary>
    public static async Task<DrawRequest> ReadAsync(HttpContext context)
    {
        if (!context.Request.HasJsonContentType())
            throw ApiErrors.Bad("Send the drawing as JSON (Content-Type: application/json).");
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var request = await JsonSerializer.DeserializeAsync<DrawRequest>(context.Request.Body, options, context.RequestAborted);
        return request ?? throw ApiErrors.Bad("The request is empty: send {model, width, height, pixels}.");
    }

    /// <summary>Checks the grid's size and values; throws a bad request naming the field and the allowed range.</summary>
    public void CheckDrawing()
    {
        if (Width is < 1 or > MaxSide) throw ApiErrors.Bad($"width is {Width}; it must be 1 to {MaxSide}.");
        if (Height is < 1 or > MaxSide) throw ApiErrors.Bad($"height is {Height}; it must be 1 to {MaxSide}.");
        if (Pixels is null) throw ApiErrors.Bad($"pixels is missing: send width x height = {Width * Height} values in 0..1.");
        if (Pixels.Length != Width * Height)
            throw ApiErrors.Bad($"pixels has {Pixels.Length} values; a {Width}x{Height} grid needs {Width * Height}.");
        for (int i = 0; i < Pixels.Length; i++)
        {
            float v = Pixels[i];
            if (!float.IsFinite(v) || v < 0 || v > 1)
                throw ApiErrors.Bad($"pixels[{i}] is {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}; every value must be a number in 0..1.");
        }
    }
}
