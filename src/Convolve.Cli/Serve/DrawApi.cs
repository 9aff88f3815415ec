using Microsoft.AspNetCore.Builder;

namespace Convolve.Cli.Serve;

/// <summary>The JSON endpoints of the Draw page (<c>/api/draw/...</c>).</summary>
internal static class DrawApi
{
    /// <summary>Maps this page's endpoints.</summary>
    public static void Map(WebApplication app)
    {
    }
}
