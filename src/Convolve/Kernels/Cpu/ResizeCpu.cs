using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Convolve.Kernels.Reference;
using Convolve.Layers;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// The source rows and columns of one resize shape, computed once per shape by the reference's
/// mapping (<see cref="ResizeReference"/>): for each output row its input row(s) and weight, the
/// same for each column, and the scratch each thread's part of a pass uses.
/// </summary>
internal sealed class ResizePlan
{
    /// <summary>The tables of <paramref name="g"/>, with scratch for up to <paramref name="parts"/> parts.</summary>
    public ResizePlan(in ResizeGeometry g, int parts)
    {
        Geometry = g;
        (RowLo, RowHi, RowWeight) = Axis(g, g.InH, g.OutH, g.LengthH, g.ScaleH);
        (ColLo, ColHi, ColWeight) = Axis(g, g.InW, g.OutW, g.LengthW, g.ScaleW);
        Repeat = RepeatOf(g, ColLo);
        bool[] used = new bool[g.InH];
        for (int y = 0; y < g.OutH; y++) used[RowLo[y]] = used[RowHi[y]] = true;
        UsedRows = [.. Enumerable.Range(0, g.InH).Where(r => used[r])];
        Parts = Math.Max(1, parts);
        ScratchPerPart = g.Mode == ResizeInterpolation.Linear ? g.InH * g.OutW : g.OutW;
        Scratch = new float[Parts * ScratchPerPart];
    }

    /// <summary>The shape these tables are for.</summary>
    public ResizeGeometry Geometry { get; }

    /// <summary>Per output row: the input row read (nearest) or the two blended, and the weight of the second.</summary>
    public int[] RowLo { get; }

    /// <inheritdoc cref="RowLo"/>
    public int[] RowHi { get; }

    /// <inheritdoc cref="RowLo"/>
    public float[] RowWeight { get; }

    /// <summary>Per output column: the input column read (nearest) or the two blended, and the weight of the second.</summary>
    public int[] ColLo { get; }

    /// <inheritdoc cref="ColLo"/>
    public int[] ColHi { get; }

    /// <inheritdoc cref="ColLo"/>
    public float[] ColWeight { get; }

    /// <summary>k when nearest output column x reads input column x / k (an integer upsampling along W), else 0.</summary>
    public int Repeat { get; }

    /// <summary>The input rows some output row reads, in order.</summary>
    public int[] UsedRows { get; }

    /// <summary>How many parts the scratch serves.</summary>
    public int Parts { get; }

    /// <summary>Scratch values per part: the horizontally resized input rows (linear), or one output row (nearest).</summary>
    public int ScratchPerPart { get; }

    /// <summary>Parts * ScratchPerPart values.</summary>
    public float[] Scratch { get; }

    // k when nearest output column x reads input column x / k for every x, else 0.
    private static int RepeatOf(in ResizeGeometry g, int[] columns)
    {
        int k = g.OutW / g.InW;
        if (g.Mode != ResizeInterpolation.Nearest || k == 0 || g.OutW != g.InW * k) return 0;
        for (int x = 0; x < g.OutW; x++)
            if (columns[x] != x / k) return 0;
        return k;
    }

    private static (int[] Lo, int[] Hi, float[] Weight) Axis(in ResizeGeometry g, int inLength, int outLength, float resized, float scale)
    {
        var (lo, hi, weight) = (new int[outLength], new int[outLength], new float[outLength]);
        for (int o = 0; o < outLength; o++)
        {
            float s = ResizeReference.SourceCoordinate(g.Coordinates, o, inLength, resized, scale);
            if (g.Mode == ResizeInterpolation.Nearest) lo[o] = hi[o] = ResizeReference.NearestIndex(g.Rounding, s, inLength);
            else (lo[o], hi[o], weight[o]) = ResizeReference.LinearTaps(s, inLength);
        }
        return (lo, hi, weight);
    }
}

/// <summary>
/// Resizing from per-shape tables (<see cref="ResizePlan"/>), plane by plane across threads.
/// Nearest: an output row that reads the same input row as the one before is a copy of it, and
/// an integer upsampling along W repeats each input value k times (x2 through vector shuffles);
/// otherwise a gather through the column table. Linear: each input row that is read is first
/// resized along W into scratch (a gather and blend per output column), then each output row
/// blends two of those rows with one weight (TensorPrimitives). Backward scatters the same reads
/// in reverse. Matches <see cref="ResizeReference"/> exactly for nearest, and up to float32
/// rounding of the blends for linear.
/// <para>
/// The loops are compiled fully optimized from the first call: a layer runs them a few times per
/// batch, and a busy machine can leave them at the unoptimized tier for many batches.
/// </para>
/// </summary>
internal static unsafe class ResizeCpu
{
    private const long ParallelThreshold = 1 << 16;

    /// <summary>How many parts a pass over <paramref name="g"/> is split into on at most <paramref name="maxThreads"/> threads (0: one per core).</summary>
    public static int Parts(in ResizeGeometry g, int maxThreads) =>
        (long)g.OutputLength >= ParallelThreshold ? Math.Min(g.Planes, ThreadCount.Resolve(maxThreads)) : 1;

    /// <inheritdoc cref="ResizeReference.Forward"/>
    public static void Forward(ResizePlan plan, ReadOnlySpan<float> input, Span<float> output, int maxThreads = 0) =>
        Run(plan, input, output, backward: false, maxThreads);

    /// <inheritdoc cref="ResizeReference.Backward"/>
    public static void Backward(ResizePlan plan, ReadOnlySpan<float> dOutput, Span<float> dInput, int maxThreads = 0) =>
        Run(plan, dInput, dOutput, backward: true, maxThreads);

    // x is the input (or dInput), y the output (or dOutput).
    private static void Run(ResizePlan plan, ReadOnlySpan<float> x, ReadOnlySpan<float> y, bool backward, int maxThreads)
    {
        var g = plan.Geometry;
        if (x.Length < g.InputLength || y.Length < g.OutputLength)
            throw new ArgumentException($"ResizeCpu: expected input of {g.InputLength} and output of {g.OutputLength} values; got {x.Length} and {y.Length}.");
        int parts = Math.Min(Parts(g, maxThreads), plan.Parts);
        fixed (float* px = x, py = y, scratch = plan.Scratch)
            ParallelParts.Run(parts, parts, new Job(plan, px, py, scratch, parts, backward));
    }

    private readonly struct Job(ResizePlan plan, float* x, float* y, float* scratch, int parts, bool backward) : IParallelPart
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part)
        {
            var g = plan.Geometry;
            int first = (int)((long)g.Planes * part / parts), last = (int)((long)g.Planes * (part + 1) / parts);
            int planeIn = g.InH * g.InW, planeOut = g.OutH * g.OutW;
            var temp = new Span<float>(scratch + (long)part * plan.ScratchPerPart, plan.ScratchPerPart);
            for (int p = first; p < last; p++)
            {
                var input = new Span<float>(x + (long)p * planeIn, planeIn);
                var output = new Span<float>(y + (long)p * planeOut, planeOut);
                switch (g.Mode, backward)
                {
                    case (ResizeInterpolation.Nearest, false): NearestForward(plan, input, output); break;
                    case (ResizeInterpolation.Nearest, true): NearestBackward(plan, output, input, temp); break;
                    case (_, false): LinearForward(plan, input, output, temp); break;
                    default: LinearBackward(plan, output, input, temp); break;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NearestForward(ResizePlan plan, ReadOnlySpan<float> input, Span<float> output)
    {
        var g = plan.Geometry;
        int outW = g.OutW;
        for (int r = 0; r < g.OutH; r++)
        {
            var row = output.Slice(r * outW, outW);
            if (r > 0 && plan.RowLo[r] == plan.RowLo[r - 1])
            {
                output.Slice((r - 1) * outW, outW).CopyTo(row);
                continue;
            }
            var source = input.Slice(plan.RowLo[r] * g.InW, g.InW);
            switch (plan.Repeat)
            {
                case 1: source.CopyTo(row); break;
                case 2: RepeatTwice(source, row); break;
                case > 2: RepeatEach(source, row, plan.Repeat); break;
                default: Gather(source, plan.ColLo, row); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NearestBackward(ResizePlan plan, ReadOnlySpan<float> dOutput, Span<float> dInput, Span<float> sum)
    {
        var g = plan.Geometry;
        int outW = g.OutW;
        sum = sum[..outW];
        dInput.Clear();
        // Output rows reading the same input row are summed first, then scattered once.
        for (int r = 0; r < g.OutH;)
        {
            int source = plan.RowLo[r], end = r + 1;
            while (end < g.OutH && plan.RowLo[end] == source) end++;
            var d = dOutput.Slice(r * outW, outW);
            if (end - r > 1)
            {
                TensorPrimitives.Add(d, dOutput.Slice((r + 1) * outW, outW), sum);
                for (int k = r + 2; k < end; k++) TensorPrimitives.Add(sum, dOutput.Slice(k * outW, outW), sum);
                d = sum;
            }
            var target = dInput.Slice(source * g.InW, g.InW);
            if (plan.Repeat == 1) TensorPrimitives.Add(target, d, target);
            else if (plan.Repeat > 1)
            {
                int k = plan.Repeat;
                for (int i = 0; i < target.Length; i++)
                {
                    float s = 0;
                    for (int j = 0; j < k; j++) s += d[i * k + j];
                    target[i] += s;
                }
            }
            else
            {
                for (int c = 0; c < outW; c++) target[plan.ColLo[c]] += d[c];
            }
            r = end;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LinearForward(ResizePlan plan, ReadOnlySpan<float> input, Span<float> output, Span<float> rows)
    {
        var g = plan.Geometry;
        int outW = g.OutW;
        int[] lo = plan.ColLo, hi = plan.ColHi;
        float[] w = plan.ColWeight;
        foreach (int r in plan.UsedRows)
        {
            var source = input.Slice(r * g.InW, g.InW);
            var target = rows.Slice(r * outW, outW);
            for (int c = 0; c < outW; c++)
            {
                float a = source[lo[c]];
                target[c] = a + (w[c] * (source[hi[c]] - a));
            }
        }
        for (int r = 0; r < g.OutH; r++)
        {
            var row = output.Slice(r * outW, outW);
            var top = rows.Slice(plan.RowLo[r] * outW, outW);
            float weight = plan.RowWeight[r];
            if (weight == 0 || plan.RowLo[r] == plan.RowHi[r]) top.CopyTo(row);
            else TensorPrimitives.Lerp(top, rows.Slice(plan.RowHi[r] * outW, outW), weight, row);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LinearBackward(ResizePlan plan, ReadOnlySpan<float> dOutput, Span<float> dInput, Span<float> rows)
    {
        var g = plan.Geometry;
        int outW = g.OutW;
        foreach (int r in plan.UsedRows) rows.Slice(r * outW, outW).Clear();
        for (int r = 0; r < g.OutH; r++)
        {
            var d = dOutput.Slice(r * outW, outW);
            var top = rows.Slice(plan.RowLo[r] * outW, outW);
            var bottom = rows.Slice(plan.RowHi[r] * outW, outW);
            float weight = plan.RowWeight[r];
            TensorPrimitives.MultiplyAdd(d, 1 - weight, top, top);
            if (weight != 0) TensorPrimitives.MultiplyAdd(d, weight, bottom, bottom);
        }
        dInput.Clear();
        int[] lo = plan.ColLo, hi = plan.ColHi;
        float[] w = plan.ColWeight;
        foreach (int r in plan.UsedRows)
        {
            var target = dInput.Slice(r * g.InW, g.InW);
            var d = rows.Slice(r * outW, outW);
            for (int c = 0; c < outW; c++)
            {
                target[lo[c]] += (1 - w[c]) * d[c];
                target[hi[c]] += w[c] * d[c];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gather(ReadOnlySpan<float> source, int[] columns, Span<float> row)
    {
        for (int c = 0; c < row.Length; c++) row[c] = source[columns[c]];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RepeatEach(ReadOnlySpan<float> source, Span<float> row, int k)
    {
        for (int i = 0; i < source.Length; i++) row.Slice(i * k, k).Fill(source[i]);
    }

    // row[2i] = row[2i + 1] = source[i]: four inputs at a time become two vectors of pairs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RepeatTwice(ReadOnlySpan<float> source, Span<float> row)
    {
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= source.Length; i += 4)
            {
                var v = Vector128.Create(source.Slice(i, 4));
                Vector128.Shuffle(v, Vector128.Create(0, 0, 1, 1)).CopyTo(row.Slice(2 * i, 4));
                Vector128.Shuffle(v, Vector128.Create(2, 2, 3, 3)).CopyTo(row.Slice((2 * i) + 4, 4));
            }
        }
        for (; i < source.Length; i++) row[2 * i] = row[(2 * i) + 1] = source[i];
    }
}
