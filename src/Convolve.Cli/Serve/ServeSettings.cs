namespace Convolve.Cli.Serve;

/// <summary>What <c>convolve serve</c> was asked for: the models to offer and where to listen.</summary>
/// <param name="ModelPaths">Model files named on the command line (.cvm or .onnx); the browser can name only these, by their short names.</param>
/// <param name="Host">The address to listen on: loopback unless the user says otherwise.</param>
/// <param name="Port">The port; 0 picks a free one (the address is printed).</param>
internal sealed record ServeSettings(IReadOnlyList<string> ModelPaths, string Host = ServeSettings.Loopback, int Port = ServeSettings.DefaultPort)
{
    /// <summary>The default address: this machine only.</summary>
    public const string Loopback = "127.0.0.1";

    /// <summary>The default port.</summary>
    public const int DefaultPort = 5117;

    /// <summary>The largest request body the server reads: a drawn image or an edited grid is a few kilobytes.</summary>
    public const long MaxRequestBytes = 256 * 1024;

    /// <summary>Whether <see cref="Host"/> keeps the server to this machine.</summary>
    public bool IsLoopback => Host is "127.0.0.1" or "::1" or "localhost";
}
