using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Convolve.Cli.Commands;
using Convolve.Data;
using Convolve.Models;
using Convolve.Serialization;
using Convolve.Training;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Convolve.Cli.Serve;

/// <summary>
/// The Train page's runs, one at a time: starts, stops and resumes them, keeps the latest run's
/// state, and sends every change to the pages watching (Server-Sent Events frames, one channel per
/// page). A page that subscribes late gets the whole state first, taken under the same lock as the
/// events, so it misses nothing and sees nothing twice. Runs live in one folder
/// (<see cref="ServeSettings.Runs"/>) as run-N.ckpt.cvm (a stopped run's checkpoint, which
/// <c>convolve train --resume</c> also reads) and run-N.cvm (a finished run's model); the browser
/// names runs by their id only. When the server stops, a run in progress is stopped with a checkpoint.
/// </summary>
internal sealed partial class TrainRunner : IDisposable
{
    /// <summary>The most pages watching at once; each holds a connection and a queue.</summary>
    public const int MaxSubscribers = 16;

    /// <summary>How long the server waits, when it stops, for a run to finish its batch and write its checkpoint.</summary>
    private static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(60);

    private readonly ServedModels models;
    private readonly string folder;
    private readonly JsonSerializerOptions json;
    private readonly int threads;
    private readonly Lock gate = new();
    private readonly List<Channel<string>> subscribers = [];
    private readonly ConcurrentDictionary<string, (DateTime Written, long Length, ResumableRun? Run)> checkpoints = new();
    private TrainJob? job;
    private bool busy, closing;
    private int lastNumber;

    /// <summary>The runner of the app's <paramref name="settings"/>, which stops its run when <paramref name="lifetime"/> ends.</summary>
    public TrainRunner(ServeSettings settings, ServedModels models, IOptions<JsonOptions> json, IHostApplicationLifetime lifetime)
    {
        this.models = models;
        this.json = json.Value.SerializerOptions;
        folder = Path.GetFullPath(settings.Runs);
        // Leave a core for the pages' own requests (the Draw page predicts while a model trains).
        threads = Math.Max(1, Environment.ProcessorCount - 1);
        lifetime.ApplicationStopping.Register(StopForShutdown);
    }

    /// <summary>The folder of checkpoints and trained models.</summary>
    public string Folder => folder;

    /// <summary>What the server says when it stopped a run on its way out, or null.</summary>
    public string? ShutdownNote { get; private set; }

    /// <summary>The state the page shows.</summary>
    public TrainState State()
    {
        var resumable = Resumable();
        lock (gate) return StateLocked(resumable);
    }

    /// <summary>Starts a run for <paramref name="request"/> (checked first); a run already going is a 409.</summary>
    public TrainState Start(TrainRequest request)
    {
        var settings = TrainChoices.Check(request);
        int number = Reserve();
        try
        {
            var data = TrainData.Load(settings);
            var architecture = Architectures.Get(settings.Model!);
            var net = architecture.Build(settings.Seed, data.Train.ImageShape[0], data.Train.ClassCount);
            var augmentation = settings.Shift > 0 || settings.Flip ? new Augmentation { MaxShift = settings.Shift, HorizontalFlip = settings.Flip } : null;
            var session = new TrainingSession(net, new TrainingOptions(settings.Epochs, settings.Batch, settings.Seed,
                new OptimizerSettings(settings.Optimizer, settings.LearningRate!.Value, settings.Momentum, WeightDecay: settings.WeightDecay),
                augmentation, settings.Schedule));
            return Launch(number, settings, architecture.Name, session, data, points: null);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>Continues the stopped run <paramref name="id"/> from its checkpoint, with its settings.</summary>
    public TrainState Resume(string? id)
    {
        if (id is null) throw ApiErrors.Bad("run: missing; name a stopped run by its id (such as run-1).");
        var match = RunId().Match(id);
        if (!match.Success) throw ApiErrors.Bad($"run: '{Shorten(id)}' is not a run id (the ids look like run-1).");
        int number = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        string path = Path.Combine(folder, TrainJob.CheckpointName(number));
        Reserve(numbered: false);
        try
        {
            if (!File.Exists(path))
            {
                var known = Resumable();
                throw ApiErrors.Bad($"run: there is no stopped run called {id}; " +
                    (known.Count == 0 ? "no run can be resumed." : $"the runs that can be resumed are {string.Join(", ", known.Select(r => r.Run))}."));
            }
            TrainingSession session;
            IReadOnlyDictionary<string, string> saved;
            TrainCommand.Settings settings;
            try
            {
                (session, saved) = TrainingSession.Resume(path);
                settings = TrainRun.Apply(new TrainCommand.Settings { Resume = path }, session.Options, saved) with
                {
                    Model = saved.GetValueOrDefault("architecture", "?"),
                };
            }
            catch (Exception e) when (e is IOException or ArgumentException)
            {
                throw ApiErrors.Bad($"run: the checkpoint of {id} cannot be resumed: {Failures.Message(e).ReplaceLineEndings(" ")}");
            }
            string architecture = settings.Model!;
            if (!Datasets.Names.Contains(settings.Data) || Architectures.Find(architecture) is null)
                throw ApiErrors.Bad($"run: {id} trains '{architecture}' on '{settings.Data}', which this page cannot load; " +
                    $"continue it with convolve train --resume {TrainRun.Quote(path)}.");
            var data = TrainData.Load(settings);
            if (session.Model.InputShape != data.Train.ImageShape)
                throw ApiErrors.Bad($"run: {id}'s model takes {session.Model.InputShape.ToImageString()} images, but {settings.Data} has " +
                    $"{data.Train.ImageShape.ToImageString()}.");
            List<TrainPoint>? points;
            lock (gate) points = job?.Number == number ? job.Points : null; // the same run stopped in this server: its curve goes on
            return Launch(number, settings, architecture, session, data, points);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>Stops the run in progress after its current batch and returns the state once the checkpoint is written.</summary>
    public async Task<TrainState> StopAsync()
    {
        TrainJob current;
        var resumable = Resumable();
        lock (gate)
        {
            if (job is not { Status: "running" or "stopping" } running) throw ApiErrors.Conflict("No run is training, so there is nothing to stop.");
            current = running;
            if (current.Status == "running")
            {
                current.Status = "stopping";
                current.Message = "Stopping after the current batch…";
                Broadcast("state", StateLocked(resumable));
            }
        }
        current.Stop.Cancel();
        await current.Task;
        return State();
    }

    /// <summary>
    /// Joins the pages watching: the whole state as the first frame, then every event as it
    /// happens, until the third item is disposed (or the server stops).
    /// </summary>
    public (string First, ChannelReader<string> Events, IDisposable Leave) Subscribe()
    {
        var resumable = Resumable();
        lock (gate)
        {
            if (closing) throw new ApiException(StatusCodes.Status503ServiceUnavailable, "The server is stopping.");
            if (subscribers.Count >= MaxSubscribers)
                throw new ApiException(StatusCodes.Status429TooManyRequests, $"{MaxSubscribers} pages are already watching training; close one and reload.");
            var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
            subscribers.Add(channel);
            return (Frame("state", StateLocked(resumable)), channel.Reader, new Leaving(this, channel));
        }
    }

    /// <summary>Applies <paramref name="update"/> to the state and sends <paramref name="payload"/> as event <paramref name="name"/>, atomically.</summary>
    public void Publish(string name, object payload, Action update)
    {
        lock (gate)
        {
            update();
            Broadcast(name, payload);
        }
    }

    /// <summary>Called by the run's thread when it ends: the new status and message, then the whole state to every page.</summary>
    public void Ended(TrainJob ended, string status, string message, Action? update = null)
    {
        var resumable = Resumable(excluding: null);
        lock (gate)
        {
            update?.Invoke();
            ended.Status = status;
            ended.Message = message;
            Broadcast("state", StateLocked(resumable));
        }
    }

    public void Dispose()
    {
        StopForShutdown();
        lock (gate) job?.Stop.Dispose();
    }

    private TrainState Launch(int number, TrainCommand.Settings settings, string architecture, TrainingSession session, TrainData data,
        List<TrainPoint>? points)
    {
        session.Model.Preparation ??= InputPreparation.FromTrainingData(data.Train); // saved with the model, as convolve train does
        session.Model.SetMaxThreads(threads);
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ApiException(StatusCodes.Status500InternalServerError,
                $"The runs folder {folder} cannot be created: {e.Message} (convolve serve --runs DIR chooses another).");
        }
        var started = new TrainJob(this, models, number, settings, architecture, session, data, folder, points)
        {
            Message = session.CompletedEpochs > 0 || session.IsMidEpoch
                ? $"Resumed: {session.CompletedEpochs} of {session.Options.Epochs} epochs were done" + (session.IsMidEpoch ? ", the next part-way." : ".")
                : "Training…",
        };
        var resumable = Resumable(excluding: started.Id);
        lock (gate)
        {
            if (closing) throw ApiErrors.Conflict("The server is stopping; no run can start.");
            var previous = job;
            job = started;
            busy = false;
            previous?.Stop.Dispose();
            started.Task = Task.Factory.StartNew(started.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var state = StateLocked(resumable);
            Broadcast("state", state);
            return state;
        }
    }

    // Claims the right to start a run (released by Launch or Release) and, for a new run, the next free number.
    private int Reserve(bool numbered = true)
    {
        lock (gate)
        {
            if (closing) throw ApiErrors.Conflict("The server is stopping; no run can start.");
            if (busy || job is { Status: "running" or "stopping" })
            {
                string which = job is { Status: "running" or "stopping" } ? $" ({job.Id})" : "";
                throw ApiErrors.Conflict($"A run is already training{which}: one at a time, so stop it first.");
            }
            busy = true;
            if (!numbered) return 0;
            int highest = lastNumber;
            if (Directory.Exists(folder))
                foreach (string file in Directory.EnumerateFiles(folder, "run-*.cvm"))
                {
                    var match = RunFile().Match(Path.GetFileName(file));
                    if (match.Success && int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out int n)) highest = Math.Max(highest, n);
                }
            return lastNumber = highest + 1;
        }
    }

    private void Release()
    {
        lock (gate) busy = false;
    }

    private TrainState StateLocked(IReadOnlyList<ResumableRun> resumable)
    {
        if (job is not { } j)
            return new TrainState("idle", null, null, 0, 0, 0, 0, [], [], null, null, null, null, null, null,
                "No run yet: choose the settings and start one.", [], resumable);
        var (train, validation, test) = j.Counts;
        return new TrainState(j.Status, j.Id, j.View(), j.Epochs.Count, train, validation, test, [.. j.Points], [.. j.Epochs],
            j.Filters, j.ModelName, j.Test?.Accuracy, j.Test?.Loss, j.Status == "stopped" ? j.CheckpointPath : null,
            j.Status == "finished" ? j.ModelPath : null, j.Message, [.. j.Warnings], resumable);
    }

    // Under the lock.
    private void Broadcast(string name, object payload)
    {
        if (subscribers.Count == 0) return;
        string frame = Frame(name, payload);
        foreach (var channel in subscribers) channel.Writer.TryWrite(frame);
    }

    private string Frame(string name, object payload) => $"event: {name}\ndata: {JsonSerializer.Serialize(payload, payload.GetType(), json)}\n\n";

    /// <summary>The stopped runs in the folder, but not the one training (whose checkpoint is being written).</summary>
    private List<ResumableRun> Resumable()
    {
        string? running;
        lock (gate) running = job is { Status: "running" or "stopping" } j ? j.Id : null;
        return Resumable(running);
    }

    /// <summary>The stopped runs in the folder but <paramref name="excluding"/>.</summary>
    private List<ResumableRun> Resumable(string? excluding)
    {
        string? running = excluding;
        var runs = new List<ResumableRun>();
        if (!Directory.Exists(folder)) return runs;
        foreach (string path in Directory.EnumerateFiles(folder, "run-*.ckpt.cvm"))
        {
            var match = RunFile().Match(Path.GetFileName(path));
            if (!match.Success || match.Groups[2].Length == 0 || $"run-{match.Groups[1].Value}" == running) continue;
            if (Describe(path, $"run-{match.Groups[1].Value}") is { } run) runs.Add(run);
        }
        runs.Sort((a, b) => int.Parse(a.Run[4..], CultureInfo.InvariantCulture).CompareTo(int.Parse(b.Run[4..], CultureInfo.InvariantCulture)));
        return runs;
    }

    // What a checkpoint holds, read once per version of the file; one that does not read is left out.
    private ResumableRun? Describe(string path, string id)
    {
        try
        {
            var file = new FileInfo(path);
            if (checkpoints.TryGetValue(path, out var known) && known.Written == file.LastWriteTimeUtc && known.Length == file.Length) return known.Run;
            var meta = ModelFile.Read(path).Extras.Metadata;
            using var options = JsonDocument.Parse(meta.GetValueOrDefault("options", "{}"));
            var run = new ResumableRun(id, meta.GetValueOrDefault("architecture", "?"), meta.GetValueOrDefault("data", "?"),
                int.Parse(meta.GetValueOrDefault("completed_epochs", "0"), CultureInfo.InvariantCulture),
                options.RootElement.TryGetProperty("epochs", out var epochs) ? epochs.GetInt32() : 0);
            checkpoints[path] = (file.LastWriteTimeUtc, file.Length, run);
            return run;
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or ArgumentException or InvalidOperationException
            or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The server is stopping (Ctrl+C): stop the run with a checkpoint, as convolve train does, and end every page's stream.
    private void StopForShutdown()
    {
        TrainJob? current;
        lock (gate)
        {
            if (closing) return;
            closing = true;
            current = job is { Status: "running" or "stopping" } ? job : null;
        }
        if (current is not null)
        {
            current.Stop.Cancel();
            if (!current.Task.Wait(ShutdownWait))
                ShutdownNote = $"{current.Id} did not stop within {ShutdownWait.TotalSeconds:F0} s; its last checkpoint is {current.CheckpointPath}.";
            else if (current.Status == "stopped")
                ShutdownNote = $"Stopped {current.Id} during epoch {current.Epochs.Count + 1}. Checkpoint saved: {current.CheckpointPath} " +
                    $"(resume it on the Train page, or with convolve train --resume {TrainRun.Quote(current.CheckpointPath)}).";
            else ShutdownNote = $"{current.Id}: {current.Message}";
        }
        lock (gate)
        {
            foreach (var channel in subscribers) channel.Writer.TryComplete();
            subscribers.Clear();
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    [GeneratedRegex(@"^run-([1-9][0-9]{0,8})$")]
    private static partial Regex RunId();

    [GeneratedRegex(@"^run-([1-9][0-9]{0,8})(\.ckpt)?\.cvm$")]
    private static partial Regex RunFile();

    private sealed class Leaving(TrainRunner runner, Channel<string> channel) : IDisposable
    {
        public void Dispose()
        {
            lock (runner.gate) runner.subscribers.Remove(channel);
            channel.Writer.TryComplete();
        }
    }
}
