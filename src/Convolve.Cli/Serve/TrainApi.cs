using Microsoft.AspNetCore.Builder;

namespace Convolve.Cli.Serve;

/// <summary>The JSON endpoints of the Train page (<c>/api/train/...</c>).</summary>
internal static class TrainApi
{
    /// <summary>Maps this page's endpoints.</summary>
    public static void Map(WebApplication app)
    {
    }
}
