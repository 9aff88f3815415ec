using System.CommandLine;
using Convolve.Cli.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Convolve.Cli.Serve;

/// <summary>
/// <c>convolve serve [MODEL ...] [--port N] [--host ADDRESS]</c>: a local web app to draw digits
/// and watch a model's feature maps respond, work through the article's steps with live numbers,
/// and train a model while its filters update. It listens on this machine only unless told otherwise.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(Terminal terminal)
    {
        var models = new Argument<string[]>("models")
        {
            Description = "Models to offer on the Draw page (.cvm from 'convolve train', or .onnx); the Train page adds the ones it trains.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var port = OptionFactory.Int("--port", $"The port to listen on (0 picks a free one; the address is printed).", ServeSettings.DefaultPort, min: 0);
        var host = new Option<string>("--host")
        {
            Description = "The address to listen on. The default, 127.0.0.1, keeps the pages to this machine; 0.0.0.0 opens them to the network.",
            DefaultValueFactory = _ => ServeSettings.Loopback,
        };
        var command = new Command("serve", "Open the interactive pages in a browser: draw a digit and see every layer respond, the article's steps live, and training as it runs.")
        {
            models, port, host,
        };
        command.SetAction((result, cancel) => RunAsync(terminal, new ServeSettings(result.GetValue(models) ?? [], result.GetValue(host)!, result.GetValue(port)), cancel));
        return command;
    }

    internal static async Task<int> RunAsync(Terminal terminal, ServeSettings settings, CancellationToken cancel)
    {
        if (settings.Port > 65535) throw new ArgumentException($"--port {settings.Port}: a port is at most 65535.");
        var models = ServedModels.Load(settings.ModelPaths);
        await using var app = ServeApp.Build(settings, models);
        using var stop = new StopSignals(cancel);
        try
        {
            await app.StartAsync(stop.Token);
        }
        catch (IOException e)
        {
            throw new ArgumentException($"Cannot listen on {settings.Host}:{settings.Port}: {e.Message} (choose another with --port, or --port 0 for any free one).");
        }
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        if (!settings.IsLoopback)
            terminal.Text($"warning: listening on {settings.Host}, so anyone who can reach this machine can use the pages and start training runs.");
        terminal.Text(models.Names.Count == 0
            ? "No model given: train one on the Train page, or pass model files (convolve serve model.cvm)."
            : $"Models: {string.Join(", ", models.Names)}");
        terminal.Text($"Serving on {address} (Ctrl+C stops)");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await app.StopAsync(CancellationToken.None);
        terminal.Text("Stopped.");
        return stop.Received is null ? ConvolveApp.Success : stop.ExitCode;
    }
}
