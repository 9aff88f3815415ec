using System.Runtime.InteropServices;

namespace Convolve.PeerBench;

/// <summary>What the figures were measured on, read from /proc and /etc (Linux).</summary>
public static class Machine
{
    public static string Describe()
    {
        string cpu = Field("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        string flags = Field("/proc/cpuinfo", "flags") ?? "";
        bool avx512 = flags.Split(' ').Contains("avx512f");
        string memory = Field("/proc/meminfo", "MemTotal") is { } m && long.TryParse(m.Split(' ')[0], out long kib)
            ? $"{kib / 1024.0 / 1024.0:0.0} GiB" : "?";
        string os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME="))?.Split('=', 2)[1].Trim('"') ?? "?"
            : RuntimeInformation.OSDescription;
        return $"{cpu}, {Environment.ProcessorCount} logical cores, AVX-512 {(avx512 ? "yes" : "no")}, AVX2 {(flags.Contains("avx2") ? "yes" : "no")}, " +
               $"{memory} memory; {os}; .NET {Environment.Version}; {VectorPath}";
    }

    /// <summary>
    /// The instruction set Convolve's kernels use in this run, and the switches that narrowed
    /// it (the peers' native libraries ignore those switches and use what the CPU has).
    /// </summary>
    public static string VectorPath
    {
        get
        {
            string[] switches = ["DOTNET_EnableAVX512", "DOTNET_EnableAVX512F", "DOTNET_EnableAVX2", "DOTNET_EnableAVX", "DOTNET_EnableHWIntrinsic",
                "DOTNET_PreferredVectorBitWidth"];
            var set = switches.Where(name => Environment.GetEnvironmentVariable(name) is { Length: > 0 })
                .Select(name => $"{name}={Environment.GetEnvironmentVariable(name)}").ToList();
            string path = $"Convolve's vector path: {Convolve.Kernels.Cpu.Simd.InstructionSet} ({Convolve.Kernels.Cpu.Simd.Best})";
            return set.Count == 0 ? path : $"{path}, narrowed by {string.Join(", ", set)} (the peers' native code still uses what the CPU has)";
        }
    }

    /// <summary>The key of this run's table in BENCHMARKS.md: one table per instruction set Convolve ran on.</summary>
    public static string TableKey => Convolve.Kernels.Cpu.Simd.InstructionSet.ToLowerInvariant();

    /// <summary>The 1, 5 and 15 minute load averages, as /proc/loadavg gives them.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string? Field(string file, string key)
    {
        if (!File.Exists(file)) return null;
        foreach (var line in File.ReadLines(file))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == key) return line[(colon + 1)..].Trim();
        }
        return null;
    }
}
