using BenchmarkDotNet.Attributes;
using Convolve.Kernels;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Benchmarks.Micro;

/// <summary>
/// One float32 multiply <c>C[m, n] = A'[m, k] * B'[k, n]</c> (see <see cref="IGemmKernel"/>),
/// with <paramref name="Name"/> saying where it comes from. 2 m n k flops. Ordered by
/// <paramref name="Order"/>, so the summary lists the shapes as <see cref="All"/> does.
/// </summary>
public sealed record GemmShape(int Order, string Name, int M, int N, int K, bool TransA, bool TransB) : IFlopCount, IComparable<GemmShape>, IComparable
{
    public double? Flops(string method) => 2.0 * M * N * K;

    public int CompareTo(GemmShape? other) => other is null ? 1 : Order.CompareTo(other.Order);

    public int CompareTo(object? other) => CompareTo(other as GemmShape);

    public override string ToString() => $"{Name} {M}x{N}x{K} {(TransA ? 't' : 'n')}{(TransB ? 't' : 'n')}";

    /// <summary>
    /// The multiplies a batch of <paramref name="batch"/> makes in the layers of the three models,
    /// derived from the built models (so they follow Architectures.cs), as the layers call the
    /// multiply today:
    /// Conv2D (im2col, one call per batch item, CKK = C kH kW, P = H_out W_out): forward
    /// W[K, CKK] * col[CKK, P]; backward input W^T * dY [CKK, P] ("bwdI"); backward weight
    /// dY[K, P] * col^T ("bwdW").
    /// Dense (one call for the batch): forward X[N, in] * W^T [N, out]; backward weight
    /// dY^T * X [out, in]; backward input dY * W [N, in].
    /// A shape met twice (seed's first convolution is mnist-cnn's) is listed once, under its first name.
    /// </summary>
    public static IReadOnlyList<GemmShape> ModelShapes(int batch = 64)
    {
        var shapes = new List<GemmShape>();
        int order = 100;
        foreach (var name in new[] { "seed", "lenet5", "mnist-cnn" })
        {
            var model = Architectures.Get(name).Build(1);
            var shape = model.InputShape.Prepend(batch);
            int conv = 0, dense = 0;
            foreach (var layer in model.Layers)
            {
                if (layer is Conv2D c)
                {
                    var g = c.GetGeometry(shape);
                    int ckk = g.InChannelsPerGroup * g.KernelH * g.KernelW, p = g.OutH * g.OutW, k = g.OutChannelsPerGroup;
                    string id = $"{name}.conv{++conv}";
                    shapes.Add(new(order++, $"{id}.fwd", k, p, ckk, false, false));
                    shapes.Add(new(order++, $"{id}.bwdI", ckk, p, k, true, false));
                    shapes.Add(new(order++, $"{id}.bwdW", k, ckk, p, false, true));
                }
                else if (layer is Dense d)
                {
                    int inF = d.Config.InFeatures, outF = d.Config.OutFeatures;
                    string id = $"{name}.dense{++dense}";
                    shapes.Add(new(order++, $"{id}.fwd", batch, outF, inF, false, true));
                    shapes.Add(new(order++, $"{id}.bwdW", outF, inF, batch, true, false));
                    shapes.Add(new(order++, $"{id}.bwdI", batch, inF, outF, false, false));
                }
                shape = layer.GetOutputShape(shape);
            }
        }
        return [.. shapes.DistinctBy(s => (s.M, s.N, s.K, s.TransA, s.TransB))];
    }

    /// <summary>Square multiplies of side 256, 1024 and 2048 (the classic sgemm figures).</summary>
    public static IReadOnlyList<GemmShape> SquareShapes { get; } =
        [.. new[] { 256, 1024, 2048 }.Select((s, i) => new GemmShape(i, "square", s, s, s, false, false))];

    /// <summary>The square shapes, then the models' shapes.</summary>
    public static IEnumerable<GemmShape> All => SquareShapes.Concat(ModelShapes());
}

/// <summary>
/// The matrix multiply layers use (<see cref="GemmKernels.WithThreads"/>: the blocked Gemm on
/// the widest vectors) on the square sizes and on every shape the three models' layers produce
/// at batch 64, at 1 thread and at every core. Within a convolution each thread runs its own
/// batch items through the 1-thread multiply, so for the convolution shapes the 1-thread row is
/// the one the layers meet; the all-core row shows what one call of that shape could do alone.
/// </summary>
public class GemmBenchmarks
{
    public static IEnumerable<GemmShape> Shapes => GemmShape.All;

    public static IEnumerable<int> ThreadCounts => Workload.ThreadCounts;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    private IGemmKernel gemm = null!;
    private float[] a = [], b = [], c = [];

    [GlobalSetup]
    public void Setup()
    {
        var s = Shape;
        gemm = GemmKernels.WithThreads(Threads);
        var random = new Random(1);
        a = Data.Random(random, s.M * s.K);
        b = Data.Random(random, s.K * s.N);
        c = new float[s.M * s.N];
    }

    [Benchmark]
    public void Multiply()
    {
        var s = Shape;
        gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, a, b, c, accumulate: false);
    }
}

/// <summary>Random inputs for the benchmarks.</summary>
public static class Data
{
    /// <summary><paramref name="length"/> values uniform in [-1, 1).</summary>
    public static float[] Random(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = random.NextSingle() * 2 - 1;
        return values;
    }

    /// <summary>A tensor of <paramref name="shape"/> with values uniform in [-1, 1).</summary>
    public static Tensor Random(Random random, Shape shape) => new(shape, Random(random, shape.Size));
}
