using Microsoft.AspNetCore.Builder;

namespace Convolve.Cli.Serve;

/// <summary>The JSON endpoints of the Article page (<c>/api/article/...</c>).</summary>
internal static class ArticleApi
{
    /// <summary>Maps this page's endpoints.</summary>
    public static void Map(WebApplication app)
    {
    }
}
