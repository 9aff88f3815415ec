using System.Net;
using System.Text.Json;
using Convolve.Cli;
using Convolve.Cli.Serve;
using Convolve.Serialization;
using Convolve.Training;

namespace Convolve.Serve.Tests;

/// <summary>
/// The Train page's API on the in-memory server: a run's live events and final state, stop and
/// resume through a checkpoint, one run at a time, and a one-line 400 for every bad field.
/// </summary>
public sealed class TrainApiTests : IDisposable
{
    private readonly string runs = Directory.CreateTempSubdirectory("convolve-train-tests-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    private Task<ServeTestHost> StartHostAsync(string? folder = null, params string[] models) =>
        ServeTestHost.StartAsync(new ServeSettings(models, Port: 0, Runs: folder ?? runs));

    [Fact]
    public async Task ATinyRun_StreamsFiniteLossesAndFilters_AndEndsWithItsModelServed()
    {
        await using var host = await StartHostAsync();
        await using var events = await TrainEventStream.OpenAsync(host);
        var first = await events.NextAsync();
        Assert.Equal("state", first.Name);
        Assert.Equal("idle", first.Data.GetProperty("status").GetString());

        using var started = await host.PostAsync("/api/train/start", new { limit = 600, epochs = 1, batchSize = 32, seed = 1 });
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        using (var state = JsonDocument.Parse(await started.Content.ReadAsStringAsync()))
        {
            Assert.Equal("running", state.RootElement.GetProperty("status").GetString());
            Assert.Equal("run-1", state.RootElement.GetProperty("run").GetString());
        }

        var seen = await events.UntilAsync(e => e.Name == "state" && e.Data.GetProperty("status").GetString() is "finished" or "failed");
        var final = seen[^1].Data;
        Assert.Equal("finished", final.GetProperty("status").GetString());
        var points = seen.Where(e => e.Name == "batch").Select(e => e.Data).ToList();
        Assert.NotEmpty(points);
        Assert.All(points, p =>
        {
            Assert.True(float.IsFinite(p.GetProperty("loss").GetSingle()) && p.GetProperty("loss").GetSingle() > 0);
            Assert.InRange(p.GetProperty("accuracy").GetSingle(), 0, 1);
        });
        var progress = points.Select(p => p.GetProperty("progress").GetDouble()).ToList();
        Assert.Equal(progress.Order(), progress);
        Assert.Equal(1.0, progress[^1]); // an epoch's last batch always makes a point

        var epoch = Assert.Single(seen, e => e.Name == "epoch").Data.GetProperty("record");
        var filters = seen.Last(e => e.Name == "filters").Data;
        Assert.Equal(-1, filters.GetProperty("batch").GetInt32()); // the weights after the epoch come last
        var values = filters.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(32 * 1 * 3 * 3, values.Length); // the seed network's first layer: 32 filters of 3x3
        Assert.Equal(values.Max(Math.Abs), filters.GetProperty("limit").GetSingle());

        using var stateNow = JsonDocument.Parse(await host.Client.GetStringAsync("/api/train/state"));
        var s = stateNow.RootElement;
        var record = Assert.Single(s.GetProperty("epochs").EnumerateArray());
        Assert.Equal(epoch.GetProperty("trainAccuracy").GetSingle(), record.GetProperty("trainAccuracy").GetSingle());
        Assert.Equal(epoch.GetProperty("validationAccuracy").GetSingle(), record.GetProperty("validationAccuracy").GetSingle());
        Assert.Equal(600, s.GetProperty("trainImages").GetInt32() + s.GetProperty("validationImages").GetInt32());
        Assert.InRange(s.GetProperty("validationImages").GetInt32(), 50, 70); // 10% of each class, rounded
        Assert.Equal(points.Count, s.GetProperty("points").GetArrayLength());
        Assert.InRange(s.GetProperty("testAccuracy").GetSingle(), 0.2f, 1f);
        Assert.Equal("trained-1", s.GetProperty("model").GetString());
        Assert.True(File.Exists(Path.Combine(runs, "run-1.cvm")));
        Assert.False(File.Exists(Path.Combine(runs, "run-1.ckpt.cvm"))); // deleted once the model is saved

        using var models = JsonDocument.Parse(await host.Client.GetStringAsync("/api/models"));
        var model = Assert.Single(models.RootElement.EnumerateArray());
        Assert.Equal("trained-1", model.GetProperty("name").GetString());
        Assert.Equal("trained on the Train page (run-1)", model.GetProperty("origin").GetString());

        // A page that opens now gets the whole run first.
        await using var late = await TrainEventStream.OpenAsync(host);
        var caughtUp = await late.NextAsync();
        Assert.Equal("state", caughtUp.Name);
        Assert.Equal(points.Count, caughtUp.Data.GetProperty("points").GetArrayLength());
        Assert.Equal("trained-1", caughtUp.Data.GetProperty("model").GetString());
    }

    [Fact]
    public async Task StoppedMidRun_TheCheckpointResumes_ToTheSameModelAsAnUninterruptedRun()
    {
        var settings = new { limit = 2000, epochs = 2, batchSize = 16, seed = 3 };
        await using var host = await StartHostAsync();
        await using var events = await TrainEventStream.OpenAsync(host);
        (await host.PostAsync("/api/train/start", settings)).EnsureSuccessStatusCode();
        await events.UntilAsync(e => e.Name == "batch");

        using var stopped = await host.PostAsync("/api/train/stop", new { });
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        using (var state = JsonDocument.Parse(await stopped.Content.ReadAsStringAsync()))
        {
            var s = state.RootElement;
            Assert.Equal("stopped", s.GetProperty("status").GetString());
            string checkpoint = s.GetProperty("checkpoint").GetString()!;
            Assert.Equal(Path.Combine(runs, "run-1.ckpt.cvm"), checkpoint);
            var (session, _) = TrainingSession.Resume(checkpoint);
            Assert.False(session.IsFinished);
            var resumable = Assert.Single(s.GetProperty("resumable").EnumerateArray());
            Assert.Equal("run-1", resumable.GetProperty("run").GetString());
            Assert.Equal(2, resumable.GetProperty("epochs").GetInt32());
        }

        using var resumed = await host.PostAsync("/api/train/resume", new { run = "run-1" });
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        await events.UntilAsync(e => e.Name == "state" && e.Data.GetProperty("status").GetString() is "finished" or "failed");
        using var afterResume = JsonDocument.Parse(await host.Client.GetStringAsync("/api/train/state"));

        string straightRuns = Path.Combine(runs, "straight");
        await using var straightHost = await StartHostAsync(straightRuns);
        await using var straightEvents = await TrainEventStream.OpenAsync(straightHost);
        (await straightHost.PostAsync("/api/train/start", settings)).EnsureSuccessStatusCode();
        await straightEvents.UntilAsync(e => e.Name == "state" && e.Data.GetProperty("status").GetString() is "finished" or "failed");
        using var straight = JsonDocument.Parse(await straightHost.Client.GetStringAsync("/api/train/state"));

        Assert.Equal("finished", afterResume.RootElement.GetProperty("status").GetString());
        Assert.Equal("finished", straight.RootElement.GetProperty("status").GetString());
        Assert.Equal(Records(straight.RootElement), Records(afterResume.RootElement));
        Assert.Equal(straight.RootElement.GetProperty("testAccuracy").GetSingle(), afterResume.RootElement.GetProperty("testAccuracy").GetSingle());
        var resumedModel = ModelFile.Load(Path.Combine(runs, "run-1.cvm"));
        var straightModel = ModelFile.Load(Path.Combine(straightRuns, "run-1.cvm"));
        Assert.Equal(straightModel.ParameterValues.ToArray(), resumedModel.ParameterValues.ToArray());

        static List<(float, float, float, float)> Records(JsonElement state) =>
        [
            .. state.GetProperty("epochs").EnumerateArray().Select(r => (r.GetProperty("trainLoss").GetSingle(), r.GetProperty("trainAccuracy").GetSingle(),
                r.GetProperty("validationLoss").GetSingle(), r.GetProperty("validationAccuracy").GetSingle())),
        ];
    }

    [Fact]
    public async Task ACheckpointFromThePage_ResumesOnTheCommandLine()
    {
        await using var host = await StartHostAsync();
        await using var events = await TrainEventStream.OpenAsync(host);
        (await host.PostAsync("/api/train/start", new { limit = 2000, epochs = 2, batchSize = 16 })).EnsureSuccessStatusCode();
        await events.UntilAsync(e => e.Name == "batch");
        (await host.PostAsync("/api/train/stop", new { })).EnsureSuccessStatusCode();

        var output = new StringWriter();
        var error = new StringWriter();
        int code = ConvolveApp.Run(["train", "--resume", Path.Combine(runs, "run-1.ckpt.cvm")], output, error, plain: true);
        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.Contains($"Model saved: {Path.Combine(runs, "run-1.cvm")}", output.ToString());
    }

    [Fact]
    public async Task StoppingTheServer_StopsTheRunWithACheckpoint()
    {
        var host = await StartHostAsync();
        await using (var events = await TrainEventStream.OpenAsync(host))
        {
            (await host.PostAsync("/api/train/start", new { limit = 6000, epochs = 3, batchSize = 16 })).EnsureSuccessStatusCode();
            await events.UntilAsync(e => e.Name == "batch");
        }
        await host.DisposeAsync();

        var (session, metadata) = TrainingSession.Resume(Path.Combine(runs, "run-1.ckpt.cvm"));
        Assert.False(session.IsFinished);
        Assert.Equal("seed", metadata["architecture"]);
        Assert.Equal("digits", metadata["data"]);
    }

    [Fact]
    public async Task OneRunAtATime_ASecondStartOrAResumeIs409()
    {
        await using var host = await StartHostAsync();
        (await host.PostAsync("/api/train/start", new { limit = 6000, epochs = 3, batchSize = 16 })).EnsureSuccessStatusCode();

        using var second = await host.PostAsync("/api/train/start", new { });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("A run is already training (run-1): one at a time, so stop it first.", await ServeTestHost.ErrorOf(second));
        using var resume = await host.PostAsync("/api/train/resume", new { run = "run-1" });
        Assert.Equal(HttpStatusCode.Conflict, resume.StatusCode);

        (await host.PostAsync("/api/train/stop", new { })).EnsureSuccessStatusCode();
        using var again = await host.PostAsync("/api/train/stop", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("No run is training, so there is nothing to stop.", await ServeTestHost.ErrorOf(again));

        // A resumed run keeps its id; the next new run takes the next number.
        (await host.PostAsync("/api/train/resume", new { run = "run-1" })).EnsureSuccessStatusCode();
        (await host.PostAsync("/api/train/stop", new { })).EnsureSuccessStatusCode();
        using var next = await host.PostAsync("/api/train/start", new { limit = 600, epochs = 1 });
        using var state = JsonDocument.Parse(await next.Content.ReadAsStringAsync());
        Assert.Equal("run-2", state.RootElement.GetProperty("run").GetString());
        Assert.Equal(["run-1"], state.RootElement.GetProperty("resumable").EnumerateArray().Select(r => r.GetProperty("run").GetString()));
    }

    [Theory]
    [InlineData("""{"epochs": 0}""", "epochs: 0 is out of range; it must be 1 to 50.")]
    [InlineData("""{"epochs": 51}""", "epochs: 51 is out of range; it must be 1 to 50.")]
    [InlineData("""{"batchSize": 0}""", "batchSize: 0 is out of range; it must be 1 to 1,024.")]
    [InlineData("""{"batchSize": 1025}""", "batchSize: 1025 is out of range; it must be 1 to 1,024.")]
    [InlineData("""{"limit": 99}""", "limit: 99 is out of range; it must be 100 to 60,000.")]
    [InlineData("""{"limit": 60001}""", "limit: 60001 is out of range; it must be 100 to 60,000.")]
    [InlineData("""{"limit": 200, "batchSize": 256}""", "limit: 200 is out of range; it must be 256 to 60,000 (at least the batch size, 256).")]
    [InlineData("""{"learningRate": 0}""", "learningRate: 0 is out of range; it must be a number above 0 and at most 10.")]
    [InlineData("""{"learningRate": -0.1}""", "learningRate: -0.1 is out of range; it must be a number above 0 and at most 10.")]
    [InlineData("""{"learningRate": 10.5}""", "learningRate: 10.5 is out of range; it must be a number above 0 and at most 10.")]
    [InlineData("""{"learningRate": "NaN"}""", "learningRate: NaN is out of range; it must be a number above 0 and at most 10.")]
    [InlineData("""{"learningRate": "Infinity"}""", "learningRate: Infinity is out of range; it must be a number above 0 and at most 10.")]
    [InlineData("""{"seed": -1}""", "seed: -1 is out of range; it must be 0 to 2,147,483,647.")]
    [InlineData("""{"architecture": "article"}""", "architecture: 'article' is not one of seed, lenet5, mnist-cnn, mlp.")]
    [InlineData("""{"architecture": "../../etc/passwd"}""", "architecture: '../../etc/passwd' is not one of seed, lenet5, mnist-cnn, mlp.")]
    [InlineData("""{"data": "/usr/share/datasets/fashion-mnist"}""", "data: '/usr/share/datasets/fashion-mnist' is not one of digits, mnist, fashion-mnist.")]
    [InlineData("""{"optimizer": "rmsprop"}""", "optimizer: 'rmsprop' is not one of sgd, adam, adamw.")]
    [InlineData("""{"path": "/tmp/x.cvm"}""", "The request is not valid JSON for this endpoint (at $.path).")]
    [InlineData("""{"epochs": "three"}""", "The request is not valid JSON for this endpoint (at $.epochs).")]
    [InlineData("""{"epochs": 2""", "The request is not valid JSON for this endpoint (at $.epochs).")]
    [InlineData("[1, 2]", "The request is not valid JSON for this endpoint (at $).")]
    [InlineData("null", "The request body is null; send a JSON object.")]
    public async Task BadStartRequests_Get400NamingTheField_AndTheServerGoesOn(string body, string reason)
    {
        await using var host = await StartHostAsync();
        using var response = await host.PostAsync("/api/train/start", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(reason, await ServeTestHost.ErrorOf(response));
        await AssertStillAnswers(host);
    }

    [Theory]
    [InlineData("{}", "run: missing; name a stopped run by its id (such as run-1).")]
    [InlineData("""{"run": "../../etc/passwd"}""", "run: '../../etc/passwd' is not a run id (the ids look like run-1).")]
    [InlineData("""{"run": "run-0"}""", "run: 'run-0' is not a run id (the ids look like run-1).")]
    [InlineData("""{"run": "run-7"}""", "run: there is no stopped run called run-7; no run can be resumed.")]
    [InlineData("""{"run": 7}""", "The request is not valid JSON for this endpoint (at $.run).")]
    [InlineData("""{"run": "run-1", "path": "/tmp"}""", "The request is not valid JSON for this endpoint (at $.path).")]
    [InlineData("", "run: missing; send {\"run\": \"run-1\"}.")]
    public async Task BadResumeRequests_Get400NamingTheField(string body, string reason)
    {
        await using var host = await StartHostAsync();
        using var response = await host.PostAsync("/api/train/resume", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(reason, await ServeTestHost.ErrorOf(response));
        await AssertStillAnswers(host);
    }

    [Fact]
    public async Task Options_OfferTheCommandLinesNetworksAndNamedDataSets_WithTheirLimits()
    {
        await using var host = await StartHostAsync();
        using var json = JsonDocument.Parse(await host.Client.GetStringAsync("/api/train/options"));
        var o = json.RootElement;
        Assert.Equal(["seed", "lenet5", "mnist-cnn", "mlp"], o.GetProperty("architectures").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        var data = o.GetProperty("dataSets").EnumerateArray().ToList();
        Assert.Equal(["digits", "mnist", "fashion-mnist"], data.Select(d => d.GetProperty("name").GetString()));
        Assert.True(data[0].GetProperty("available").GetBoolean());
        Assert.Equal(50, o.GetProperty("limits").GetProperty("epochs").GetProperty("max").GetInt32());
        Assert.Equal(1024, o.GetProperty("limits").GetProperty("batchSize").GetProperty("max").GetInt32());
        Assert.False(Directory.Exists(runs) && Directory.EnumerateFileSystemEntries(runs).Any()); // nothing written before a run
    }

    [Fact]
    public void ServeHelp_SaysWhereRunsGo()
    {
        var output = new StringWriter();
        int code = ConvolveApp.Run(["serve", "--help"], output, new StringWriter(), plain: true);
        Assert.Equal(0, code);
        Assert.Contains("--runs", output.ToString());
        Assert.Contains("convolve-runs", output.ToString());
    }

    private static async Task AssertStillAnswers(ServeTestHost host)
    {
        using var state = await host.Client.GetAsync("/api/train/state");
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        using var models = await host.Client.GetAsync("/api/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }
}

/// <summary>The Train page's Server-Sent Events, read as a page would.</summary>
internal sealed class TrainEventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage response;
    private readonly StreamReader reader;
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromMinutes(3));

    private TrainEventStream(HttpResponseMessage response, StreamReader reader)
    {
        this.response = response;
        this.reader = reader;
    }

    /// <summary>Subscribes to <c>/api/train/events</c>.</summary>
    public static async Task<TrainEventStream> OpenAsync(ServeTestHost host)
    {
        var response = await host.Client.GetAsync("/api/train/events", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new TrainEventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event: its name and its data as JSON.</summary>
    public async Task<(string Name, JsonElement Data)> NextAsync()
    {
        string? name = null, data = null;
        while (true)
        {
            string line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("the event stream ended");
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line["data: ".Length..];
            else if (line.Length == 0 && name is not null && data is not null)
            {
                using var json = JsonDocument.Parse(data);
                return (name, json.RootElement.Clone());
            }
        }
    }

    /// <summary>Events up to and including the first that satisfies <paramref name="last"/>.</summary>
    public async Task<List<(string Name, JsonElement Data)>> UntilAsync(Func<(string Name, JsonElement Data), bool> last)
    {
        var events = new List<(string Name, JsonElement Data)>();
        while (true)
        {
            var next = await NextAsync();
            events.Add(next);
            if (last(next)) return events;
        }
    }

    public ValueTask DisposeAsync()
    {
        timeout.Dispose();
        reader.Dispose();
        response.Dispose();
        return ValueTask.CompletedTask;
    }
}
