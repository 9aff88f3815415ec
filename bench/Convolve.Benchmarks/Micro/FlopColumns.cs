using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Convolve.Benchmarks.Micro;

/// <summary>
/// A benchmark parameter that knows the arithmetic of one call: the columns of
/// <see cref="FlopColumn"/> read it to turn times into GFLOP/s and a fraction of the peak.
/// </summary>
public interface IFlopCount
{
    /// <summary>
    /// Floating-point operations (a multiply-add counts 2) of one call of the benchmark method named <paramref name="method"/>;
    /// null when it does no arithmetic worth counting (a copy, a max).
    /// </summary>
    double? Flops(string method);

    /// <summary>The most threads the call uses, when the parameter says (otherwise the parameter "Threads" does, or 1).</summary>
    int? Threads => null;
}

/// <summary>Flops of one call of a benchmark method whose parameters do not say (the FMA loops), per thread.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FlopsAttribute(double flopsPerThread) : Attribute
{
    public double FlopsPerThread { get; } = flopsPerThread;
}

/// <summary>
/// Custom summary columns from the operation count and the median time of a call:
/// GFLOP/s, GFLOP/s per thread, and the fraction of the peak of the threads used (the measured
/// single-core FMA peak times the thread count). The operation count comes from a parameter
/// implementing <see cref="IFlopCount"/>, else from <see cref="FlopsAttribute"/> on the method
/// times the parameter "Threads". The median rather than the mean, because on a shared machine a
/// few iterations slowed by other processes move the mean more.
/// </summary>
public sealed class FlopColumn : IColumn
{
    private readonly Kind kind;

    private enum Kind { Gflops, GflopsPerThread, FractionOfPeak }

    private FlopColumn(Kind kind) => this.kind = kind;

    public static readonly FlopColumn Gflops = new(Kind.Gflops);
    public static readonly FlopColumn GflopsPerThread = new(Kind.GflopsPerThread);
    public static readonly FlopColumn FractionOfPeak = new(Kind.FractionOfPeak);

    private static readonly Lazy<(double Gflops, string Source)> Peak = new(() =>
    {
        if (double.TryParse(Environment.GetEnvironmentVariable("CONVOLVE_PEAK_GFLOPS"), System.Globalization.CultureInfo.InvariantCulture, out double given)
            && given > 0)
            return (given, "CONVOLVE_PEAK_GFLOPS");
        return (FmaPeak.MeasurePerCoreGflops(),
            $"measured by the host process after the run, {(FmaPeak.HasVector512 ? "Vector512" : "Vector256")} FMA loop, best of 40");
    });

    /// <summary>The single-core peak the fraction divides by, in GFLOP/s, and where it came from.</summary>
    public static (double Gflops, string Source) PeakPerCore => Peak.Value;

    public string Id => "Convolve." + kind;

    public string ColumnName => kind switch
    {
        Kind.Gflops => "GFLOP/s",
        Kind.GflopsPerThread => "GFLOP/s/thread",
        _ => "of peak",
    };

    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => (int)kind;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => kind switch
    {
        Kind.Gflops => "Floating-point operations of one call (multiply-add = 2) / median time, in 10^9 per second",
        Kind.GflopsPerThread => "GFLOP/s divided by the threads the call may use",
        _ => $"GFLOP/s / (threads x one core's FMA peak, {PeakPerCore.Gflops:F1} GFLOP/s: {PeakPerCore.Source})",
    };

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var (flops, threads) = Work(benchmarkCase);
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Median;
        if (flops is not { } f || nanoseconds is not { } ns || ns <= 0) return "-";
        double gflops = f / ns; // flops per nanosecond = GFLOP/s
        return kind switch
        {
            Kind.Gflops => gflops.ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
            Kind.GflopsPerThread => (gflops / threads).ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
            _ => (gflops / (threads * PeakPerCore.Gflops)).ToString("P0", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The flops of one call and its thread count, from the parameters or the method's attribute.</summary>
    private static (double? Flops, int Threads) Work(BenchmarkCase benchmarkCase)
    {
        var method = benchmarkCase.Descriptor.WorkloadMethod;
        var values = benchmarkCase.Parameters.Items;
        int threads = values.FirstOrDefault(p => p.Name == "Threads")?.Value is int t ? t : 1;
        if (values.Select(p => p.Value).OfType<IFlopCount>().FirstOrDefault() is { } counted)
            return (counted.Flops(method.Name), counted.Threads ?? threads);
        if (method.GetCustomAttributes(typeof(FlopsAttribute), false).FirstOrDefault() is FlopsAttribute attribute)
            return (attribute.FlopsPerThread * threads, threads);
        return (null, threads);
    }

    public override string ToString() => ColumnName;
}
