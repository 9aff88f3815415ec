using System.Runtime.Intrinsics;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// The stochastic gradient descent update of <see cref="SgdReference.Update"/>, the same bits:
/// Count values at a time in the same operations and roundings (a multiply, then an add), the
/// values past the last whole vector by the reference loop itself. Large tensors are split into
/// contiguous ranges, one per thread; each value's update does not depend on the split.
/// </summary>
internal static class SgdUpdate
{
    // Below this many values per thread, waking another thread costs more than it saves.
    private const int ParallelLength = 1 << 16;

    /// <summary>
    /// See <see cref="SgdReference.Update"/>; <paramref name="velocity"/> is empty without
    /// momentum. Up to <paramref name="maxThreads"/> threads (0: one per core).
    /// </summary>
    public static void Update(Span<float> value, ReadOnlySpan<float> gradient, Span<float> velocity,
        float learningRate, float momentum, bool nesterov, float weightDecay, int maxThreads = 0) =>
        Update(value, gradient, velocity, learningRate, momentum, nesterov, weightDecay, maxThreads, Simd.Best);

    /// <summary>
    /// <see cref="Update(Span{float}, ReadOnlySpan{float}, Span{float}, float, float, bool, float, int)"/>
    /// with vectors of <paramref name="width"/> (an accelerated one; <see cref="SimdWidth.Scalar"/>
    /// for the plain loop), for the tests of each width.
    /// </summary>
    internal static unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, Span<float> velocity,
        float learningRate, float momentum, bool nesterov, float weightDecay, int maxThreads, SimdWidth width)
    {
        if (gradient.Length < value.Length || !velocity.IsEmpty && velocity.Length < value.Length)
            throw new ArgumentException($"SgdUpdate: {value.Length} values need as many gradients (got {gradient.Length}) " +
                $"and, with momentum, velocities (got {velocity.Length}).");
        int threads = ThreadCount.Resolve(maxThreads);
        int parts = value.Length < ParallelLength ? 1 : Math.Clamp(value.Length / ParallelLength, 1, threads);
        var rule = new Rule(learningRate, momentum, nesterov, weightDecay);
        fixed (float* p = value, g = gradient, v = velocity)
        {
            var range = new Range(p, g, velocity.IsEmpty ? null : v, value.Length, parts);
            switch (width)
            {
                case SimdWidth.Vector512:
                    ParallelParts.Run(parts, parts, new Job<V512, Vector512<float>>(rule, range, vectors: true));
                    break;
                case SimdWidth.Vector256:
                    ParallelParts.Run(parts, parts, new Job<V256, Vector256<float>>(rule, range, vectors: true));
                    break;
                case SimdWidth.Vector128:
                    ParallelParts.Run(parts, parts, new Job<V128, Vector128<float>>(rule, range, vectors: true));
                    break;
                default:
                    ParallelParts.Run(parts, parts, new Job<V128, Vector128<float>>(rule, range, vectors: false));
                    break;
            }
        }
    }

    private readonly record struct Rule(float LearningRate, float Momentum, bool Nesterov, float WeightDecay);

    /// <summary>The tensor (<c>Velocity</c> null without momentum), split into <c>Parts</c> ranges.</summary>
    private readonly unsafe struct Range(float* value, float* gradient, float* velocity, int length, int parts)
    {
        public readonly float* Value = value, Gradient = gradient, Velocity = velocity;
        public readonly int Length = length, Parts = parts;
    }

    private readonly unsafe struct Job<V, TVec>(Rule rule, Range range, bool vectors) : IParallelPart
        where V : struct, IVector<TVec> where TVec : struct
    {
        public void Run(int part)
        {
            // Ranges start at multiples of 16 values, whole vectors at every width.
            int blocks = (range.Length + 15) / 16, parts = range.Parts;
            int from = (int)((long)blocks * part / parts) * 16, to = Math.Min(range.Length, (int)((long)blocks * (part + 1) / parts) * 16);
            float* value = range.Value, gradient = range.Gradient, velocity = range.Velocity;
            int i = from;
            if (vectors)
            {
                var lr = V.Create(rule.LearningRate);
                var decay = V.Create(rule.WeightDecay);
                var momentum = V.Create(rule.Momentum);
                bool nesterov = rule.Nesterov;
                for (; i + V.Count <= to; i += V.Count)
                {
                    var p = V.Load(value + i);
                    var g = V.Add(V.Load(gradient + i), V.Multiply(decay, p));
                    if (velocity is null)
                    {
                        V.Store(V.Subtract(p, V.Multiply(lr, g)), value + i);
                        continue;
                    }
                    var v = V.Add(V.Multiply(momentum, V.Load(velocity + i)), g);
                    V.Store(v, velocity + i);
                    V.Store(V.Subtract(p, V.Multiply(lr, nesterov ? V.Add(g, V.Multiply(momentum, v)) : v)), value + i);
                }
            }
            SgdReference.Update(new Span<float>(value + i, to - i), new ReadOnlySpan<float>(gradient + i, to - i),
                velocity is null ? default : new Span<float>(velocity + i, to - i),
                rule.LearningRate, rule.Momentum, rule.Nesterov, rule.WeightDecay);
        }
    }
}
