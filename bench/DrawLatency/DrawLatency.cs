#:property PublishAot=false
// How long the Draw page of `convolve serve` waits for the server after a stroke: the predict
// request (a 112x112 drawing, as the page sends it) from sending to the last byte of the answer
// (framing, every layer's forward pass, the feature maps as JSON, loopback HTTP), and the explain
// request of a click. A file-based program: start a server, then
//   src/Convolve.Cli/bin/Release/net10.0/Convolve.Cli serve digits.cvm --port 5117 &
//   dotnet run bench/DrawLatency/DrawLatency.cs -- http://127.0.0.1:5117 [MODEL] [REQUESTS]
// It prints the median and 95th percentile, with the CPU and the load average, since on a shared
// machine a figure means little without them.
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

string baseUrl = args.Length > 0 ? args[0].TrimEnd('/') : "http://127.0.0.1:5117";
int requests = args.Length > 2 ? int.Parse(args[2]) : 300;
using var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
string model = args.Length > 1 ? args[1]
    : (await client.GetFromJsonAsync<JsonElement>("/api/models")).EnumerateArray().First().GetProperty("name").GetString()!;

// A "0" as the page sends it: an elliptic ring, white on black, 112x112 values in 0..1.
const int side = 112;
var pixels = new float[side * side];
for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++)
    {
        double r = Math.Sqrt(Math.Pow((y + 0.5 - 56) / 36, 2) + Math.Pow((x + 0.5 - 56) / 24, 2));
        if (Math.Abs(r - 1) * 24 <= 4.5) pixels[y * side + x] = 1;
    }
var predict = JsonContent.Create(new { model, width = side, height = side, pixels });
var explain = JsonContent.Create(new { model, width = side, height = side, pixels, layer = 0, channel = 3, y = 13, x = 12 });
await predict.LoadIntoBufferAsync();
await explain.LoadIntoBufferAsync();

async Task<(double[] Ms, long Bytes)> Time(string path, HttpContent body, int count)
{
    var times = new double[count];
    long bytes = 0;
    for (int i = 0; i < count; i++)
    {
        long start = Stopwatch.GetTimestamp();
        using var response = await client.PostAsync(path, body);
        var answer = await response.Content.ReadAsByteArrayAsync();
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(answer)}");
        bytes = answer.Length;
    }
    Array.Sort(times);
    return (times, bytes);
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

await Time("/api/draw/predict", predict, 30); // warm-up: JIT, buffers
await Time("/api/draw/explain", explain, 10);
string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
bool avx512 = File.ReadAllText("/proc/cpuinfo").Contains(" avx512f");
Console.WriteLine($"{cpu}{(avx512 ? ", AVX-512" : "")}, {Environment.ProcessorCount} cores, " +
    $"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (before)");
foreach (var (name, path, body) in new[] { ("predict", "/api/draw/predict", predict), ("explain", "/api/draw/explain", explain) })
{
    var (ms, bytes) = await Time(path, body, requests);
    Console.WriteLine($"{name} ({model}, {requests} requests, answer {bytes / 1024.0:0.#} KiB): median {Percentile(ms, 0.5):0.00} ms, " +
        $"95th percentile {Percentile(ms, 0.95):0.00} ms, fastest {ms[0]:0.00} ms");
}
Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (after)");
