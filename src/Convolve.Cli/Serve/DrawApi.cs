using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Convolve.Cli.Serve;

/// <summary>
/// The JSON endpoints of the Draw page (<c>/api/draw/...</c>). Both take the drawing (a gray grid,
/// see <see cref="DrawRequest"/>), frame it as MNIST digits were framed and run the model on it;
/// they keep nothing between requests, so the page may send any drawing to any model at any time.
/// <list type="bullet">
/// <item><c>POST /api/draw/predict {model, width, height, pixels}</c>: the framed input, the class
/// probabilities and every layer's feature maps (<see cref="DrawPrediction"/>).</item>
/// <item><c>POST /api/draw/explain {model, width, height, pixels, layer, channel, y, x}</c>: that
/// value's receptive field and, for the first convolution, its arithmetic (<see cref="DrawExplanation"/>).</item>
/// </list>
/// </summary>
internal static class DrawApi
{
    /// <summary>Maps this page's endpoints.</summary>
    public static void Map(WebApplication app)
    {
        app.MapPost("/api/draw/predict", async (HttpContext context, ServedModels models) =>
        {
            var request = await DrawRequest.ReadAsync(context);
            return Results.Json(DrawAnalysis.Predict(models.Get(request.Model), request));
        });
        app.MapPost("/api/draw/explain", async (HttpContext context, ServedModels models) =>
        {
            var request = await DrawRequest.ReadAsync(context);
            return Results.Json(DrawAnalysis.Explain(models.Get(request.Model), request));
        });
    }
}
