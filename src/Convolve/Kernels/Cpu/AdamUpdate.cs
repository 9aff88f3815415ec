using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Convolve.Kernels.Reference;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// The Adam and AdamW update of <see cref="AdamReference.Update"/>, the same bits: Count values at
/// a time in the same operations and roundings (a multiply, then an add; an IEEE square root and
/// division, exact to the last bit at every width), the values past the last whole vector by the
/// reference loop itself. Large tensors are split into contiguous ranges, one per thread; each
/// value's update does not depend on the split.
/// </summary>
internal static class AdamUpdate
{
    // Below this many values per thread, waking another thread costs more than it saves.
    private const int ParallelLength = 1 << 16;

    /// <summary>
    /// See <see cref="AdamReference.Update"/>: step number <paramref name="step"/> (from 1) on one
    /// tensor and its running <paramref name="mean"/> and <paramref name="square"/> of the gradient,
    /// with up to <paramref name="maxThreads"/> threads (0: one per core).
    /// </summary>
    public static void Update(Span<float> value, ReadOnlySpan<float> gradient, Span<float> mean, Span<float> square,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool decoupled, long step, int maxThreads = 0) =>
        Update(value, gradient, mean, square, learningRate, beta1, beta2, epsilon, weightDecay, decoupled, step, maxThreads, Simd.Best);

    /// <summary>
    /// <see cref="Update(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, float, float, float, float, float, bool, long, int)"/>
    /// with vectors of <paramref name="width"/> (an accelerated one; <see cref="SimdWidth.Scalar"/>
    /// for the plain loop), for the tests of each width.
    /// </summary>
    internal static unsafe void Update(Span<float> value, ReadOnlySpan<float> gradient, Span<float> mean, Span<float> square,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool decoupled, long step, int maxThreads,
        SimdWidth width)
    {
        if (gradient.Length < value.Length || mean.Length < value.Length || square.Length < value.Length)
            throw new ArgumentException($"AdamUpdate: {value.Length} values need as many gradients (got {gradient.Length}) " +
                $"and moments (got {mean.Length} and {square.Length}).");
        int threads = ThreadCount.Resolve(maxThreads);
        int parts = value.Length < ParallelLength ? 1 : Math.Clamp(value.Length / ParallelLength, 1, threads);
        var rule = new Rule(learningRate, beta1, beta2, epsilon, weightDecay, decoupled, step);
        fixed (float* p = value, g = gradient, m = mean, s = square)
        {
            var range = new Range(p, g, m, s, value.Length, parts);
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

    private readonly record struct Rule(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, bool Decoupled, long Step);

    /// <summary>The tensor and its two moments, split into <c>Parts</c> ranges.</summary>
    private readonly unsafe struct Range(float* value, float* gradient, float* mean, float* square, int length, int parts)
    {
        public readonly float* Value = value, Gradient = gradient, Mean = mean, Square = square;
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
            float* value = range.Value, gradient = range.Gradient, mean = range.Mean, square = range.Square;
            int i = from;
            if (vectors)
            {
                var (stepSize, rootCorrection2) = AdamReference.BiasCorrection(rule.LearningRate, rule.Beta1, rule.Beta2, rule.Step);
                var beta1 = V.Create(rule.Beta1);
                var beta2 = V.Create(rule.Beta2);
                var oneMinusBeta1 = V.Create(1 - rule.Beta1);
                var oneMinusBeta2 = V.Create(1 - rule.Beta2);
                var decay = V.Create(rule.WeightDecay);
                var rateDecay = V.Create(rule.LearningRate * rule.WeightDecay);
                var step = V.Create(stepSize);
                var root = V.Create(rootCorrection2);
                var epsilon = V.Create(rule.Epsilon);
                bool decoupled = rule.Decoupled;
                for (; i + V.Count <= to; i += V.Count)
                {
                    var p = V.Load(value + i);
                    var g = V.Load(gradient + i);
                    if (decoupled) p = V.Subtract(p, V.Multiply(rateDecay, p));
                    else g = V.Add(g, V.Multiply(decay, p));
                    var m = V.Add(V.Multiply(beta1, V.Load(mean + i)), V.Multiply(oneMinusBeta1, g));
                    var s = V.Add(V.Multiply(beta2, V.Load(square + i)), V.Multiply(V.Multiply(oneMinusBeta2, g), g));
                    V.Store(m, mean + i);
                    V.Store(s, square + i);
                    var denominator = V.Add(Divide(Sqrt(s), root), epsilon);
                    V.Store(V.Subtract(p, Divide(V.Multiply(step, m), denominator)), value + i);
                }
            }
            AdamReference.Update(new Span<float>(value + i, to - i), new ReadOnlySpan<float>(gradient + i, to - i),
                new Span<float>(mean + i, to - i), new Span<float>(square + i, to - i),
                rule.LearningRate, rule.Beta1, rule.Beta2, rule.Epsilon, rule.WeightDecay, rule.Decoupled, rule.Step);
        }
    }

    // Square root and division lane by lane, correctly rounded as MathF.Sqrt and '/' are: the
    // typeof tests fold away per instantiation.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Sqrt<TVec>(TVec x) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>)) return Unsafe.BitCast<Vector512<float>, TVec>(Vector512.Sqrt(Unsafe.BitCast<TVec, Vector512<float>>(x)));
        if (typeof(TVec) == typeof(Vector256<float>)) return Unsafe.BitCast<Vector256<float>, TVec>(Vector256.Sqrt(Unsafe.BitCast<TVec, Vector256<float>>(x)));
        if (typeof(TVec) == typeof(Vector128<float>)) return Unsafe.BitCast<Vector128<float>, TVec>(Vector128.Sqrt(Unsafe.BitCast<TVec, Vector128<float>>(x)));
        throw new NotSupportedException($"AdamUpdate: no square root for {typeof(TVec).Name}.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Divide<TVec>(TVec left, TVec right) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>))
            return Unsafe.BitCast<Vector512<float>, TVec>(Unsafe.BitCast<TVec, Vector512<float>>(left) / Unsafe.BitCast<TVec, Vector512<float>>(right));
        if (typeof(TVec) == typeof(Vector256<float>))
            return Unsafe.BitCast<Vector256<float>, TVec>(Unsafe.BitCast<TVec, Vector256<float>>(left) / Unsafe.BitCast<TVec, Vector256<float>>(right));
        if (typeof(TVec) == typeof(Vector128<float>))
            return Unsafe.BitCast<Vector128<float>, TVec>(Unsafe.BitCast<TVec, Vector128<float>>(left) / Unsafe.BitCast<TVec, Vector128<float>>(right));
        throw new NotSupportedException($"AdamUpdate: no division for {typeof(TVec).Name}.");
    }
}
